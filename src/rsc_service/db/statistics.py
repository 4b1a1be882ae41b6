"""Planner statistics for the tables bulk writes fill (docs/architecture.md#14-ingest).

A table that was never analyzed is planned from its size alone, with a guessed selectivity for each column:
`tenant_id = $1` looks as if it matched a handful of rows, so a look-up by tenant and a list of keys walks
every row of the tenant along the index prefix and filters, instead of finding each key. Autovacuum analyzes
a table a minute or so after its first rows; until then the first sync into a new database runs at a
fraction of its speed, slower the more it has stored; where autovacuum is off, for good (a first sync of
100,000 candidates fell to half of LinkedIn's budget once its tables held a few hundred thousand rows).

Statistics taken while a table was small go stale as it fills: a plan made from a few hundred rows can scan
the table (the cheaper plan at that size), and PostgreSQL keeps a prepared statement's generic plan until
the table is analyzed again; filled faster than autovacuum looks (a minute between its rounds), the table is
scanned on every batch, ever longer (5 ms a statement at 5,000 rows). `analyze_due()` analyzes the tables
that hold at least `min_rows` rows and were never analyzed or have doubled since they were last, and
`Watch` calls it beside whoever writes many rows (the webhook writer, the initial sync's walk): a table is
analyzed a few times while small, then ever more rarely. SQLite needs none of this: its look-ups are
planned from the indexes alone (tests/test_query_plans.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import structlog
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger()

# The tables bulk writes fill and look-ups by tenant and keys read.
PLANNED: Final = ("ats_webhook_events", "ats_records", "outbox_messages", "candidate_links")

_GROWTH = 2  # a table is analyzed again once it holds this many times the rows it had when last analyzed

_SIZES = text(
    "SELECT s.relname, s.n_live_tup, c.reltuples, s.last_analyze IS NULL AND s.last_autoanalyze IS NULL "
    "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relid = ANY(:tables)"
).bindparams(bindparam("tables"))
_OIDS = text("SELECT to_regclass(name)::oid FROM unnest(CAST(:names AS text[])) AS name")


@dataclass(frozen=True)
class Size:
    table: str
    rows: int  # live rows now, as PostgreSQL counts them (a moment behind the commits)
    analyzed_rows: float | None  # rows when last analyzed (or vacuumed); None: never analyzed

    def due(self, min_rows: int) -> bool:
        if self.rows < min_rows:
            return False
        return self.analyzed_rows is None or self.rows >= _GROWTH * max(self.analyzed_rows, 1.0)


@dataclass(frozen=True)
class Analyzed:
    analyzed: list[str]  # analyzed now
    sizes: list[Size]  # every table's size as read before

    @property
    def smallest_filled(self) -> int | None:
        """The fewest live rows among the tables that hold some: about how far off the next analysis is."""
        return min((size.rows for size in self.sizes if size.rows > 0), default=None)


async def analyze_due(engine: AsyncEngine, tables: Sequence[str], *, min_rows: int) -> Analyzed:
    """ANALYZE each of `tables` that holds `min_rows` rows and has no statistics yet, or has doubled since
    its last (PostgreSQL only)."""
    if engine.dialect.name != "postgresql":
        return Analyzed([], [])
    async with engine.connect() as connection:
        oids = [oid for oid in (await connection.scalars(_OIDS, {"names": list(tables)})) if oid is not None]
        sizes = [
            Size(name, live, None if never else reltuples)
            for name, live, reltuples, never in (await connection.execute(_SIZES, {"tables": oids})).all()
        ]
        ready = sorted(size.table for size in sizes if size.due(min_rows))
        for name in ready:
            # The name is one PostgreSQL itself just returned for one of our tables; quoted all the same.
            await connection.exec_driver_sql(f'ANALYZE "{name}"')
        await connection.commit()
    return Analyzed(ready, sizes)


class Watch:
    """Counts the rows a process's writers add and, every so many of them, analyzes beside them (a task of
    its own, never in their transaction) those of `tables` that are due (`analyze_due`). It looks every
    `min_rows` rows at first, then every as many rows as its smallest filled table holds, since no table is
    due sooner: a handful of looks while tables are small, ever rarer as they grow. One per process
    (`AppContext.planner_statistics`); does nothing off PostgreSQL."""

    def __init__(
        self,
        engine: AsyncEngine,
        tables: Sequence[str] = PLANNED,
        *,
        min_rows: int,
        recheck_after: Sequence[float] = (1.0, 2.0, 4.0),
    ) -> None:
        self._engine = engine
        self._tables = tuple(tables)
        self._min_rows = min_rows
        self._every = min_rows  # rows written between two looks
        self._recheck_after = tuple(recheck_after)
        self._on = engine.dialect.name == "postgresql"
        self._since = 0
        self._written = 0
        self._task: asyncio.Task[None] | None = None

    def wrote(self, rows: int) -> None:
        """`rows` were committed: past every `_every` of them, look for tables to analyze."""
        if not self._on:
            return
        self._since += rows
        self._written += rows
        if self._since >= self._every and (self._task is None or self._task.done()):
            self._since = 0
            self._task = asyncio.create_task(self._analyze(), name="planner-statistics")

    async def close(self) -> None:
        """Stop a look under way, or waiting to look again, before the engine is disposed of."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _analyze(self) -> None:
        """One look, and a few more after a pause while a table never analyzed may only look small: PostgreSQL
        counts a commit's rows a moment later (seconds, when its statistics are busy), and the look that ends
        a burst of writes would otherwise be the last for as long as nothing more is written."""
        for pause in (0.0, *self._recheck_after):
            await asyncio.sleep(pause)
            try:
                done = await analyze_due(self._engine, self._tables, min_rows=self._min_rows)
            except Exception as error:  # statistics only speed the writes up; the next count tries again
                log.warning("db.analyze_failed", error=type(error).__name__)
                return
            if done.analyzed:
                log.info("db.analyzed", tables=done.analyzed)
            self._every = max(self._min_rows, done.smallest_filled or 0)
            never = {size.table for size in done.sizes if size.analyzed_rows is None} - set(done.analyzed)
            if self._written < self._min_rows or not never:
                return
