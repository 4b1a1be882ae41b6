"""Every periodic job in one list, each per-replica or singleton, run by APScheduler 3 in every process.

Singletons run under a `job_leases` row (db/leases.py): at most one run at a time fleet-wide, and
one run per interval by the database clock, whichever replica's tick comes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from rsc_service import __version__, logs
from rsc_service.ats_webhooks import service as ats_webhook_service
from rsc_service.bootstrap import Service
from rsc_service.candidates import service as candidate_service
from rsc_service.db import leases
from rsc_service.linkedin_notifications import jobs as notification_jobs
from rsc_service.onboarding import deactivation
from rsc_service.onboarding import jobs as onboarding_jobs
from rsc_service.outbox import health as outbox_health
from rsc_service.outbox.jobs import DrainHealth, supervise
from rsc_service.pull import jobs as pull_jobs
from rsc_service.reconcile import jobs as reconcile_jobs
from rsc_service.seats import jobs as seat_jobs
from rsc_service.web import metrics, metrics_collect

log = structlog.get_logger()
JobFn = Callable[[Service], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFn
    interval: timedelta
    singleton: bool


async def heartbeat(service: Service) -> None:
    ctx = service.ctx
    now = await ctx.db_now()
    async with ctx.sessionmaker.begin() as session:
        await leases.heartbeat(session, holder=ctx.holder, now=now, version=__version__)


async def prune_job_runs(service: Service) -> None:
    ctx = service.ctx
    now = await ctx.db_now()
    async with ctx.sessionmaker.begin() as session:
        removed = await leases.prune_runs(session, before=now - timedelta(days=30))
    log.info("jobs.pruned_runs", removed=removed)


async def prune_inbox(service: Service) -> None:
    ctx = service.ctx
    now = await ctx.db_now()
    async with ctx.sessionmaker.begin() as session:
        removed = await ats_webhook_service.prune(
            session, before=now - timedelta(days=ctx.settings.ats.inbox_retention_days)
        )
    log.info("jobs.pruned_inbox", removed=removed)


async def refresh_outbox_gauges(service: Service) -> None:
    await metrics_collect.refresh_outbox_gauges(service.ctx, outbox_health.samples)


async def read_back_matches(service: Service) -> None:
    read = await candidate_service.read_back_matches(
        service.ctx.sessionmaker, service.tenant_apps, now=service.ctx.db_now
    )
    if read:
        log.info("candidates.matches_read", candidates=read)


async def reconcile(service: Service) -> None:
    await reconcile_jobs.reconcile_all(service.ctx)


async def refresh_seats(service: Service) -> None:
    await seat_jobs.refresh_all(service.ctx, service.tenant_apps)


async def pull(service: Service) -> None:
    await pull_jobs.pull_all(service.ctx, service.tenant_apps)


async def finish_deactivations(service: Service) -> None:
    await deactivation.finish_deactivations(service.ctx, service.tenant_apps, resources=service.resources)


JOBS: list[Job] = [
    Job("read_back_matches", read_back_matches, timedelta(seconds=30), singleton=True),
    Job("reconcile", reconcile, timedelta(hours=1), singleton=True),
    Job("advance_onboarding", onboarding_jobs.advance_onboarding, timedelta(minutes=1), singleton=True),
    Job("refresh_seats", refresh_seats, timedelta(hours=1), singleton=True),
    # Every 30 minutes unless RSC_PULL__INTERVAL_MINUTES says otherwise (see Scheduler.start).
    Job("pull", pull, timedelta(minutes=30), singleton=True),
    Job("refresh_outbox_gauges", refresh_outbox_gauges, timedelta(seconds=15), singleton=False),
    Job("heartbeat", heartbeat, timedelta(seconds=30), singleton=False),
    Job("prune_job_runs", prune_job_runs, timedelta(hours=1), singleton=True),
    Job("prune_inbox", prune_inbox, timedelta(hours=1), singleton=True),
    Job("finish_deactivations", finish_deactivations, timedelta(minutes=1), singleton=True),
    Job(
        "process_pending_notifications",
        notification_jobs.process_pending_notifications,
        timedelta(seconds=5),
        singleton=False,
    ),
    Job(
        "poll_integration_status",
        notification_jobs.poll_integration_status,
        timedelta(minutes=1),
        singleton=True,
    ),
]


def interval_for(job: Job, overrides: dict[str, float]) -> timedelta:
    seconds = overrides.get(job.name)
    return timedelta(seconds=seconds) if seconds is not None else job.interval


def _slack(interval: timedelta) -> timedelta:
    # Ticks of different replicas drift apart a little; a run counts for its interval within this slack.
    return min(interval / 10, timedelta(seconds=2))


async def run_singleton(service: Service, job: Job, interval: timedelta) -> bool:
    """Run `job` if this replica wins its lease for the current interval. True when the job ran.

    Every run ends in one outcome of `rsc_job_runs_total`, whatever fails: taking the lease (the database
    down), the job, or recording its end and giving the lease back (the lease then runs out by itself). A
    failure is logged as `jobs.failed`; a tick that does not win the lease is no run and counts nothing."""
    ctx = service.ctx
    ttl = timedelta(seconds=ctx.settings.scheduler.lease_ttl_seconds)
    try:
        now = await ctx.db_now()
        async with ctx.sessionmaker.begin() as session:
            lease = await leases.acquire(
                session,
                name=job.name,
                holder=ctx.holder,
                now=now,
                ttl=ttl,
                interval=interval,
                slack=_slack(interval),
            )
            run_id = (await leases.start_run(session, lease, now=now)).id if lease else None
    except Exception:
        metrics.JOB_RUNS.labels(job.name, "failed").inc()
        log.exception("jobs.failed", job=job.name, stage="lease")
        return False
    if lease is None or run_id is None:
        return False
    renewer = asyncio.create_task(_keep_renewed(service, lease, ttl))
    outcome, error = "failed", "cancelled"  # unless the job returns or raises
    try:
        await job.run(service)
        outcome, error = "succeeded", ""
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.exception("jobs.failed", job=job.name, epoch=lease.epoch)
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        try:
            now = await ctx.db_now()
            async with ctx.sessionmaker.begin() as session:
                await leases.finish_run(session, run_id, now=now, outcome=outcome, error=error or None)
                await leases.release(session, lease, now=now)
        except Exception:
            # The run's end is not recorded and its lease runs out by itself: the run did not complete.
            if outcome == "succeeded":
                log.exception("jobs.failed", job=job.name, epoch=lease.epoch, stage="finish")
            else:
                log.exception("jobs.finish_failed", job=job.name, epoch=lease.epoch)
            outcome = "failed"
        metrics.JOB_RUNS.labels(job.name, outcome).inc()
    return True


async def _keep_renewed(service: Service, lease: leases.Lease, ttl: timedelta) -> None:
    """Renew the lease every third of its TTL while the job runs; a renewal that fails (the database away
    for a moment) is tried again at the next, and one refused (taken over) ends the renewals."""
    ctx = service.ctx
    while True:
        await asyncio.sleep(ttl.total_seconds() / 3)
        try:
            now = await ctx.db_now()
            async with ctx.sessionmaker.begin() as session:
                renewed = await leases.renew(session, lease, now=now, ttl=ttl)
        except Exception as error:
            log.warning(
                "jobs.lease_renew_failed",
                job=lease.name,
                epoch=lease.epoch,
                error_type=type(error).__name__,
                error=str(error),
            )
            continue
        if not renewed:
            log.warning("jobs.lease_lost", job=lease.name, epoch=lease.epoch)
            return


async def run_per_replica(service: Service, job: Job) -> None:
    try:
        await job.run(service)
    except Exception:
        metrics.JOB_RUNS.labels(job.name, "failed").inc()
        log.exception("jobs.failed", job=job.name)
        return
    metrics.JOB_RUNS.labels(job.name, "succeeded").inc()


class SchedulerAlreadyRunning(RuntimeError):
    """Another process already runs the jobs against this SQLite file."""


class Scheduler:
    def __init__(self, service: Service, jobs: list[Job] | None = None) -> None:
        self.service = service
        self.ctx = service.ctx
        self.jobs = JOBS if jobs is None else jobs
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._lock_file: IO[str] | None = None
        self._stop = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        # A drain that has not gone round for two leases' time is stalled: readiness says so.
        self.drain = DrainHealth(stalled_after=2 * self.ctx.settings.outbox.lease_seconds)

    def start(self) -> None:
        self._lock_sqlite()
        settings = self.ctx.settings
        overrides = {"pull": settings.pull.interval_minutes * 60} | settings.scheduler.intervals
        for job in self.jobs:
            interval = interval_for(job, overrides)
            self._aps.add_job(
                self._tick,
                "interval",
                args=[job, interval],
                seconds=interval.total_seconds(),
                id=job.name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=max(1, int(interval.total_seconds())),
                next_run_time=datetime.now(UTC),
            )
        self._aps.start()
        # The outbox drains on every replica, continuously rather than on a timer.
        self._loops.append(asyncio.create_task(self._drain(), name="drain_outbox"))
        log.info("scheduler.started", holder=self.ctx.holder, jobs=[job.name for job in self.jobs])

    async def _drain(self) -> None:
        box = self.ctx.settings.outbox
        async with self.service.wake.listening(self.ctx.engine):
            await supervise(
                self.service.dispatcher,
                self.service.wake,
                self._stop,
                self.drain,
                poll=box.poll_ms / 1000,
                fill=box.batch_wait_ms / 1000,
            )

    async def _tick(self, job: Job, interval: timedelta) -> None:
        logs.clear()
        logs.bind(job=job.name, holder=self.ctx.holder)
        if job.singleton:
            await run_singleton(self.service, job, interval)
        else:
            await run_per_replica(self.service, job)

    async def stop(self) -> None:
        """Stop the jobs and the drain (SIGTERM, Ctrl-C), and give back the rows the drain still holds."""
        self._stop.set()
        for loop in self._loops:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        self._loops.clear()
        self.shutdown()
        # Bounded: with the database unanswering, statements fail after its statement timeout
        # (RSC_DATABASE__STATEMENT_TIMEOUT_SECONDS) and the held rows' leases run out by themselves instead.
        try:
            async with asyncio.timeout(3 * self.ctx.settings.database.statement_timeout_seconds):
                released = await self.service.dispatcher.release_held()
        except Exception as error:
            log.warning(
                "scheduler.release_failed", error_type=type(error).__name__, error=str(error), exc_info=error
            )
            return
        if released:
            log.info("scheduler.released_leases", rows=released)

    def readiness(self) -> str | None:
        """Why this process is not ready: a dead or stalled drain."""
        return self.drain.problem()

    def shutdown(self) -> None:
        self._stop.set()
        if self._aps.running:
            self._aps.shutdown(wait=False)
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _lock_sqlite(self) -> None:
        # SQLite has one writer and no SKIP LOCKED: one scheduler per database file.
        database = self.ctx.engine.url.database
        if self.ctx.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return
        path = Path(database).with_suffix(Path(database).suffix + ".scheduler.lock")
        handle = path.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise SchedulerAlreadyRunning(
                f"another process runs the jobs on {database}; use PostgreSQL for several replicas"
            ) from None
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle
