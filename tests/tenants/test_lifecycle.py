"""Every pair of stages: the moves the lifecycle allows write one audit row; every other is a 409 that changes
nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.tenants import lifecycle
from rsc_service.tenants.models import Stage, StageChange, Tenant
from tests.factories import make_tenant

ALLOWED = {
    (Stage.REQUESTED, Stage.PARTNER_READY),
    (Stage.REQUESTED, Stage.DEACTIVATED),
    (Stage.PARTNER_READY, Stage.ENABLED),
    (Stage.PARTNER_READY, Stage.DEACTIVATED),
    (Stage.ENABLED, Stage.INITIAL_SYNC),
    (Stage.ENABLED, Stage.PARTNER_READY),
    (Stage.ENABLED, Stage.DEACTIVATED),
    (Stage.INITIAL_SYNC, Stage.ACTIVE),
    (Stage.INITIAL_SYNC, Stage.DEACTIVATED),
    (Stage.ACTIVE, Stage.DEACTIVATED),
    (Stage.DEACTIVATED, Stage.REQUESTED),
}
AT = datetime(2026, 12, 6, 12, tzinfo=UTC)


def test_the_table_is_exactly_the_documented_moves() -> None:
    table = {(a, b) for a, targets in lifecycle.TRANSITIONS.items() for b in targets}
    assert table == ALLOWED
    assert set(lifecycle.TRANSITIONS) == set(Stage)


@pytest.mark.parametrize(("current", "wanted"), list(itertools.product(Stage, Stage)), ids=lambda s: s.value)
async def test_every_pair(ctx: AppContext, current: Stage, wanted: Stage) -> None:
    async with ctx.sessionmaker() as session:
        tenant = (await make_tenant(session, ctx)).tenant
        tenant.stage = current  # the starting point of this case, set directly
        await session.flush()
        before = await session.scalar(select(StageChange.id).order_by(StageChange.id.desc()).limit(1))

        if (current, wanted) in ALLOWED:
            change = lifecycle.advance(
                session, tenant, wanted, actor=lifecycle.Actor.ats_user("u1"), reason="why", now=AT
            )
            await session.flush()
            assert tenant.stage is wanted and tenant.stage_changed_at == AT
            rows = (await session.scalars(select(StageChange).where(StageChange.id > before))).all()
            assert [(r.from_stage, r.to_stage, r.actor, r.reason, r.at) for r in rows] == [
                (current, wanted, "ats_user:u1", "why", AT)
            ]
            assert change is rows[0]
        else:
            with pytest.raises(lifecycle.IllegalTransition) as refused:
                lifecycle.advance(session, tenant, wanted, actor=lifecycle.OPERATOR, reason="why", now=AT)
            assert refused.value.status == 409
            assert f"{current.value!r} cannot move to {wanted.value!r}" in str(refused.value)
            await session.flush()
            assert (await session.get(Tenant, tenant.id)).stage is current  # type: ignore[union-attr]
            assert await session.scalar(select(StageChange.id).where(StageChange.id > before)) is None
        await session.rollback()


@pytest.mark.parametrize("actor", [lifecycle.OPERATOR, lifecycle.SERVICE, lifecycle.Actor.ats_user("u1")])
async def test_no_one_moves_a_tenant_out_of_a_deactivation_before_it_finished(
    ctx: AppContext, actor: lifecycle.Actor
) -> None:
    """Else the deactivation stops halfway: LinkedIn's copy is left and the local data never purged."""
    async with ctx.sessionmaker() as session:
        tenant = (await make_tenant(session, ctx)).tenant
        tenant.stage, tenant.deactivation_mode = Stage.DEACTIVATED, "delete"
        await session.flush()

        with pytest.raises(lifecycle.DeactivationRunning) as refused:
            lifecycle.advance(session, tenant, Stage.REQUESTED, actor=actor, reason="back", now=AT)
        assert (refused.value.status, refused.value.code) == (409, "deactivation_running")
        assert tenant.stage is Stage.DEACTIVATED

        tenant.deactivation_finished_at = AT
        lifecycle.advance(session, tenant, Stage.REQUESTED, actor=actor, reason="back", now=AT)
        assert tenant.stage is Stage.REQUESTED
        await session.rollback()
