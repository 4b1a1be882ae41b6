"""Planner statistics for tables PostgreSQL has never analyzed (docs/architecture.md#14-ingest).

A table that was never analyzed is planned from its size alone, with a guessed selectivity for each column:
`tenant_id = $1` looks as if it matched a handful of rows, so a look-up by tenant and a list of keys walks
every row of the tenant along the index prefix and filters, instead of finding each key. Autovacuum analyzes
a table a minute or so after its first rows; until then the first sync into a new database runs at a
fraction of its speed, slower the more it has stored; where autovacuum is off, for good (a first sync of
100,000 candidates fell to half of LinkedIn's budget once its tables held a few hundred thousand rows).
`analyze_new()` analyzes, once, those of the given tables that hold rows and have no statistics yet, and
`Watch` calls it beside whoever writes many rows (the webhook writer, the initial sync's walk) until each
table has statistics. SQLite needs none of this: its look-ups are planned from the indexes alone
(tests/test_query_plans.py).
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

_NEVER_ANALYZED = text(
    "SELECT relname, n_live_tup FROM pg_stat_user_tables "
    "WHERE relid = ANY(:tables) AND last_analyze IS NULL AND last_autoanalyze IS NULL"
).bindparams(bindparam("tables"))
_OIDS = text("SELECT to_regclass(name)::oid FROM unnest(CAST(:names AS text[])) AS name")


@dataclass(frozen=True)
class Analyzed:
    analyzed: list[str]  # analyzed now
    waiting: list[str]  # still without statistics: too few rows yet

    @property
    def done(self) -> bool:
        return not self.waiting


async def analyze_new(engine: AsyncEngine, tables: Sequence[str], *, min_rows: int) -> Analyzed:
    """ANALYZE each of `tables` that has no statistics and at least `min_rows` rows (PostgreSQL only)."""
    if engine.dialect.name != "postgresql":
        return Analyzed([], [])
    async with engine.connect() as connection:
        oids = [oid for oid in (await connection.scalars(_OIDS, {"names": list(tables)})) if oid is not None]
        rows = (await connection.execute(_NEVER_ANALYZED, {"tables": oids})).all()
        ready = sorted(name for name, live in rows if live >= min_rows)
        for name in ready:
            # The name is one PostgreSQL itself just returned for one of our tables; quoted all the same.
            await connection.exec_driver_sql(f'ANALYZE "{name}"')
        await connection.commit()
    return Analyzed(ready, sorted(name for name, live in rows if live < min_rows))


class Watch:
    """Counts the rows a process's writers add and, every `min_rows` of them, analyzes beside them (a task of
    its own, never in their transaction) those of `tables` that still have no statistics, until each has
    them. One per process (`AppContext.planner_statistics`); does nothing off PostgreSQL."""

    def __init__(self, engine: AsyncEngine, tables: Sequence[str] = PLANNED, *, min_rows: int) -> None:
        self._engine = engine
        self._tables = tuple(tables)
        self._min_rows = min_rows
        self._pending = engine.dialect.name == "postgresql"
        self._since = 0
        self._task: asyncio.Task[None] | None = None

    def wrote(self, rows: int) -> None:
        """`rows` were committed: past every `min_rows` of them, look for tables to analyze."""
        if not self._pending:
            return
        self._since += rows
        if self._since >= self._min_rows and (self._task is None or self._task.done()):
            self._since = 0
            self._task = asyncio.create_task(self._analyze(), name="planner-statistics")

    async def _analyze(self) -> None:
        try:
            done = await analyze_new(self._engine, self._tables, min_rows=self._min_rows)
        except Exception as error:  # statistics only speed the writes up; the next count tries again
            log.warning("db.analyze_failed", error=type(error).__name__)
            return
        if done.analyzed:
            log.info("db.analyzed", tables=done.analyzed)
        self._pending = not done.done
