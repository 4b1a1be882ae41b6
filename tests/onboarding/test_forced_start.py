"""An operator forcing `enabled → initial_sync` (POST /v1/admin/tenants/{key}/stage, `rsc-service tenant
advance --to initial_sync`) starts the sync as the job does: the walk's progress from the start, and
reconcile's cursors set to now, so its first walk does not list again everything the sync walks
(docs/onboarding.md#operators)."""

from __future__ import annotations

from sqlalchemy import select

from rsc_service.onboarding.models import SetupProgress
from rsc_service.reconcile.models import ReconcileCursor
from rsc_service.reconcile.service import KINDS as RECONCILED
from rsc_service.tenants.models import Stage
from tests.conftest import ADMIN_TOKEN, FrozenClock
from tests.onboarding.conftest import World
from tests.onboarding.test_initial_sync import (  # noqa: F401 - fixture
    admin_user,
    enabled_tenant,
    linkedin_seed,
    stage_of,
)

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def test_a_forced_start_of_the_initial_sync_starts_it_as_the_job_does(
    world: World, clock: FrozenClock
) -> None:
    customer = await enabled_tenant(world, clock, admin=admin_user(world))
    clock.advance(minutes=3)
    started = clock()

    answer = await world.client.post(
        f"/v1/admin/tenants/{customer.key}/stage",
        json={"stage": "initial_sync", "reason": "LinkedIn confirmed by phone"},
        headers=AUTH,
    )

    assert answer.status_code == 200, answer.text
    assert await stage_of(world.ctx, customer) is Stage.INITIAL_SYNC
    async with world.ctx.sessionmaker() as session:
        cursors = {
            c.kind: c.since
            for c in await session.scalars(
                select(ReconcileCursor).where(ReconcileCursor.tenant_id == customer.id)
            )
        }
        progress = (
            await session.scalars(select(SetupProgress).where(SetupProgress.tenant_id == customer.id))
        ).all()
    assert set(cursors) == set(RECONCILED)
    assert {since.replace(tzinfo=started.tzinfo) if since else None for since in cursors.values()} == {
        started
    }
    assert progress and not any(row.finished or row.done for row in progress)
