"""A first sync into a new PostgreSQL database analyzes the tables it fills (db/statistics.py): without
statistics every look-up by tenant and keys reads all the tenant's rows, and a sync of 100,000 candidates
slowed to half of LinkedIn's budget as its tables grew. Committed data in a database of its own, as a
customer's first sync has."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rsc_service.db.session import create_engine, create_sessionmaker
from rsc_service.mirror import unit
from rsc_service.settings import Settings
from rsc_service.simulators.ats import seed
from tests import databases
from tests.conftest import FrozenClock, make_settings
from tests.flows.conftest import clocked_dispatcher
from tests.onboarding.conftest import PARTNER, RSC_URL, World
from tests.onboarding.test_initial_sync import enabled_tenant, run_until_active
from tests.test_query_plans import ANALYZED, autovacuum_off, pg_plan

pytestmark = pytest.mark.skipif(
    not databases.is_postgres(),
    reason="PostgreSQL's planner statistics; SQLite's plans: tests/test_query_plans.py",
)

FILLED = ("ats_records", "outbox_messages")


@pytest.fixture
def linkedin_seed() -> dict[str, Any]:
    return {}  # LinkedIn's default world, pre-enabled, as the initial sync's tests use


@pytest.fixture
async def engine(fresh_database: Callable[[bool], Awaitable[str]]) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(make_settings(await fresh_database(True)).database)
    await autovacuum_off(engine, FILLED)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)  # commits are real: PostgreSQL counts only committed rows


@pytest.fixture
def settings(engine: AsyncEngine) -> Settings:
    url = engine.url.render_as_string(hide_password=False)
    return make_settings(
        url,
        database={"url": url, "analyze_after_rows": 100},
        onboarding=PARTNER,
        server={"public_url": RSC_URL},
    )


async def test_a_first_sync_analyzes_what_it_fills_so_keys_stay_index_searches(
    world: World, clock: FrozenClock
) -> None:
    seed.generate(world.ats, users=3, jobs=6, candidates=150, seed=11)
    customer = await enabled_tenant(world, clock)

    # Paced as a large sync is (a page only while fewer than `bound` rows are owed), so the walk goes on for
    # seconds, as PostgreSQL's row counts, which it analyzes by, catch up with the commits.
    await run_until_active(world, clocked_dispatcher(world.ctx, clock), clock, customer, bound=100, rounds=80)

    analyzed: set[str] = set()
    deadline = time.monotonic() + 15
    while not analyzed >= set(FILLED) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)  # the analysis runs beside the walk
        async with world.ctx.engine.connect() as connection:
            analyzed = set(await connection.scalars(ANALYZED, {"names": list(FILLED)}))
    assert analyzed == set(FILLED)
    application = next(iter(world.ats.stores["application"].live()))["id"]
    async with world.ctx.engine.connect() as connection:
        plan = await pg_plan(
            connection,
            unit._reads(1, ()).postgresql,
            tenant_id=customer.id,
            kind_0="application",
            ids_0=[application],
        )
    # The application is found in the unique index by its id, not filtered from every application.
    assert "ats_id)::text = ANY" in plan.split('"Index Cond"')[1].split('",')[0], plan
    assert '"Filter"' not in plan, plan
