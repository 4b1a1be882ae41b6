"""LinkedIn's notifications: recorded once on arrival, processed later by a job; and the polling that stands
in for a notification that never came (docs/onboarding.md#notifications).

Recording only flushes (the route's session commits). The two loops own their transactions: one per
notification, one per tenant polled, each committed on its own so a failure loses only that one.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rsc_service.errors import ServiceError
from rsc_service.integrations.linkedin import MAX_BATCH, LinkedInError, Throttled
from rsc_service.integrations.linkedin import wire as li
from rsc_service.linkedin_notifications import metrics, repository
from rsc_service.linkedin_notifications.models import (
    EXPORT_CANDIDATE_PROFILE,
    INTEGRATION_STATUS_CHANGE,
    State,
)
from rsc_service.linkedin_notifications.repository import Claimed
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.apps import TenantApps
from rsc_service.tenants.models import Stage, Tenant

log = structlog.get_logger()
Now = Callable[[], Awaitable[datetime]]

# Without an export handler (exports/ acts on them) export rows wait, pending, and are never claimed.
LEFT_FOR_LATER = frozenset({EXPORT_CANDIDATE_PROFILE})
# Settles the claimed notification inside the caller's transaction: False when another worker has it now.
Fence = Callable[[AsyncSession], Awaitable[bool]]
# Acts on one export notification (tenant, request id), settling it through the fence in its own last
# transaction; False when the fence said the notification was taken over.
ExportHandler = Callable[[uuid.UUID, str, Fence], Awaitable[bool]]
MAX_ATTEMPTS = 20
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(minutes=10)
CLAIM_BATCH = 10
# A claim covers its whole batch; a worker slower than this is taken over, and the fence in
# repository.lock_claimed keeps the slow one from changing anything afterwards.
CLAIM_FOR = timedelta(minutes=5)


# ---- arrival ----


async def record(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    kind: str,
    request_id: str,
    received_at: datetime,
    expires_at: datetime | None,
) -> bool:
    """Store a verified notification, due at once; False for one stored before (a repeated delivery)."""
    new = await repository.add(
        session,
        tenant_id=tenant_id,
        kind=kind,
        request_id=request_id,
        received_at=received_at,
        expires_at=expires_at,
    )
    metrics.received(kind, duplicate=not new)
    return new


# ---- processing (the job process_pending_notifications) ----


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: 5 s, doubling, at most 10 minutes."""
    doublings: int = min(max(attempts - 1, 0), 16)
    return min(BACKOFF_CAP, BACKOFF_BASE * (1 << doublings))


def _describe(exc: Exception) -> str:
    """What went wrong, for last_error: LinkedIn's category, status and message, or our own error's message;
    anything else only by its type (its message could carry data; the log has the rest)."""
    if isinstance(exc, LinkedInError):
        status = exc.status if exc.status is not None else "no answer"
        return f"LinkedIn {exc.category.value} ({status}): {exc.message}"[:500]
    if isinstance(exc, ServiceError):
        return f"{type(exc).__name__}: {exc.detail or ''}"[:500]
    return type(exc).__name__


def _statuses(integrations: Sequence[li.AtsIntegration]) -> list[tenant_service.IntegrationStatus]:
    return [
        tenant_service.IntegrationStatus(i.integration_context, i.integration_type, i.status)
        for i in integrations
        if i.integration_context and i.integration_type and i.status
    ]


async def _settle(
    sessionmaker: async_sessionmaker[AsyncSession],
    claimed: Claimed,
    *,
    state: State,
    at: datetime,
    note: str | None = None,
) -> bool:
    """Close the notification as `state` if the claim still holds it."""
    async with sessionmaker.begin() as session:
        row = await repository.lock_claimed(session, claimed)
        if row is None:
            return False
        row.state, row.processed_at, row.last_error = state.value, at, note
        await session.flush()
    return True


def _closing(claimed: Claimed, now: Now) -> Fence:
    """The fence of an export: in the handler's transaction, close the notification as done if the claim
    still holds it."""

    async def close(session: AsyncSession) -> bool:
        row = await repository.lock_claimed(session, claimed)
        if row is None:
            return False
        row.state, row.processed_at, row.last_error = State.DONE.value, await now(), None
        await session.flush()
        return True

    return close


