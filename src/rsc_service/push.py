"""The push, composed: a Dispatcher wired to the mirror's senders, each tenant's LinkedIn app and the shared
database throttle, and the loop every replica runs (woken in-process and by LISTEN/NOTIFY on PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import asyncpg
import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session

from rsc_service.candidates import service as candidate_service
from rsc_service.context import AppContext
from rsc_service.errors import ServiceUnavailable
from rsc_service.integrations.linkedin import AppCredentials
from rsc_service.integrations.linkedin import wire as li
from rsc_service.integrations.linkedin.throttle import Group
from rsc_service.mirror import payloads, senders
from rsc_service.outbox import policy
from rsc_service.outbox.dispatcher import Counts, Dispatcher, DispatchSettings, TenantLink
from rsc_service.outbox.service import NOTIFY_CHANNEL, TOUCHED
from rsc_service.outbox.throttle import Budget, DatabaseThrottle, ThrottleConfig
from rsc_service.tenants import service as tenant_service
from rsc_service.web import metrics

log = structlog.get_logger()
WAKE = "outbox_wake"


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    # Rows are visible only now; waking before the commit would find nothing to send. A SAVEPOINT's
    # release fires this hook too, while the real transaction is still open: that is not the commit.
    if session.in_nested_transaction():
        return
    if session.info.pop(TOUCHED, False):
        wake = session.info.get(WAKE)
        if callable(wake):
            wake()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(TOUCHED, None)


def install_wake(ctx: AppContext) -> None:
    """Sessions made by ctx.sessionmaker wake this replica's dispatcher when they commit outbox rows."""
    info = ctx.sessionmaker.kw.setdefault("info", {})
    info[WAKE] = ctx.outbox_wake.set


def throttle_config(ctx: AppContext) -> ThrottleConfig:
    li = ctx.settings.linkedin
    return ThrottleConfig(
        budgets={
            Group.SYNC: Budget(
                records_per_window=li.records_per_minute, requests_per_day=li.requests_per_day
            ),
            Group.PROSPECT: Budget(requests_per_day=li.prospect_requests_per_day),
        },
        max_wait=timedelta(seconds=min(30.0, ctx.settings.outbox.lease_seconds / 4)),
    )


def link_resolver(ctx: AppContext) -> Callable[[uuid.UUID], Awaitable[TenantLink]]:
    """Each tenant's LinkedIn app (its child app's credentials and own throttle), cached for a minute."""
    cache: dict[uuid.UUID, tuple[float, TenantLink]] = {}
    config = throttle_config(ctx)

    async def link_for(tenant_id: uuid.UUID) -> TenantLink:
        hit = cache.get(tenant_id)
        if hit is not None and time.monotonic() - hit[0] < 60:
            return hit[1]
        if ctx.linkedin is None:
            raise ServiceUnavailable(
                "LinkedIn is not configured: set RSC_LINKEDIN__API_URL and RSC_LINKEDIN__OAUTH_URL"
            )
        async with ctx.sessionmaker() as session:
            tenant = await tenant_service.get(session, tenant_id)
        credentials = AppCredentials(
            client_id=tenant.linkedin_client_id,
            client_secret=tenant_service.linkedin_client_secret(tenant, cipher=ctx.cipher),
        )
        throttle = DatabaseThrottle(
            ctx.sessionmaker, app=tenant.linkedin_client_id, config=config, now=ctx.db_now
        )
        link = TenantLink(
            ctx.linkedin.for_app(credentials, throttle=throttle), tenant.linkedin_organization_urn
        )
        cache[tenant_id] = (time.monotonic(), link)
        return link

    return link_for


def _count_batch(resource: str, counts: Counts) -> None:
    metrics.OUTBOX_SENT.labels(resource).inc(counts.sent)
    metrics.OUTBOX_RETRIED.labels(resource).inc(counts.retried)
    metrics.OUTBOX_DEAD.labels(resource).inc(counts.dead)


def build_dispatcher(ctx: AppContext, *, settings: DispatchSettings | None = None) -> Dispatcher:
    box = ctx.settings.outbox
    return Dispatcher(
        ctx.sessionmaker,
        senders=senders.SENDERS,
        link_for=link_resolver(ctx),
        order=payloads.resource_order,
        now=ctx.db_now,
        settings=settings
        or DispatchSettings(
            claim_limit=box.claim_limit,
            per_tenant=box.per_tenant,
            lease=timedelta(seconds=box.lease_seconds),
            concurrency=box.concurrency,
            backoff=policy.Backoff(max_attempts=box.max_attempts),
        ),
        on_batch=_count_batch,
    )


@contextlib.asynccontextmanager
async def _notifications(ctx: AppContext) -> AsyncIterator[None]:
    """On PostgreSQL, other replicas' commits wake this one too (NOTIFY is sent inside their transaction)."""
    if ctx.engine.dialect.name != "postgresql":
        yield
        return
    url = ctx.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(url)
    await connection.add_listener(NOTIFY_CHANNEL, lambda *_: ctx.outbox_wake.set())
    try:
        yield
    finally:
        await connection.close()


async def run(ctx: AppContext, stop: asyncio.Event, dispatcher: Dispatcher | None = None) -> None:
    """Drain until `stop` is set: at once when woken, else every `poll_ms`."""
    dispatcher = dispatcher or build_dispatcher(ctx)
    poll = ctx.settings.outbox.poll_ms / 1000
    fill = ctx.settings.outbox.batch_wait_ms / 1000
    async with _notifications(ctx):
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ctx.outbox_wake.wait(), timeout=poll)
            if ctx.outbox_wake.is_set() and fill:
                await asyncio.sleep(fill)  # let a live batch fill a little (Decisions 12: at most 200 ms)
            ctx.outbox_wake.clear()
            await _drain(dispatcher)


async def _drain(dispatcher: Dispatcher) -> None:
    while True:
        try:
            counts = await dispatcher.drain_once()
        except Exception:
            log.exception("outbox.drain_failed")
            return
        if counts.claimed == 0 and counts.sent == 0:
            return


async def read_back_matches(ctx: AppContext, *, limit: int = 500) -> int:
    """L1: after candidates land, read LinkedIn's email match and record the link. Returns candidates read."""
    async with ctx.sessionmaker() as session:
        unchecked = await candidate_service.list_unchecked(session, limit=limit)
    by_tenant: dict[uuid.UUID, list[str]] = {}
    for tenant_id, ats_candidate_id in unchecked:
        by_tenant.setdefault(tenant_id, []).append(ats_candidate_id)
    resolve = link_resolver(ctx)
    read = 0
    for tenant_id, ids in by_tenant.items():
        link = await resolve(tenant_id)
        for start in range(0, len(ids), policy.MAX_BATCH):
            keys = [
                li.CandidateKey(ats_candidate_id=i, integration_context=link.integration_context)
                for i in ids[start : start + policy.MAX_BATCH]
            ]
            result = await link.app.get_candidates(keys)
            now = await ctx.db_now()
            async with ctx.sessionmaker.begin() as session:
                for key, match in result.ok.items():
                    await candidate_service.record_match(
                        session,
                        tenant_id=tenant_id,
                        ats_candidate_id=key.ats_candidate_id,
                        matched=match.matched_members,
                        now=now,
                    )
                    read += 1
    return read
