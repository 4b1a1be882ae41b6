"""The pull as a job: the scheduler's singleton run every 30 minutes, and a run at once for the CLI and the
operator endpoint, both under the one `pull` lease (docs/pull.md#one-run-at-a-time)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

import structlog

from rsc_service.context import AppContext
from rsc_service.db import leases
from rsc_service.errors import Conflict
from rsc_service.pull import repository, service
from rsc_service.pull.service import LEASE_NAME, Fence, LeaseLost, RunReport
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.apps import TenantApps
from rsc_service.web import metrics

log = structlog.get_logger()


class PullRunning(Conflict):
    """A pull is running already (on this or another replica); this one would only wait for it."""

    code = "pull_running"


async def pull_all(ctx: AppContext, apps: TenantApps) -> RunReport:
    """The scheduler's run: it took the lease just before this call; its epoch fences each write."""
    now = await ctx.db_now()
    async with ctx.sessionmaker() as session:
        lease = await repository.current_lease(session, name=LEASE_NAME, holder=ctx.holder, now=now)
    if lease is None:
        raise LeaseLost("the pull lease is not held by this replica")
    report = await service.run(ctx, apps, Fence(ctx.sessionmaker, lease))
    await _finished(ctx, report, epoch=lease.epoch)
    return report


async def pull_now(
    ctx: AppContext,
    apps: TenantApps,
    *,
    tenant_keys: Sequence[str] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> RunReport:
    """Run the pull at once, whatever the interval, if no other run holds the lease (else PullRunning). A key
    in `tenant_keys` that names no tenant is NotFound, before anything runs."""
    if tenant_keys is not None:
        async with ctx.sessionmaker() as session:
            for key in tenant_keys:
                await tenant_service.get_by_key(session, key)
    ttl = timedelta(seconds=ctx.settings.scheduler.lease_ttl_seconds)
    now = await ctx.db_now()
    async with ctx.sessionmaker.begin() as session:
        lease = await leases.acquire(
            session,
            name=LEASE_NAME,
            holder=ctx.holder,
            now=now,
            ttl=ttl,
            interval=timedelta(0),
            slack=timedelta(0),
        )
        run_id = (await leases.start_run(session, lease, now=now)).id if lease else None
    if lease is None or run_id is None:
        raise PullRunning("a pull is running already; it covers every tenant")
    renewer = asyncio.create_task(_keep_renewed(ctx, lease, ttl))
    outcome, error = "succeeded", None
    try:
        report = await service.run(
            ctx, apps, Fence(ctx.sessionmaker, lease), tenant_keys=tenant_keys, sleep=sleep
        )
    except BaseException as exc:
        outcome, error = "failed", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        now = await ctx.db_now()
        async with ctx.sessionmaker.begin() as session:
            await leases.finish_run(session, run_id, now=now, outcome=outcome, error=error)
            await leases.release(session, lease, now=now)
        metrics.JOB_RUNS.labels(LEASE_NAME, outcome).inc()
    await _finished(ctx, report, epoch=lease.epoch)
    return report


async def _keep_renewed(ctx: AppContext, lease: leases.Lease, ttl: timedelta) -> None:
    while True:
        await asyncio.sleep(ttl.total_seconds() / 3)
        now = await ctx.db_now()
        async with ctx.sessionmaker.begin() as session:
            if not await leases.renew(session, lease, now=now, ttl=ttl):
                log.warning("pull.lease_lost", epoch=lease.epoch)
                return


async def _finished(ctx: AppContext, report: RunReport, *, epoch: int) -> None:
    async with ctx.sessionmaker() as session:
        await service.refresh_lag_gauges(session, now=ctx.clock())
    log.info(
        "pull.finished",
        epoch=epoch,
        tenants=len(report.tenants),
        written=report.written,
        failed=len(report.failed),
    )
