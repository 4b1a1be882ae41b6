"""A tenant's stages and the moves between them; `advance` is the only code that sets `tenant.stage`
(docs/onboarding.md#stages).

    requested → partner_ready → enabled → initial_sync → active
        any stage → deactivated → requested (a returning customer)

`enabled → partner_ready` is LinkedIn disabling every integration before the initial sync began; once
syncing, a disabled integration pauses sending instead (docs/architecture.md#1-tenants).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.errors import Conflict
from rsc_service.tenants.models import Stage, StageChange, Tenant

TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.REQUESTED: frozenset({Stage.PARTNER_READY, Stage.DEACTIVATED}),
    Stage.PARTNER_READY: frozenset({Stage.ENABLED, Stage.DEACTIVATED}),
    Stage.ENABLED: frozenset({Stage.INITIAL_SYNC, Stage.PARTNER_READY, Stage.DEACTIVATED}),
    Stage.INITIAL_SYNC: frozenset({Stage.ACTIVE, Stage.DEACTIVATED}),
    Stage.ACTIVE: frozenset({Stage.DEACTIVATED}),
    Stage.DEACTIVATED: frozenset({Stage.REQUESTED}),
}

# Stages in which the tenant's outbox is sent: before them LinkedIn would refuse (nothing is enabled yet).
SENDING = frozenset({Stage.INITIAL_SYNC, Stage.ACTIVE})


class IllegalTransition(Conflict):
    code = "illegal_stage_transition"


class DeactivationRunning(Conflict):
    code = "deactivation_running"


class TenantDeactivated(Conflict):
    """Work begun before the tenant's deactivation found it deactivated before it wrote: it stops there."""

    code = "tenant_deactivated"


@dataclass(frozen=True)
class Actor:
    """Who moves a tenant: `operator`, `ats_user:<id>`, `linkedin` (a notification) or `service` (a job)."""

    name: str

    @classmethod
    def ats_user(cls, user_id: str) -> Actor:
        return cls(f"ats_user:{user_id}")


OPERATOR = Actor("operator")
LINKEDIN = Actor("linkedin")
SERVICE = Actor("service")


def allowed(current: Stage, wanted: Stage) -> bool:
    return wanted in TRANSITIONS[current]


def check(current: Stage, wanted: Stage) -> None:
    if not allowed(current, wanted):
        options = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise IllegalTransition(
            f"a tenant in stage {current.value!r} cannot move to {wanted.value!r} (allowed: {options})"
        )


def check_deactivation_finished(tenant: Tenant) -> None:
    """A deactivated tenant leaves `deactivated` only once its deactivation has finished (409 before): the
    job would stop deleting and purging, and the LinkedIn credentials and data would be in use by two
    things at once (docs/onboarding.md#deactivation-a8). A tenant moved to `deactivated` without a
    deactivation (no mode recorded) has nothing running."""
    mode = tenant.deactivation_mode
    if tenant.stage is Stage.DEACTIVATED and mode is not None and tenant.deactivation_finished_at is None:
        raise DeactivationRunning(
            f"tenant {tenant.key} is still being deactivated (mode {mode}): activate it again once "
            "GET /v1/integration/deactivation says finished"
        )


def check_not_deactivated(tenant: Tenant) -> None:
    """Deactivation stops the tenant's work at once (docs/onboarding.md#deactivation-a8): a step about to
    write for the customer raises TenantDeactivated once the stage it read, locked, says `deactivated`."""
    if tenant.stage is Stage.DEACTIVATED:
        raise TenantDeactivated(f"tenant {tenant.key} is deactivated: nothing more is written for it")


def begin(
    session: AsyncSession, tenant: Tenant, stage: Stage, *, actor: Actor, reason: str, now: datetime
) -> None:
    """The first stage of a new tenant (`requested`, or `active` for a registered child app), audited; adds
    the tenant to the session first, so its row is inserted before its audit row."""
    tenant.stage = stage
    tenant.stage_changed_at = now
    session.add(tenant)
    session.add(
        StageChange(
            tenant_id=tenant.id, from_stage=None, to_stage=stage, actor=actor.name, reason=reason, at=now
        )
    )


def advance(
    session: AsyncSession, tenant: Tenant, stage: Stage, *, actor: Actor, reason: str, now: datetime
) -> StageChange:
    """Move `tenant` to `stage` (409 if the move is not allowed, or if it leaves a deactivation that has not
    finished) and write the audit row; flushes nothing."""
    check(tenant.stage, stage)
    check_deactivation_finished(tenant)
    change = StageChange(
        tenant_id=tenant.id,
        from_stage=tenant.stage,
        to_stage=stage,
        actor=actor.name,
        reason=reason[:500],
        at=now,
    )
    tenant.stage = stage
    tenant.stage_changed_at = now
    session.add(change)
    return change
