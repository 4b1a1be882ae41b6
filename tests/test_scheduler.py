"""Singleton jobs run once per interval under a lease, fenced by epoch; per-replica jobs run everywhere."""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.engine import make_url

from rsc_service import logs, scheduler
from rsc_service.bootstrap import Service, build
from rsc_service.context import AppContext, open_context
from rsc_service.db import leases
from rsc_service.db.leases import JobLease, JobRun, Replica
from rsc_service.settings import Environment, LoggingSettings
from tests import databases, processes
from tests.conftest import FrozenClock, make_settings

FreshDatabase = Callable[[bool], Awaitable[str]]
INTERVAL = timedelta(minutes=30)


def _counting_job(calls: list[str], name: str = "pull_probe") -> scheduler.Job:
    async def run(service: Service) -> None:
        calls.append(service.ctx.holder)

    return scheduler.Job(name, run, INTERVAL, singleton=True)


class TestRunSingleton:
    async def test_second_replica_in_the_same_interval_does_not_run(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        calls: list[str] = []
        job = _counting_job(calls)
        other = replace(ctx, holder="replica-b")

        assert await scheduler.run_singleton(build(ctx), job, INTERVAL)
        clock.advance(seconds=5)
        assert not await scheduler.run_singleton(build(other), job, INTERVAL)
        clock.advance(minutes=29)
        assert not await scheduler.run_singleton(build(ctx), job, INTERVAL)
        clock.advance(minutes=1)
        assert await scheduler.run_singleton(build(other), job, INTERVAL)

        assert calls == ["test", "replica-b"]
        async with ctx.sessionmaker() as session:
            runs = (await session.scalars(select(JobRun).where(JobRun.name == job.name))).all()
        assert [(r.holder, r.epoch, r.outcome) for r in runs] == [
            ("test", 1, "succeeded"),
            ("replica-b", 2, "succeeded"),
        ]

    async def test_a_run_within_the_slack_counts_for_its_interval(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        calls: list[str] = []
        job = _counting_job(calls)
        assert await scheduler.run_singleton(build(ctx), job, INTERVAL)
        clock.advance(minutes=30, seconds=-1)  # another replica's tick, one second early

        assert await scheduler.run_singleton(build(replace(ctx, holder="replica-b")), job, INTERVAL)
        assert len(calls) == 2

    async def test_a_failing_job_is_recorded_and_frees_the_lease(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async def boom(_service: Service) -> None:
            raise ValueError("ats unreachable")

        job = scheduler.Job("reconcile_probe", boom, INTERVAL, singleton=True)
        assert await scheduler.run_singleton(build(ctx), job, INTERVAL)

        async with ctx.sessionmaker() as session:
            run = (await session.scalars(select(JobRun).where(JobRun.name == job.name))).one()
            lease = await session.get(JobLease, job.name)
        assert run.outcome == "failed"
        assert run.error == "ValueError: ats unreachable"
        assert lease is not None and lease.expires_at is not None and lease.expires_at <= clock()


def _runs_total(job: str, outcome: str) -> float:
    """`rsc_job_runs_total{job,outcome}` as /metrics writes it."""
    for family in text_string_to_metric_families(generate_latest().decode()):
        for sample in family.samples:
            if sample.name == "rsc_job_runs_total" and sample.labels == {"job": job, "outcome": outcome}:
                return sample.value
    return 0.0


def _failures_logged(err: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == "jobs.failed"]


@pytest.fixture
def json_logs() -> None:
    logs.configure_logging(LoggingSettings(format="json"), Environment.PRODUCTION)  # type: ignore[arg-type]


@asynccontextmanager
async def _locked(url: str) -> AsyncIterator[None]:
    """Another client holding the database (SQLite) or `job_runs` (PostgreSQL) exclusively: writes wait
    until the busy timeout (SQLite) or the statement timeout (PostgreSQL) and fail."""
    if not databases.is_postgres():
        holder = sqlite3.connect(make_url(url).database or "", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    connection = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        async with connection.transaction():
            await connection.execute("LOCK TABLE job_runs IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        await connection.close()


class TestEveryRunCounts:
    async def test_every_job_run_while_the_database_refuses_connections_counts_as_failed(
        self, tmp_path: Path, json_logs: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        if databases.is_postgres():
            url = "postgresql+asyncpg://postgres@127.0.0.1:1/test"  # nothing listens: refused
        else:
            url = f"sqlite+aiosqlite:///{tmp_path}/missing/dir/rsc.db"
        before = {
            job.name: (_runs_total(job.name, "failed"), _runs_total(job.name, "succeeded"))
            for job in scheduler.JOBS
        }
        async with open_context(make_settings(url)) as ctx:
            service = build(ctx)
            for job in scheduler.JOBS:
                # What each tick of the scheduler runs (Scheduler._tick).
                if job.singleton:
                    await scheduler.run_singleton(service, job, job.interval)
                else:
                    await scheduler.run_per_replica(service, job)

        failed = _failures_logged(capsys.readouterr().err)
        for job in scheduler.JOBS:
            assert (_runs_total(job.name, "failed"), _runs_total(job.name, "succeeded")) == (
                before[job.name][0] + 1,
                before[job.name][1],
            ), job.name
        assert sorted(line["job"] for line in failed) == sorted(job.name for job in scheduler.JOBS)
        assert all("Traceback" in line["exception"] for line in failed)

    async def test_a_run_whose_end_cannot_be_recorded_counts_as_failed_and_raises_nothing(
        self, fresh_database: FreshDatabase, json_logs: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        url = await fresh_database(True)
        settings = make_settings(
            url, database={"url": url, "statement_timeout_seconds": 1, "busy_timeout_ms": 1000}
        )
        name = "finish_probe"
        before = (_runs_total(name, "failed"), _runs_total(name, "succeeded"))
        async with open_context(settings) as ctx, AsyncExitStack() as stack:

            async def the_database_goes_away(_service: Service) -> None:
                await stack.enter_async_context(_locked(url))

            job = scheduler.Job(name, the_database_goes_away, INTERVAL, singleton=True)
            ran = await scheduler.run_singleton(build(ctx), job, INTERVAL)

        assert ran
        assert (_runs_total(name, "failed"), _runs_total(name, "succeeded")) == (before[0] + 1, before[1])
        failed = _failures_logged(capsys.readouterr().err)
        assert [(line["job"], line.get("stage")) for line in failed] == [(name, "finish")]


class TestLeaseFencing:
    async def test_expired_lease_is_taken_over_and_the_stale_holder_is_fenced(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        ttl, interval, slack = timedelta(seconds=60), timedelta(seconds=10), timedelta(seconds=1)
        async with ctx.sessionmaker.begin() as session:
            first = await leases.acquire(
                session, name="pull", holder="a", now=clock(), ttl=ttl, interval=interval, slack=slack
            )
            blocked = await leases.acquire(
                session,
                name="pull",
                holder="b",
                now=clock.advance(seconds=30),
                ttl=ttl,
                interval=interval,
                slack=slack,
            )
            clock.advance(seconds=31)  # a's lease has expired without a renewal
            second = await leases.acquire(
                session, name="pull", holder="b", now=clock(), ttl=ttl, interval=interval, slack=slack
            )
            assert first is not None and second is not None and blocked is None
            assert second.epoch == first.epoch + 1
            assert not await leases.renew(session, first, now=clock(), ttl=ttl)
            assert not await leases.still_held(session, first)
            assert await leases.still_held(session, second)
            assert await leases.renew(session, second, now=clock(), ttl=ttl)


class TestPerReplicaJobs:
    async def test_heartbeat_records_this_replica(self, ctx: AppContext, clock: FrozenClock) -> None:
        await scheduler.heartbeat(build(ctx))
        clock.advance(seconds=30)
        await scheduler.heartbeat(build(ctx))

        async with ctx.sessionmaker() as session:
            replica = await session.get(Replica, "test")
        assert replica is not None
        assert replica.seen_at - replica.started_at == timedelta(seconds=30)


def _worker_env(url: str, holder: str, interval: float) -> dict[str, str]:
    return processes.env_for(
        url,
        RSC_SCHEDULER__HOLDER=holder,
        RSC_SCHEDULER__INTERVALS=f'{{"prune_job_runs": {interval}, "heartbeat": {interval}}}',
    )


async def _count_runs(ctx: AppContext, name: str) -> int:
    async with ctx.sessionmaker() as session:
        return len((await session.scalars(select(JobRun).where(JobRun.name == name))).all())


class TestTwoWorkerProcesses:
    @pytest.mark.skipif(
        not databases.is_postgres(), reason="several replicas share one database on PostgreSQL"
    )
    async def test_singleton_runs_once_per_interval_and_never_twice_at_once(
        self, fresh_database: FreshDatabase, tmp_path: Path
    ) -> None:
        url = await fresh_database(True)
        interval = 1.0
        workers = [
            processes.start(["worker"], _worker_env(url, f"w{i}", interval), tmp_path / f"w{i}.log")
            for i in (1, 2)
        ]
        started = time.monotonic()
        try:
            # Three runs at least; on a busy machine the workers take a while to start, so wait for them.
            async with open_context(make_settings(url)) as ctx:
                while time.monotonic() - started < 60 and await _count_runs(ctx, "prune_job_runs") < 4:
                    await asyncio.sleep(0.5)
        finally:
            for worker in workers:
                processes.stop(worker)
        elapsed = time.monotonic() - started

        async with open_context(make_settings(url)) as ctx, ctx.sessionmaker() as session:
            runs = (
                await session.scalars(
                    select(JobRun).where(JobRun.name == "prune_job_runs").order_by(JobRun.epoch)
                )
            ).all()
            replicas = (await session.scalars(select(Replica))).all()

        logs = "".join((tmp_path / f"w{i}.log").read_text() for i in (1, 2))
        assert len(runs) >= 3, logs
        assert len(runs) <= elapsed / interval + 1
        assert [r.epoch for r in runs] == list(range(1, len(runs) + 1))
        for earlier, later in itertools.pairwise(runs):
            assert (
                earlier.finished_at is not None and earlier.finished_at <= later.started_at
            )  # never at once
            assert later.started_at - earlier.started_at >= timedelta(
                seconds=interval * 0.9
            )  # once per interval
        assert all(run.outcome == "succeeded" for run in runs)
        assert {r.holder for r in replicas} == {"w1", "w2"}  # the per-replica job ran in both
        assert all(r.seen_at > r.started_at for r in replicas)

    @pytest.mark.skipif(databases.is_postgres(), reason="the single-scheduler guard is SQLite's")
    async def test_second_worker_on_one_sqlite_file_is_refused(
        self, fresh_database: FreshDatabase, tmp_path: Path
    ) -> None:
        url = await fresh_database(True)
        first = processes.start(["worker"], _worker_env(url, "w1", 1), tmp_path / "w1.log")
        try:
            await asyncio.sleep(2)
            second = processes.run(["worker"], _worker_env(url, "w2", 1), timeout=30)
        finally:
            processes.stop(first)

        assert second.returncode != 0
        assert "another process runs the jobs" in second.stderr
