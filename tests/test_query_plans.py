"""The look-ups every ingest batch and every dispatcher pass runs find their keys through an index.

SQLite plans without statistics; a look-up that leaves an index column unconstrained or asks for an order can
walk every row of a tenant instead (ingest slowed as the outbox grew until these were fixed). Whatever the
pass's database, this checks the embedded default on a migrated SQLite file of its own.

PostgreSQL plans from statistics, which a new database has none of until autovacuum analyzes it: the intake
analyzes the tables its batches read once they hold rows (db/statistics.py). On the PostgreSQL pass, the
last class checks that a new database gets them from the writer, and that the keys are then index searches.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from rsc_service import bootstrap
from rsc_service.app import create_app
from rsc_service.ats_webhooks.intake import Intake
from rsc_service.context import AppContext, open_context
from rsc_service.db import migrate, statistics
from rsc_service.links import repository as link_repository
from rsc_service.mirror import unit
from rsc_service.outbox import repository as outbox_repository
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from tests import databases
from tests.conftest import FrozenClock, make_settings
from tests.factories import Ats, candidate, make_tenant

TENANT = uuid.uuid4()


@pytest.fixture(scope="module")
def planner(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path = Path(tmp_path_factory.mktemp("plans")) / "plans.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return sqlite3.connect(path)


def _plan(connection: sqlite3.Connection, statement: Any, **values: Any) -> list[str]:
    compiled = statement.params(**values).compile(
        dialect=sqlite.dialect(paramstyle="qmark"), compile_kwargs={"render_postcompile": True}
    )
    parameters = [None] * len(compiled.positiontup or [])
    rows = connection.execute(f"EXPLAIN QUERY PLAN {compiled.string}", parameters).fetchall()
    return [str(row[3]) for row in rows]


def _searched(plan: list[str], index: str) -> None:
    assert plan and all(step.startswith("SEARCH") for step in plan), plan
    assert any(f"INDEX {index} " in step for step in plan), plan


LOOKUPS = [
    (
        "mirror by id",
        unit._reads(1, ()).sqlite,
        {"kind_0": "candidate", "ids_0": ["a", "b"]},
        "sqlite_autoindex_ats_records_1",
    ),
    (
        "mirror by candidate",
        unit._reads(0, ("candidate_id",)).sqlite,
        {"under_candidate_id": ["a", "b"]},
        "ix_ats_records_candidate",
    ),
    ("mirror by job", unit._reads(0, ("job_id",)).sqlite, {"under_job_id": ["a", "b"]}, "ix_ats_records_job"),
    (
        "mirror by application",
        unit._reads(0, ("application_id",)).sqlite,
        {"under_application_id": ["a", "b"]},
        "ix_ats_records_application",
    ),
    (
        "candidate links",
        link_repository._MANUAL.sqlite,
        {"values": ["a", "b"]},
        "sqlite_autoindex_candidate_links_1",
    ),
    (
        "outbox by key",
        outbox_repository._BY_KEY.sqlite,
        {"resources": ["atsCandidates"], "values": ["a", "b"]},
        "sqlite_autoindex_outbox_messages_1",
    ),
    (
        "outbox by parent",
        outbox_repository._UNDER.sqlite,
        {"resource": "atsApplications/stages", "values": ["a", "b"]},
        "ix_outbox_messages_parent",
    ),
]


class TestIngestLookups:
    @pytest.mark.parametrize(
        ("statement", "values", "index"), [case[1:] for case in LOOKUPS], ids=[c[0] for c in LOOKUPS]
    )
    def test_is_an_index_search(
        self, planner: sqlite3.Connection, statement: Any, values: dict[str, Any], index: str
    ) -> None:
        _searched(_plan(planner, statement, tenant_id=TENANT, **values), index)


class TestMirrorReadTogether:
    def test_records_by_id_and_the_records_under_them_are_index_searches_in_one_statement(
        self, planner: sqlite3.Connection
    ) -> None:
        plan = _plan(
            planner,
            unit._reads(2, ("candidate_id", "job_id")).sqlite,
            tenant_id=TENANT,
            kind_0="candidate",
            ids_0=["a", "b"],
            kind_1="user",
            ids_1=["u"],
            under_candidate_id=["a", "b"],
            under_job_id=["j"],
        )
        searches = [step for step in plan if step.startswith("SEARCH")]
        assert plan[0] == "MULTI-INDEX OR" and len(searches) == 4, plan
        assert not [step for step in plan if step.startswith("SCAN")], plan
        # Each branch searches by the tenant and its keys, not by the tenant alone (every row of it).
        assert all("(tenant_id=? AND " in step for step in searches), plan


class TestOwedCount:
    def test_what_a_tenant_owes_is_counted_from_the_index_alone(self, planner: sqlite3.Connection) -> None:
        # The initial sync counts it before each page; read from the rows, it cost ~100 ms a page once the
        # tenant had half a million rows.
        plan = _plan(planner, outbox_repository.owed_count(TENANT, 20_000))
        assert any("COVERING INDEX ix_outbox_messages_tenant_due " in step for step in plan), plan


class TestClaims:
    """Ranking every due row made a claim cost the size of the largest backlog: 0.8 s at 300,000 rows of one
    tenant, every pass. On SQLite a claim finds the tenants with rows due, then reads each one's first rows
    from the (tenant, state, due, id) index, in its order, stopped at the cap."""

    def test_the_tenants_owing_rows_are_found_by_a_probe_of_the_index_each(
        self, planner: sqlite3.Connection
    ) -> None:
        plan = _plan(planner, outbox_repository._owing(State.PENDING, datetime.now(UTC), ()))
        outbox = [step for step in plan if " outbox_messages" in step]
        assert outbox, plan
        searched = "ix_outbox_messages_tenant_due (tenant_id=? AND state=?"
        assert all(step.startswith("SEARCH") and searched in step for step in outbox), plan

    def test_a_tenants_first_due_rows_are_one_range_read_in_index_order(
        self, planner: sqlite3.Connection
    ) -> None:
        query = outbox_repository.first_due(TENANT, State.PENDING, now=datetime.now(UTC), per_tenant=1000)
        plan = _plan(planner, query)
        assert plan == [
            "SEARCH outbox_messages USING COVERING INDEX ix_outbox_messages_tenant_due "
            "(tenant_id=? AND state=? AND next_attempt_at<?)"
        ]  # no sort: the index's order is the claim's

    def test_rows_whose_claimer_died_are_found_by_their_state(self, planner: sqlite3.Connection) -> None:
        plan = _plan(planner, outbox_repository._expired(datetime.now(UTC), ()))
        assert plan == ["SEARCH outbox_messages USING INDEX ix_outbox_messages_due (state=?)"]


class TestTheCheckItself:
    def test_a_look_up_ordered_by_id_is_caught(self, planner: sqlite3.Connection) -> None:
        # The shape the outbox look-up had: SQLite walks the tenant index to return rows in id order.
        walked = (
            select(OutboxMessage)
            .where(OutboxMessage.tenant_id == TENANT, OutboxMessage.key.in_(["a", "b"]))
            .order_by(OutboxMessage.id)
        )
        plan = _plan(planner, walked)
        with pytest.raises(AssertionError):
            _searched(plan, "sqlite_autoindex_outbox_messages_1")


PLANNED = statistics.PLANNED
# Analyzed by an ANALYZE statement (the writer's), not by autovacuum, which the test turns off.
ANALYZED = text(
    "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(:names) AND last_analyze IS NOT NULL"
)


async def autovacuum_off(engine: AsyncEngine, names: Iterable[str]) -> None:
    """Autovacuum could analyze a table first, at a few dozen rows, so the writer would not (a plan from such
    statistics scans the table): off, what is analyzed is the writer's doing."""
    async with engine.begin() as connection:
        for name in names:
            await connection.exec_driver_sql(f'ALTER TABLE "{name}" SET (autovacuum_enabled = off)')