async def _status_change(
    sessionmaker: async_sessionmaker[AsyncSession], apps: TenantApps, claimed: Claimed, now: Now
) -> bool:
    """Read what the request id is about from LinkedIn, then, in one transaction, record the statuses
    (which may move the tenant's stage) and close the notification."""
    tenant_app = await apps.for_tenant(claimed.tenant_id)
    page = await tenant_app.app.get_integration_status(claimed.request_id)
    at = await now()
    async with sessionmaker.begin() as session:
        row = await repository.lock_claimed(session, claimed)
        if row is None:
            return False
        tenant = await tenant_service.get(session, claimed.tenant_id)
        await tenant_service.record_integration_status(
            session, tenant, _statuses(page.elements), actor=lifecycle.LINKEDIN, now=at
        )
        row.state, row.processed_at, row.last_error = State.DONE.value, at, None
        await session.flush()
    return True


async def _failed(
    sessionmaker: async_sessionmaker[AsyncSession], claimed: Claimed, exc: Exception, at: datetime
) -> str | None:
    """Count the failure and set the next try (exponential backoff), or give up: out of attempts, or past
    the notification's expiry. A 429 spends no attempt (docs/architecture.md#11-retries-and-dead-letters).
    Returns the outcome, or None when the claim was lost meanwhile."""
    throttled = isinstance(exc, Throttled)
    attempts = claimed.attempts + (0 if throttled else 1)
    wait = backoff(max(attempts, 1))
    if isinstance(exc, Throttled) and exc.retry_after is not None:
        wait = min(BACKOFF_CAP, max(BACKOFF_BASE, timedelta(seconds=exc.retry_after)))
    expired = claimed.expires_at is not None and at >= claimed.expires_at
    give_up = attempts >= MAX_ATTEMPTS or expired
    note = _describe(exc)
    if give_up:
        why = "expired" if expired else f"{attempts} attempts"
        note = f"gave up ({why}); last: {note}"[:500]
    async with sessionmaker.begin() as session:
        row = await repository.lock_claimed(session, claimed)
        if row is None:
            return None
        row.attempts, row.last_error = attempts, note
        if give_up:
            row.state, row.processed_at = State.FAILED.value, at
        else:
            row.next_attempt_at = at + wait
        await session.flush()
    return "failed" if give_up else "retried"


_DEACTIVATED = "the customer is deactivated: not acted on"


async def _deactivated(sessionmaker: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID) -> bool:
    async with sessionmaker() as session:
        return (await tenant_service.get(session, tenant_id)).stage is Stage.DEACTIVATED


async def _process(
    sessionmaker: async_sessionmaker[AsyncSession],
    apps: TenantApps,
    claimed: Claimed,
    now: Now,
    exports: ExportHandler | None = None,
) -> str | None:
    at = await now()
    acted_on = {INTEGRATION_STATUS_CHANGE} | ({EXPORT_CANDIDATE_PROFILE} if exports is not None else set())
    if claimed.kind not in acted_on:
        note = f"{claimed.kind[:60]} notifications are not acted on"
        return (
            "ignored" if await _settle(sessionmaker, claimed, state=State.IGNORED, at=at, note=note) else None
        )
    try:
        if await _deactivated(sessionmaker, claimed.tenant_id):
            # Deactivation stops the sync at once (docs/onboarding.md#deactivation-a8): nothing is written to
            # the customer's ATS, nothing read from LinkedIn for it, whatever was pending then.
            settled = await _settle(sessionmaker, claimed, state=State.IGNORED, at=at, note=_DEACTIVATED)
            return "ignored" if settled else None
        if claimed.expires_at is not None and at >= claimed.expires_at:
            note = "expired before it was processed; LinkedIn no longer serves its data"
            settled = await _settle(sessionmaker, claimed, state=State.FAILED, at=at, note=note)
            return "failed" if settled else None
        if exports is not None and claimed.kind == EXPORT_CANDIDATE_PROFILE:
            return (
                "done"
                if await exports(claimed.tenant_id, claimed.request_id, _closing(claimed, now))
                else None
            )
        return "done" if await _status_change(sessionmaker, apps, claimed, now) else None
    except lifecycle.TenantDeactivated:  # deactivated while the export read LinkedIn: it wrote nothing
        settled = await _settle(sessionmaker, claimed, state=State.IGNORED, at=await now(), note=_DEACTIVATED)
        return "ignored" if settled else None
    except Exception as exc:
        log.warning(
            "linkedin_notifications.failed",
            notification=claimed.id,
            tenant_id=str(claimed.tenant_id),
            kind=claimed.kind,
            error=_describe(exc),
            exc_info=not isinstance(exc, LinkedInError | ServiceError),
        )
        return await _failed(sessionmaker, claimed, exc, await now())


