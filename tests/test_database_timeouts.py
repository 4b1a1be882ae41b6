"""A PostgreSQL server that stops answering without closing its connections (a partition, a hung server) fails
statements after the statement timeout instead of hanging them: routes answer 503 with Retry-After, the
drain recovers once the server answers again, the LISTEN connection is found dead and made again, and
stopping is bounded. The server is reached through a real TCP proxy on 127.0.0.1 that can black-hole the
traffic (tests/blackhole.py). SQLite has no network: its waits are bounded by the busy timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from rsc_service import bootstrap
from rsc_service.app import create_app
from rsc_service.bootstrap import Service
from rsc_service.context import AppContext, open_context
from rsc_service.errors import database_unreachable
from rsc_service.outbox.jobs import DrainHealth, supervise
from rsc_service.scheduler import Scheduler
from tests import databases
from tests.blackhole import BlackHoleProxy, blackhole_proxy
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.factories import Ats, candidate, make_tenant
from tests.observe import until

pytestmark = pytest.mark.skipif(
    not databases.is_postgres(), reason="a server reached over the network: PostgreSQL's (SQLite has none)"
)
TIMEOUT = 1.0  # RSC_DATABASE__STATEMENT_TIMEOUT_SECONDS for these tests
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@dataclass
class Proxied:
    proxy: BlackHoleProxy
    ctx: AppContext
    service: Service
    client: httpx.AsyncClient


@pytest.fixture
async def proxied(fresh_database: Callable[[bool], Awaitable[str]]) -> AsyncIterator[Proxied]:
    """The service on a new database behind the black-holing proxy, with a short statement timeout."""
    url = await fresh_database(True)
    async with blackhole_proxy(url) as proxy:
        settings = make_settings(
            proxy.url(url), database={"url": proxy.url(url), "statement_timeout_seconds": TIMEOUT}
        )
        async with open_context(settings) as ctx:
            service = bootstrap.build(ctx)
            transport = httpx.ASGITransport(
                app=create_app(settings, service=service), raise_app_exceptions=False
            )
            async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as client:
                yield Proxied(proxy, ctx, service, client)
            proxy.resume()  # so the pool closes its connections at once


def _listening_metric() -> float:
    for family in text_string_to_metric_families(generate_latest().decode()):
        for sample in family.samples:
            if sample.name == "rsc_outbox_drain_listening":
                return sample.value
    raise AssertionError("rsc_outbox_drain_listening not in the metrics")


class TestAServerThatStopsAnswering:
    async def test_a_route_answers_503_with_retry_after_instead_of_hanging(self, proxied: Proxied) -> None:
        assert (await proxied.client.get("/v1/admin/tenants", headers=ADMIN)).status_code == 200

        proxied.proxy.swallow()  # the pooled connection stays open; nothing it sends is answered
        started = time.monotonic()
        hung = await asyncio.wait_for(proxied.client.get("/v1/admin/tenants", headers=ADMIN), 20)
        took = time.monotonic() - started
        proxied.proxy.resume()
        after = await asyncio.wait_for(proxied.client.get("/v1/admin/tenants", headers=ADMIN), 20)

        assert hung.status_code == 503, hung.text
        assert hung.headers["Retry-After"] == "5"
        assert hung.json()["code"] == "unavailable"
        assert took < 10 * TIMEOUT
        assert after.status_code == 200, after.text  # the server answers again: so does the route

    async def test_a_batch_of_webhooks_is_answered_503_together_not_one_by_one(
        self, proxied: Proxied
    ) -> None:
        async with proxied.ctx.sessionmaker.begin() as session:
            registered = await make_tenant(session, proxied.ctx)
        ats = Ats(
            client=proxied.client,
            clock=proxied.ctx.clock,
            tenant_key=registered.tenant.key,
            secret=registered.webhook_secret,
        )
        assert (await ats.send("candidate.created", candidate("c_warm"))).status_code == 202
        proxied.proxy.swallow()
        opened = proxied.proxy.accepted

        answers = await asyncio.wait_for(
            asyncio.gather(*(ats.send("candidate.created", candidate(f"c_{i}")) for i in range(16))), 120
        )

        assert [answer.status_code for answer in answers] == [503] * 16
        assert {answer.headers["Retry-After"] for answer in answers} == {"5"}
        # Each batch tried the database once; retried alone, each webhook would have waited for it again,
        # on a connection of its own, before any of them was answered.
        assert proxied.proxy.accepted - opened < 8

    async def test_a_hung_statement_raises_what_counts_as_the_database_unreachable(
        self, proxied: Proxied
    ) -> None:
        async with proxied.ctx.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
            proxied.proxy.swallow()
            statement = asyncio.ensure_future(session.execute(text("SELECT 1")))
            done, _ = await asyncio.wait({statement}, timeout=20)
            if not done:
                statement.cancel()
            error = statement.exception() if done else None

        assert done, "the statement hung"
        # asyncpg's command_timeout: the builtin TimeoutError (an OSError), which SQLAlchemy does not wrap.
        assert type(error) is TimeoutError
        assert database_unreachable(error)

    async def test_the_drain_fails_instead_of_hanging_and_recovers_once_the_server_answers(
        self, proxied: Proxied
    ) -> None:
        health = DrainHealth(stalled_after=60)
        stop = asyncio.Event()
        service = proxied.service
        running = asyncio.create_task(
            supervise(service.dispatcher, service.wake, stop, health, poll=0.05, fill=0, restart_after=0.1)
        )
        try:
            await until(lambda: health.age() is not None, seconds=10)  # went round once
            proxied.proxy.swallow()
            await until(lambda: health.failures >= 1, seconds=20)  # a hung pass failed, and is retried
            proxied.proxy.resume()
            resumed = time.monotonic()
            await until(
                lambda: health.failures == 0 and (health.age() or 0) < time.monotonic() - resumed, seconds=20
            )
        finally:
            stop.set()
            await asyncio.wait_for(running, 20)
        assert health.problem() == "the outbox drain is not running"  # stopped, not stuck

    async def test_listening_finds_a_dead_connection_and_listens_again(self, proxied: Proxied) -> None:
        wake = proxied.service.wake
        async with wake.listening(proxied.ctx.engine, max_delay=0.2, check_every=0.2, answer_within=0.5):
            await until(lambda: wake.hearing, seconds=10)
            heard = _listening_metric()

            proxied.proxy.swallow()  # the LISTEN connection stays open, but nothing reaches this replica
            await until(lambda: not wake.hearing, seconds=10)
            deaf = _listening_metric()

            proxied.proxy.resume()
            await until(lambda: wake.hearing, seconds=10)
            again = _listening_metric()
        assert (heard, deaf, again) == (1, 0, 1)

    async def test_stopping_the_jobs_is_bounded_while_the_server_does_not_answer(
        self, proxied: Proxied
    ) -> None:
        scheduler = Scheduler(proxied.service, jobs=[])
        scheduler.start()
        try:
            await until(lambda: scheduler.drain.age() is not None, seconds=10)
            proxied.proxy.swallow()
            await asyncio.sleep(0.5)  # the drain's next pass is waiting on the server
        finally:
            started = time.monotonic()
            await asyncio.wait_for(scheduler.stop(), 30)
            took = time.monotonic() - started

        assert took < 10 * TIMEOUT
        assert not scheduler.drain.running