async def pg_plan(connection: AsyncConnection, statement: Any, **values: Any) -> str:
    compiled = statement.compile(dialect=connection.dialect)
    bound = {**compiled.params, **values}
    parameters = tuple(
        compiled.binds[name].type.bind_processor(connection.dialect)(bound[name])  # type: ignore[misc]
        if compiled.binds[name].type.bind_processor(connection.dialect)
        else bound[name]
        for name in compiled.positiontup or []
    )
    result = await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled.string}", parameters)
    plan = result.scalar_one()
    return json.dumps(plan if not isinstance(plan, str) else json.loads(plan))


@pytest.mark.skipif(not databases.is_postgres(), reason="PostgreSQL's statistics; SQLite's plans are above")
class TestANewPostgresqlDatabase:
    async def test_the_writer_analyzes_its_tables_so_keys_are_index_searches(
        self, fresh_database: Callable[[bool], Awaitable[str]], clock: FrozenClock
    ) -> None:
        url = await fresh_database(True)
        # Analyzed at a few hundred rows, as the service's 1,000 would be: at about a hundred, a scan of the
        # table's few pages can cost less than two index searches, and the planner rightly takes it.
        settings = make_settings(url, database={"url": url, "analyze_after_rows": 500})
        async with open_context(settings) as ctx:
            ctx.clock = clock
            await autovacuum_off(ctx.engine, PLANNED)
            async with ctx.sessionmaker.begin() as session:
                registered = await make_tenant(session, ctx)
            intake = Intake(ctx)
            app = create_app(settings, service=bootstrap.build(ctx, intake=intake))
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://rsc.test"
            ) as client:
                ats = Ats(
                    client=client,
                    clock=clock,
                    tenant_key=registered.tenant.key,
                    secret=registered.webhook_secret,
                )
                sent = 0
                analyzed: set[str] = set()
                deadline = time.monotonic() + 30
                # PostgreSQL counts live rows a moment after each commit: keep writing until the writer saw
                # enough of them (it looks every `analyze_after_rows` webhooks), as a first sync would.
                while analyzed != set(PLANNED) - {"candidate_links"} and time.monotonic() < deadline:
                    batch = [
                        ats.send("candidate.created", candidate(f"cand_{n:05d}"))
                        for n in range(sent, sent + 50)
                    ]
                    assert {r.status_code for r in await asyncio.gather(*batch)} == {202}
                    sent += 50
                    await asyncio.sleep(0.2)
                    async with ctx.engine.connect() as connection:
                        found = await connection.scalars(ANALYZED, {"names": list(PLANNED)})
                        analyzed = set(found)
            # candidate_links holds no rows yet: nothing to learn from it, so it waits for rows of its own.
            assert analyzed == {"ats_webhook_events", "ats_records", "outbox_messages"}, (sent, analyzed)
            async with ctx.engine.connect() as connection:
                wanted = ["cand_00007", "cand_00042"]
                by_id = await pg_plan(
                    connection,
                    unit._reads(1, ()).postgresql,
                    tenant_id=registered.tenant.id,
                    kind_0="candidate",
                    ids_0=wanted,
                )
                by_key = await pg_plan(
                    connection,
                    outbox_repository._BY_KEY.postgresql,
                    tenant_id=registered.tenant.id,
                    resources=["atsCandidates"],
                    values=wanted,
                )
                # On a table of a few hundred rows a scan can be the cheaper plan for an OR; what matters at
                # any size is that every branch is answered from an index, so scans are priced out here.
                await connection.exec_driver_sql("SET enable_seqscan = off")
                together = await pg_plan(
                    connection,
                    unit._reads(1, ("candidate_id",)).postgresql,
                    tenant_id=registered.tenant.id,
                    kind_0="candidate",
                    ids_0=wanted,
                    under_candidate_id=wanted,
                )
        # Each key is looked up in the unique index, not filtered from every row of the tenant.
        assert '"Index Name": "uq_ats_records_tenant_id_kind_ats_id"' in by_id, by_id
        assert "ats_id)::text = ANY" in by_id.split('"Index Cond"')[1].split('",')[0], by_id
        assert '"Filter"' not in by_id, by_id
        assert "Seq Scan" not in together, together
        assert '"Index Name": "uq_ats_records_tenant_id_kind_ats_id"' in together, together
        assert '"Index Name": "ix_ats_records_candidate"' in together, together
        assert '"Index Name": "uq_outbox_messages_tenant_id_resource_key"' in by_key, by_key
        assert '"Filter"' not in by_key, by_key


