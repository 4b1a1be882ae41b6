"""advance_onboarding: the periodic job that carries tenants through the initial sync (PRODUCT A4), run by
scheduler.py every minute as a singleton (docs/architecture.md#18-jobs-that-run-where).

Each run, per tenant: `enabled` → `initial_sync` at once, and the walk starts in the same run (a tenant
waits at most a minute after LinkedIn enabled it, not until the hourly reconcile; the notification processor
may call `initial_sync.start_initial_sync` sooner, and this job is the guarantee). A tenant in
`initial_sync` walks on from its saved position while its outbox is below the pace bound, and is made
`active` once everything has landed. Tenants share the run's time; one that fails is logged and retried
next run from where it stopped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import structlog

from rsc_service.context import AppContext
from rsc_service.onboarding import initial_sync
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage

log = structlog.get_logger()

# A run walks for at most this long, shared among the tenants syncing; the next run continues.
RUN_SECONDS: Final = 50.0
_STAGES: Final = frozenset({Stage.ENABLED, Stage.INITIAL_SYNC})


class Running(Protocol):
    """What the job needs of the running service (bootstrap.Service has it)."""

    @property
    def ctx(self) -> AppContext: ...


@dataclass(frozen=True)
class Outcome:
    tenant_key: str
    step: initial_sync.Step | None
    error: str | None = None


async def advance_onboarding(running: Running) -> None:
    outcomes = await advance_all(running.ctx)
    for outcome in outcomes:
        if outcome.step is not None and outcome.step.state != "paced":
            log.info(
                "onboarding.advanced",
                tenant_key=outcome.tenant_key,
                state=outcome.step.state,
                pages=outcome.step.pages,
            )


async def advance_all(
    ctx: AppContext, *, seconds: float = RUN_SECONDS, bound: int | None = None
) -> list[Outcome]:
    """Start every `enabled` tenant's sync and continue every syncing tenant's, each in its share of
    `seconds`."""
    async with ctx.sessionmaker() as session:
        tenants: Sequence[tuple[uuid.UUID, str]] = [
            (t.id, t.key)
            for t in sorted(
                await tenant_service.list_all(session), key=lambda t: t.stage_changed_at or t.created_at
            )
            if t.stage in _STAGES
        ]
    deadline = time.monotonic() + seconds
    outcomes = []
    for index, (tenant_id, key) in enumerate(tenants):
        share = (deadline - time.monotonic()) / (len(tenants) - index)
        try:
            async with ctx.sessionmaker.begin() as session:
                tenant = await tenant_service.get(session, tenant_id)
                await initial_sync.start_initial_sync(session, tenant, now=await ctx.db_now())
            step = await initial_sync.continue_initial_sync(
                ctx, tenant_id, bound=bound, until=time.monotonic() + max(share, 1.0)
            )
            outcomes.append(Outcome(key, step))
        except Exception as error:
            log.exception("onboarding.tenant_failed", tenant_key=key)
            outcomes.append(Outcome(key, None, f"{type(error).__name__}: {error}"))
    return outcomes
