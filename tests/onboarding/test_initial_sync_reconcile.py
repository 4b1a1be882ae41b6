"""The initial sync and the hourly reconcile: reconcile leaves a syncing tenant alone, then carries on from
where the sync began, so it neither walks the whole ATS again nor brings back jobs the sync left out."""

from __future__ import annotations

from typing import Any

import pytest

from rsc_service.onboarding.jobs import advance_all
from rsc_service.reconcile import service as reconcile_service
from rsc_service.simulators.ats import seed
from tests.conftest import FrozenClock
from tests.flows.conftest import clocked_dispatcher, drain
from tests.onboarding.conftest import World
from tests.onboarding.test_initial_sync import (
    admin_user,
    at_linkedin,
    enabled_tenant,
    old_job,
    run_until_active,
)


@pytest.fixture
def linkedin_seed() -> dict[str, Any]:
    return {}  # LinkedIn's default world: the simulator's child app, integrations enabled


async def test_reconcile_starts_where_the_initial_sync_began(world: World, clock: FrozenClock) -> None:
    seed.generate(world.ats, users=2, jobs=4, candidates=30, seed=3)
    dropped = old_job(world, clock, status="closed")  # closed three years ago: the sync leaves it out
    customer = await enabled_tenant(world, clock, admin=admin_user(world))
    dispatcher = clocked_dispatcher(world.ctx, clock)
    # While the tenant syncs, the hourly reconcile does not walk it.
    await advance_all(world.ctx, seconds=60)
    during = await reconcile_service.run_now(world.ctx)
    assert [r.tenant_key for r in during] == []

    await run_until_active(world, dispatcher, clock, customer)
    clock.advance(seconds=3600)
    changed = world.ats.create(
        "candidate",
        {
            "first_name": "New",
            "last_name": "Comer",
            "emails": [{"address": "new@comer.example", "type": "work"}],
        },
    )
    [report] = await reconcile_service.run_now(world.ctx)
    await drain(dispatcher, clock)

    assert report.error is None, report
    assert report.seen <= 10, report.seen  # changes since the sync began, not the whole ATS again
    held = at_linkedin(world)
    assert changed["id"] in held["candidate"]
    assert dropped["id"] not in held["job"]
