"""A drain that fails on every pass is not healthy: only a completed pass counts as going round, readiness
and the cycle-age metric show a drain that keeps failing, and each failure is logged with its cause."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from rsc_service import bootstrap, logs
from rsc_service.app import create_app
from rsc_service.context import AppContext, open_context
from rsc_service.outbox.jobs import DrainHealth, supervise
from rsc_service.settings import Environment, LoggingSettings
from tests import databases
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.observe import until

PASSWORD = "drain-pw-6f1c"


def _unreachable_url(tmp_path: Path) -> str:
    """A database every drain pass fails on: nothing listens on the port, or the directory is missing."""
    if databases.is_postgres():
        return f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:1/test"
    return f"sqlite+aiosqlite:///{tmp_path}/missing/dir/rsc.db"


def _metric(name: str) -> float:
    """A sample's value as /metrics writes it."""
    for family in text_string_to_metric_families(generate_latest().decode()):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    raise AssertionError(f"{name} not in the metrics")


@dataclass
class FailingDrain:
    health: DrainHealth
    started: float  # monotonic, after the health was made


@pytest.fixture
async def failing_drain(tmp_path: Path) -> AsyncIterator[FailingDrain]:
    """The drain of a replica whose every pass fails, supervised as the scheduler does, restarting quickly."""
    settings = make_settings(_unreachable_url(tmp_path))
    logs.configure_logging(settings.logging, settings.environment)  # as the process does at start
    async with open_context(settings) as broken:
        service = bootstrap.build(broken)
        health = DrainHealth(stalled_after=60)
        started = time.monotonic()
        stop = asyncio.Event()
        running = asyncio.create_task(
            supervise(service.dispatcher, service.wake, stop, health, poll=0.01, fill=0, restart_after=0.1)
        )
        try:
            yield FailingDrain(health, started)
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)


class TestAFailingDrain:
    async def test_is_not_ready_and_the_metric_shows_it_never_went_round(
        self, ctx: AppContext, failing_drain: FailingDrain
    ) -> None:
        # The API answers from a database that works; this process's drain fails on every pass.
        app: FastAPI = create_app(ctx.settings, context=ctx)
        app.state.readiness.append(failing_drain.health.problem)  # as the lifespan does with the scheduler
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as client:
            await until(lambda: failing_drain.health.restarts >= 3, seconds=20)
            ready = await client.get("/readyz")
            elapsed = time.monotonic() - failing_drain.started  # at least this long, when scraped below
            metrics = await client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

        assert ready.status_code == 503, ready.text
        assert ready.headers["retry-after"]
        assert ready.json()["detail"].startswith("the outbox drain has failed 3 times in a row (")
        cycle_age = next(
            sample.value
            for family in text_string_to_metric_families(metrics.text)
            for sample in family.samples
            if sample.name == "rsc_outbox_drain_seconds_since_cycle"
        )
        # Not a single pass completed since the drain started: the age covers the whole time it failed.
        assert cycle_age >= elapsed

    async def test_each_failure_is_logged_with_its_type_message_and_traceback(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        logs.configure_logging(LoggingSettings(format="json"), Environment.PRODUCTION)  # type: ignore[arg-type]
        before = _metric("rsc_outbox_drain_restarts_total")
        async with open_context(make_settings(_unreachable_url(tmp_path))) as broken:
            service = bootstrap.build(broken)
            health = DrainHealth(stalled_after=60)
            stop = asyncio.Event()
            running = asyncio.create_task(
                supervise(service.dispatcher, service.wake, stop, health, poll=0.01, fill=0, restart_after=5)
            )
            await until(lambda: health.restarts >= 1, seconds=20)
            stop.set()
            await asyncio.wait_for(running, 10)

        out = capsys.readouterr().err
        lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        failed = [line for line in lines if line["event"] == "outbox.drain_failed"]
        assert failed, out
        line = failed[0]
        assert line["error_type"] in {"OperationalError", "ConnectionRefusedError", "OSError"}
        assert line.get("error")  # the message of the cause
        assert "Traceback (most recent call last)" in line.get("exception", "")
        assert f"{line['error_type']}: " in line["exception"]
        assert line["failures"] == 1
        assert PASSWORD not in out  # through the log processors' redaction
        assert _metric("rsc_outbox_drain_restarts_total") == before + 1


class TestDrainHealth:
    def test_only_completed_passes_count_and_one_clears_the_failures(self) -> None:
        now = [100.0]
        health = DrainHealth(stalled_after=240, fail_after=3, monotonic=lambda: now[0])
        health.running = True
        for _ in range(2):
            health.failed(KeyError("atsRetiredResource"))
        two = health.problem()
        health.failed(KeyError("atsRetiredResource"))
        three = health.problem()
        health.beat()

        assert two is None
        assert three == "the outbox drain has failed 3 times in a row (KeyError)"
        assert health.problem() is None
        assert (health.failures, health.failing) == (0, False)

    def test_a_drain_that_never_completed_a_pass_is_stalled_after_the_threshold(self) -> None:
        now = [100.0]
        health = DrainHealth(stalled_after=240, monotonic=lambda: now[0])
        health.running = True

        now[0] += 241

        assert health.problem() == "the outbox drain has not gone round for 241 s"