async def process_pending(
    sessionmaker: async_sessionmaker[AsyncSession],
    apps: TenantApps,
    *,
    now: Now,
    batch: int = CLAIM_BATCH,
    max_batches: int = 5,
    exports: ExportHandler | None = None,
) -> Counter[str]:
    """Claim due notifications a small batch at a time and process each in its own transaction:
    INTEGRATION_STATUS_CHANGE records what LinkedIn says of the integrations (actor `linkedin`), types this
    service does not act on are closed as `ignored`, EXPORT_CANDIDATE_PROFILE goes to `exports` (left
    pending without one). A deactivated customer's notifications are all closed as `ignored`, unacted on.
    Returns the count of each outcome."""
    outcomes: Counter[str] = Counter()
    for _ in range(max_batches):
        at = await now()
        async with sessionmaker.begin() as session:
            claimed = await repository.claim_due(
                session,
                now=at,
                claimed_until=at + CLAIM_FOR,
                limit=batch,
                left_for_others=LEFT_FOR_LATER if exports is None else frozenset(),
            )
        for notification in claimed:
            outcome = await _process(sessionmaker, apps, notification, now, exports)
            if outcome is None:
                log.info("linkedin_notifications.taken_over", notification=notification.id)
                continue
            outcomes[outcome] += 1
            metrics.processed(notification.kind, outcome)
        if len(claimed) < batch:
            break
    return outcomes


# ---- polling (the job poll_integration_status) ----


@dataclass(frozen=True)
class _Polled:
    tenant_id: uuid.UUID
    keys: list[li.IntegrationKey]


def _key(context: str, integration_type: str) -> li.IntegrationKey | None:
    try:
        kind = li.IntegrationType(integration_type)
    except ValueError:  # not a type LinkedIn knows; nothing to ask about
        return None
    return li.IntegrationKey(integration_context=context, integration_type=kind)


def _waiting(tenant: Tenant) -> bool:
    return tenant.stage is Stage.PARTNER_READY


async def _waiting_tenants(sessionmaker: async_sessionmaker[AsyncSession]) -> list[_Polled]:
    """Tenants in `partner_ready` with a child application, and the integrations stored for each."""
    found = []
    async with sessionmaker() as session:
        for tenant in await tenant_service.list_all(session):
            if not _waiting(tenant) or tenant.linkedin_client_id is None:
                continue
            stored = await tenant_service.list_integrations(session, tenant_id=tenant.id)
            keys = [k for i in stored if (k := _key(i.integration_context, i.integration_type)) is not None]
            if keys:
                found.append(_Polled(tenant.id, keys))
    return found


async def _poll_one(
    sessionmaker: async_sessionmaker[AsyncSession], apps: TenantApps, polled: _Polled, now: Now
) -> bool:
    """Read the tenant's integrations and record their status; True when its stage moved."""
    tenant_app = await apps.for_tenant(polled.tenant_id)
    statuses: list[tenant_service.IntegrationStatus] = []
    for start in range(0, len(polled.keys), MAX_BATCH):
        result = await tenant_app.app.get_integrations(polled.keys[start : start + MAX_BATCH])
        statuses.extend(
            tenant_service.IntegrationStatus(
                key.integration_context, key.integration_type.value, found.status
            )
            for key, found in result.ok.items()
            if found.status
        )
    at = await now()
    async with sessionmaker.begin() as session:
        tenant = await tenant_service.get(session, polled.tenant_id)
        if not _waiting(tenant):  # a notification moved it meanwhile
            return False
        await tenant_service.record_integration_status(
            session, tenant, statuses, actor=lifecycle.SERVICE, now=at
        )
        return not _waiting(tenant)


async def poll_integration_status(
    sessionmaker: async_sessionmaker[AsyncSession], apps: TenantApps, *, now: Now
) -> int:
    """For each tenant waiting in `partner_ready`, read its integrations from LinkedIn (batch_get by the
    keys stored for it) and record their status (actor `service`), as a notification would have: the
    fallback for one that never arrived. A tenant that fails is left for the next run while the others go
    on. Returns how many tenants moved on."""
    moved = 0
    for polled in await _waiting_tenants(sessionmaker):
        try:
            moved += await _poll_one(sessionmaker, apps, polled, now)
        except Exception as exc:
            log.warning(
                "linkedin_notifications.poll_failed",
                tenant_id=str(polled.tenant_id),
                error=_describe(exc),
                exc_info=not isinstance(exc, LinkedInError | ServiceError),
            )
    return moved
