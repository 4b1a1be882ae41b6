"""The drain cannot die silently: LISTEN is kept up through a database that is down, a failing drain is
restarted and counted, readiness reports a dead or stalled drain, and stopping gives held rows back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from rsc_service import bootstrap, logs
from rsc_service.app import create_app
from rsc_service.context import AppContext, open_context
from rsc_service.outbox.jobs import DrainHealth, supervise
from rsc_service.outbox.wake import Wake
from rsc_service.scheduler import Scheduler
from tests.conftest import make_settings
from tests.observe import until


class FakeListenConnection:
    """What LISTEN needs of an asyncpg connection, for a database that comes and goes."""

    def __init__(self) -> None:
        self.on_notify: Callable[..., Any] | None = None
        self.on_lost: Callable[..., Any] | None = None
        self.closed = False

    def add_termination_listener(self, callback: Callable[..., Any]) -> None:
        self.on_lost = callback

    async def add_listener(self, channel: str, callback: Callable[..., Any]) -> None:
        self.on_notify = callback

    async def fetchval(self, query: str) -> int:
        return 1  # a liveness check, answered

    async def close(self) -> None:
        self.closed = True


class FlakyDatabase:
    """Refuses the first `refusals` connections (down at start), then accepts."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.connections: list[FakeListenConnection] = []
        self.attempts = 0

    async def connect(self, url: str) -> FakeListenConnection:
        self.attempts += 1
        if self.attempts <= self.refusals:
            raise ConnectionRefusedError(111, "Connect call failed")
        self.connections.append(FakeListenConnection())
        return self.connections[-1]


class TestListening:
    async def test_a_database_down_at_start_is_retried_and_a_lost_connection_reconnects(self) -> None:
        engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/test")  # never connected
        database = FlakyDatabase(refusals=2)
        wake = Wake()

        async with wake.listening(engine, connect=database.connect, max_delay=0.01):
            await until(lambda: wake.hearing)
            assert database.attempts == 3  # two refusals, then up
            assert wake.event.is_set()  # what was committed while nobody listened is looked for now
            wake.event.clear()
            first = database.connections[0]
            assert first.on_notify is not None and first.on_lost is not None
            first.on_notify(None, 1, "rsc_outbox", "")
            assert wake.event.is_set()  # another replica's commit

            first.on_lost(first)
            await until(lambda: len(database.connections) == 2 and wake.hearing)
            assert first.closed
        assert not wake.hearing
        await engine.dispose()


class TestSupervision:
    async def test_a_failing_drain_is_restarted_and_counted(self, tmp_path: Any) -> None:
        settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/rsc.db")  # cannot be opened
        logs.configure_logging(settings.logging, settings.environment)  # as the process does at start
        async with open_context(settings) as ctx:
            service = bootstrap.build(ctx)
            health = DrainHealth(stalled_after=60)
            stop = asyncio.Event()
            running = asyncio.create_task(
                supervise(
                    service.dispatcher, service.wake, stop, health, poll=0.01, fill=0, restart_after=0.01
                )
            )
            await until(lambda: health.restarts >= 3)
            alive = (health.running, health.problem())
            stop.set()
            await asyncio.wait_for(running, 5)

        # Alive and retrying, but a drain that keeps failing is not ready (tests/outbox/test_jobs_health.py).
        assert alive[0] is True
        assert alive[1] is not None and "failed" in alive[1]
        assert (health.running, health.problem()) == (False, "the outbox drain is not running")

    def test_a_drain_that_stops_going_round_is_stalled(self) -> None:
        now = [100.0]
        health = DrainHealth(stalled_after=240, monotonic=lambda: now[0])
        health.running = True
        health.beat()

        now[0] += 239
        fine = health.problem()
        now[0] += 2

        assert fine is None
        assert health.problem() == "the outbox drain has not gone round for 241 s"


class TestReadiness:
    async def test_readyz_is_503_while_the_drain_is_dead(self, ctx: AppContext) -> None:
        service = bootstrap.build(ctx)
        app: FastAPI = create_app(ctx.settings, service=service)
        scheduler = Scheduler(service, jobs=[])
        app.state.readiness.append(scheduler.readiness)  # as the lifespan does when it starts the jobs
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as client:
            scheduler.start()
            await until(lambda: scheduler.drain.running)
            running = await client.get("/readyz")
            await scheduler.stop()
            stopped = await client.get("/readyz")

        assert running.status_code == 200, running.text
        assert stopped.status_code == 503
        assert stopped.json()["detail"] == "the outbox drain is not running"