# How many times ANALYZE ran on ats_records (autovacuum is off), and its live rows as PostgreSQL counts them.
_ANALYSES = text("SELECT analyze_count, n_live_tup FROM pg_stat_user_tables WHERE relname = 'ats_records'")
_ADD_RECORDS = text(
    "INSERT INTO ats_records (tenant_id, kind, ats_id, version, deleted, data, occurred_at, updated_at) "
    "SELECT :tenant, 'candidate', :prefix || n, 1, false, '{}'::jsonb, now(), now() "
    "FROM generate_series(1, :count) AS n"
)


@pytest.mark.skipif(not databases.is_postgres(), reason="PostgreSQL's statistics; SQLite's plans are above")
class TestAGrowingPostgresqlTable:
    async def test_a_table_is_analyzed_again_each_time_it_doubles(
        self, fresh_database: Callable[[bool], Awaitable[str]]
    ) -> None:
        """Statistics from a small table make plans that scan it, and a prepared statement keeps its generic
        plan until the next analysis: a table filled faster than autovacuum looks is analyzed again by the
        writers' watch once it holds twice the rows it had at its last analysis, and not before."""
        url = await fresh_database(True)
        settings = make_settings(url, database={"url": url})
        async with open_context(settings) as ctx:
            await autovacuum_off(ctx.engine, PLANNED)
            async with ctx.sessionmaker.begin() as session:
                tenant = (await make_tenant(session, ctx)).tenant

            async def grow_to(rows: int) -> None:
                async with ctx.engine.begin() as connection:
                    count = rows - await counted(0)
                    await connection.execute(
                        _ADD_RECORDS, {"tenant": tenant.id, "prefix": f"c{rows}_", "count": count}
                    )
                await counted(rows)

            async def counted(rows: int) -> int:
                """Live rows once PostgreSQL's counts show at least `rows` (they lag the commits a moment)."""
                deadline = time.monotonic() + 10
                while True:
                    async with ctx.engine.connect() as connection:
                        live = (await connection.execute(_ANALYSES)).one()[1]
                    if live >= rows or time.monotonic() > deadline:
                        return int(live)
                    await asyncio.sleep(0.1)

            async def due() -> list[str]:
                done = await statistics.analyze_due(ctx.engine, ["ats_records"], min_rows=100)
                return done.analyzed

            await grow_to(60)
            assert (await due(), await _analyses(ctx)) == ([], 0)  # too few rows to learn from
            await grow_to(150)
            assert (await due(), await _analyses(ctx)) == (["ats_records"], 1)  # never analyzed
            await grow_to(290)
            assert (await due(), await _analyses(ctx)) == ([], 1)  # not yet twice the 150 analyzed
            await grow_to(300)
            assert (await due(), await _analyses(ctx)) == (["ats_records"], 2)
            await grow_to(590)
            assert (await due(), await _analyses(ctx)) == ([], 2)
            await grow_to(610)
            assert (await due(), await _analyses(ctx)) == (["ats_records"], 3)

    async def test_the_watch_looks_again_while_the_counts_lag_the_commits(
        self, fresh_database: Callable[[bool], Awaitable[str]]
    ) -> None:
        """The look that ends a burst of writes can see PostgreSQL's counts from before its last commits
        (they lag a moment, seconds when busy): the watch looks again shortly, so the table is analyzed
        though nothing more is written."""
        url = await fresh_database(True)
        async with open_context(make_settings(url, database={"url": url})) as ctx:
            await autovacuum_off(ctx.engine, PLANNED)
            async with ctx.sessionmaker.begin() as session:
                tenant = (await make_tenant(session, ctx)).tenant
            watch = statistics.Watch(ctx.engine, ["ats_records"], min_rows=100, recheck_after=(0.5, 1, 2, 4))
            async with ctx.engine.begin() as connection:
                await connection.execute(_ADD_RECORDS, {"tenant": tenant.id, "prefix": "c", "count": 200})
                watch.wrote(200)  # its first look runs before these rows are committed, so it counts none
                await asyncio.sleep(0.3)

            deadline = time.monotonic() + 15
            while (analyzed := await _analyses(ctx)) == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
        assert analyzed == 1


async def _analyses(ctx: AppContext) -> int:
    async with ctx.engine.connect() as connection:
        return int((await connection.execute(_ANALYSES)).one()[0])
