"""A tenant's sync health: outbox depth and age, dead letters, the last error, the sending pause, and
LinkedIn's quota left; plus the same figures as metric samples (docs/architecture.md#20-operations)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.outbox import repository
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Tenant
from rsc_service.throttle import service as throttle
from rsc_service.web.metrics_collect import QuotaSample, TenantSample

_OWED = (State.PENDING, State.INFLIGHT, State.AWAITING_TASK)


@dataclass(frozen=True)
class LastError:
    resource: str
    key: str
    state: str
    message: str
    at: datetime


@dataclass(frozen=True)
class SyncHealth:
    depth: dict[str, int]
    oldest_owed_at: datetime | None
    oldest_age_seconds: float | None
    dead: int
    last_error: LastError | None
    paused_until: datetime | None
    paused_reason: str | None
    quotas: list[throttle.Quota]


async def for_tenant(
    session: AsyncSession, *, tenant: Tenant, budgets: Mapping[str, throttle.Budget], now: datetime
) -> SyncHealth:
    depth = {state.value: 0 for state in State} | await repository.count_by_state(
        session, tenant_id=tenant.id
    )
    oldest = await _oldest_owed(session, tenant=tenant)
    paused = tenant.sending_paused_until is not None and tenant.sending_paused_until > now
    return SyncHealth(
        depth=depth,
        oldest_owed_at=oldest,
        oldest_age_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else None,
        dead=depth[State.DEAD.value],
        last_error=await _last_error(session, tenant=tenant),
        paused_until=tenant.sending_paused_until if paused else None,
        paused_reason=tenant.sending_paused_reason if paused else None,
        quotas=[
            await throttle.quota(session, app=app, group=group, budget=budget, now=now)
            for group, budget in budgets.items()
            if (app := tenant.linkedin_client_id) is not None  # none before onboarding provisions one
        ],
    )


async def samples(ctx: AppContext) -> list[TenantSample]:
    """Every tenant's figures for the metric gauges (web/metrics_collect.py)."""
    now = ctx.clock()
    wanted = throttle.budgets(ctx.settings.linkedin)
    async with ctx.sessionmaker() as session:
        found = []
        for tenant in await tenant_service.list_all(session):
            health = await for_tenant(session, tenant=tenant, budgets=wanted, now=now)
            quotas = [
                QuotaSample(tenant.linkedin_client_id or "", q.group, q.records_left, q.requests_left)
                for q in health.quotas
            ]
            found.append(TenantSample(tenant.key, health.depth, health.oldest_age_seconds, quotas))
        return found


async def _oldest_owed(session: AsyncSession, *, tenant: Tenant) -> datetime | None:
    # Since when each owed row is owed: not `updated_at`, which every claim and retry moves, so a row failing
    # for hours would look as young as its last attempt (docs/architecture.md#20-operations).
    owed_since = func.coalesce(OutboxMessage.owed_since, OutboxMessage.created_at)
    value: datetime | None = await session.scalar(
        select(func.min(owed_since)).where(
            OutboxMessage.tenant_id == tenant.id, OutboxMessage.state.in_(_OWED)
        )
    )
    return value


async def _last_error(session: AsyncSession, *, tenant: Tenant) -> LastError | None:
    row = await session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.tenant_id == tenant.id, OutboxMessage.last_error.is_not(None))
        .order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    )
    if row is None or row.last_error is None:
        return None
    return LastError(row.resource, row.key, row.state.value, row.last_error, row.updated_at)
