"""Planner statistics for tables PostgreSQL has never analyzed (docs/architecture.md#14-ingest).

A table that was never analyzed is planned from its size alone, with a guessed selectivity for each column:
`tenant_id = $1` looks as if it matched a handful of rows, so a look-up by tenant and a list of keys walks
every row of the tenant along the index prefix and filters, instead of finding each key. Autovacuum analyzes
a table a minute or so after its first rows; until then the first sync into a new database runs at a
fraction of its speed, slower the more it has stored. `analyze_new()` analyzes, once, those of the given
tables that hold rows and have no statistics yet. SQLite needs none of this: its look-ups are planned from
the indexes alone (tests/test_query_plans.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

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
