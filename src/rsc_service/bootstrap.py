"""The one place that builds the service: every long-lived object, made at start-up and closed at shutdown.

`build(ctx)` takes the infrastructure (database, HTTP pool, LinkedIn client: context.py) and makes what
routes and jobs share: the LinkedIn resources the push writes, each tenant's LinkedIn app behind the shared
throttle, the dispatcher and its wake-up, and the webhook intake with its key cache. `running(settings)`
also opens the infrastructure and closes it afterwards. Nothing is created lazily elsewhere
(docs/architecture.md#19-composition).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from rsc_service.ats_webhooks.intake import Intake
from rsc_service.context import AppContext, open_context
from rsc_service.outbox import policy
from rsc_service.outbox.dispatcher import Counts, Dispatcher, DispatchSettings
from rsc_service.outbox.wake import Wake
from rsc_service.push.registry import RESOURCES, Registry
from rsc_service.settings import Settings
from rsc_service.tenants.apps import TenantApps
from rsc_service.throttle import service as throttle
from rsc_service.web import metrics


@dataclass(frozen=True)
class Service:
    ctx: AppContext
    resources: Registry
    tenant_apps: TenantApps
    wake: Wake
    dispatcher: Dispatcher
    intake: Intake


def dispatch_settings(settings: Settings) -> DispatchSettings:
    box = settings.outbox
    return DispatchSettings(
        claim_limit=box.claim_limit,
        per_tenant=box.per_tenant,
        lease=timedelta(seconds=box.lease_seconds),
        concurrency=box.concurrency,
        backoff=policy.Backoff(give_up_after=timedelta(hours=box.give_up_hours)),
    )


def tenant_apps(ctx: AppContext) -> TenantApps:
    config = throttle.config(ctx.settings.linkedin, lease_seconds=ctx.settings.outbox.lease_seconds)
    return TenantApps.with_database_throttle(
        ctx.sessionmaker, linkedin=ctx.linkedin, cipher=lambda: ctx.cipher, config=config, now=ctx.db_now
    )


def _count_batch(resource: str, counts: Counts) -> None:
    metrics.OUTBOX_SENT.labels(resource).inc(counts.sent)
    metrics.OUTBOX_RETRIED.labels(resource).inc(counts.retried)
    metrics.OUTBOX_DEAD.labels(resource).inc(counts.dead)


def build(
    ctx: AppContext,
    *,
    resources: Registry = RESOURCES,
    apps: TenantApps | None = None,
    dispatch: DispatchSettings | None = None,
    rng: random.Random | None = None,
    intake: Intake | None = None,
) -> Service:
    """The service around a ready context. Tests pass their own resources, apps, dispatch settings,
    jitter or intake."""
    wake = Wake()
    wake.attach(ctx.sessionmaker)  # this process's commits of outbox rows wake its dispatcher
    apps = apps or tenant_apps(ctx)
    dispatcher = Dispatcher(
        ctx.sessionmaker,
        routes=resources,
        app_for=apps.for_tenant,
        now=ctx.db_now,
        settings=dispatch or dispatch_settings(ctx.settings),
        rng=rng,
        on_batch=_count_batch,
    )
    return Service(
        ctx=ctx,
        resources=resources,
        tenant_apps=apps,
        wake=wake,
        dispatcher=dispatcher,
        intake=intake or Intake(ctx, resources=resources),
    )


@asynccontextmanager
async def running(settings: Settings, *, context: AppContext | None = None) -> AsyncIterator[Service]:
    """The service for as long as the block runs: the context opened (unless given) and closed after."""
    async with AsyncExitStack() as stack:
        ctx = context if context is not None else await stack.enter_async_context(open_context(settings))
        yield build(ctx)
