"""The service wired to the LinkedIn simulator over httpx (ASGI transport), sharing the test clock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service import bootstrap
from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.onboarding import deactivation
from rsc_service.outbox.dispatcher import Counts, Dispatcher, DispatchSettings
from rsc_service.outbox.models import OutboxMessage
from rsc_service.simulators.ats.app import create_app as create_ats_sim
from rsc_service.simulators.ats.config import AtsSimConfig
from rsc_service.simulators.ats.webhooks import WebhookSender
from rsc_service.simulators.ats.world import World as AtsWorld
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.simulators.linkedin.world import World as LinkedInWorld
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.apps import TenantApps
from rsc_service.throttle import service as throttle
from rsc_service.throttle.service import DatabaseThrottle
from tests.conftest import FrozenClock
from tests.factories import Ats, application, candidate, deactivate_by_operator, job, make_tenant

SIM_URL = "http://linkedin.test"


@pytest.fixture
def sim_config() -> SimConfig:
    return SimConfig(task_completion_seconds=1, sync_records_per_window=None, sync_requests_per_day=None)


@pytest.fixture
def linkedin_sim(sim_config: SimConfig, clock: FrozenClock) -> FastAPI:
    return create_linkedin_sim(sim_config, clock=clock)


@pytest.fixture
async def linkedin_http(linkedin_sim: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=linkedin_sim)
    async with httpx.AsyncClient(transport=transport, base_url=SIM_URL) as http:
        yield http


class Interposer(httpx.AsyncBaseTransport):
    """The network between the service and LinkedIn: runs `before` once, as the first request for `path` is
    on its way, then lets every request through. What a test does meanwhile (an operator's deactivation, say)
    happens while the service waits for LinkedIn's answer, as it would in production."""

    def __init__(self, inner: httpx.AsyncBaseTransport, path: str) -> None:
        self.inner, self.path = inner, path
        self.before: Callable[[], Awaitable[None]] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self.path and self.before is not None:
            before, self.before = self.before, None
            await before()
        return await self.inner.handle_async_request(request)


@pytest.fixture
def ctx_li(ctx: AppContext, linkedin_http: httpx.AsyncClient, clock: FrozenClock) -> AppContext:
    client = LinkedInClient(linkedin_http, api_url=SIM_URL, oauth_url=f"{SIM_URL}/oauth/v2", clock=clock)
    wired = replace(ctx, linkedin=client)
    wired.settings.linkedin.records_per_minute = None
    wired.settings.linkedin.requests_per_day = None
    return wired


@pytest.fixture
def dispatcher(ctx_li: AppContext) -> Dispatcher:
    # One connection serves the whole test (savepoint tier), so batches take turns on it.
    return bootstrap.build(ctx_li, dispatch=DispatchSettings(concurrency=1)).dispatcher


@pytest.fixture
async def ats(client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock) -> Ats:
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(
            session,
            ctx,
            linkedin_client_id="sim-customer",
            linkedin_client_secret="sim-customer-secret",
            linkedin_app_urn="urn:li:developerApplication:101",
            linkedin_unique_foreign_id="sim-customer",
            linkedin_organization_urn="urn:li:organization:1001",
        )
    return Ats(
        client=client,
        clock=clock,
        tenant_key=registered.tenant.key,
        secret=registered.webhook_secret,
        api_key=registered.api_key,
    )


async def drain(dispatcher: Dispatcher, clock: FrozenClock, *, rounds: int = 10) -> Counts:
    """Drain until nothing is due, moving the shared clock past waits (tasks, dependencies, backoff)."""
    total = Counts()
    for _ in range(rounds):
        counts = await dispatcher.drain_once()
        total.add(counts)
        if counts.claimed == 0 and counts.sent == 0:
            clock.advance(seconds=2)
            again = await dispatcher.drain_once()
            total.add(again)
            if again.claimed == 0 and again.sent == 0:
                break
    return total


async def land_job_candidate_application(ats: Ats, dispatcher: Dispatcher, clock: FrozenClock) -> None:
    """The ATS sends a job, a candidate and the candidate's application for it; all three land."""
    for event_type, data in [
        ("job.created", job()),
        ("candidate.created", candidate()),
        ("application.created", application()),
    ]:
        await ats.send(event_type, data)
    await drain(dispatcher, clock, rounds=20)


async def choose_availability(client: httpx.AsyncClient, ats: Ats, availability: str) -> httpx.Response:
    """The ATS sets the customer's choice of job availability (RSC-102)."""
    return await client.put(
        "/v1/integration/job-availability",
        json={"job_availability": availability},
        headers={"Authorization": f"Bearer {ats.api_key}"},
    )


async def assert_all_done(ctx: AppContext) -> None:
    """Every outbox row has landed: nothing pending, waiting, retrying or dead."""
    rows = await outbox_rows(ctx)
    unsettled = {key: (row.state, row.last_error) for key, row in rows.items() if row.state != "done"}
    assert not unsettled, unsettled


async def outbox_rows(ctx: AppContext) -> dict[tuple[str, str], OutboxMessage]:
    async with ctx.sessionmaker() as session:
        return {(m.resource, m.key): m for m in (await session.scalars(select(OutboxMessage))).all()}


@dataclass
class FakeAts:
    """The fake ATS, its signed webhooks posted to our app over ASGI with the tenant's secret."""

    app: FastAPI
    tenant_key: str

    @property
    def world(self) -> AtsWorld:
        world: AtsWorld = self.app.state.world
        return world

    @property
    def webhooks(self) -> WebhookSender:
        sender: WebhookSender = self.app.state.webhooks
        return sender

    async def flush(self) -> None:
        assert await self.webhooks.flush(within=30), "the fake ATS could not deliver every webhook"
        failed = [d.summary() for d in self.webhooks.deliveries if d.state == "failed"]
        assert not failed, failed


@pytest.fixture
async def fake_ats(app: FastAPI, ats: Ats, clock: FrozenClock) -> AsyncIterator[FakeAts]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as http:
        config = AtsSimConfig(
            webhook_url=f"http://rsc.test/v1/webhooks/ats/{ats.tenant_key}",
            webhook_secret=ats.secret,
            retry_schedule=[0, 0, 0],
            retry_scale=0,
        )
        sim = create_ats_sim(config, http=http, clock=clock)
        yield FakeAts(sim, ats.tenant_key)
        await sim.state.webhooks.close()


def linkedin_world(sim: FastAPI) -> LinkedInWorld:
    world: LinkedInWorld = sim.state.world
    return world


def clocked_apps(ctx: AppContext, clock: FrozenClock, *, seed: int = 0) -> TenantApps:
    """Tenants' LinkedIn apps whose shared throttle waits by moving the test clock, not real time."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)

    config = throttle.config(ctx.settings.linkedin, lease_seconds=ctx.settings.outbox.lease_seconds)

    def make(app: str) -> DatabaseThrottle:
        return DatabaseThrottle(
            ctx.sessionmaker, app=app, config=config, now=ctx.db_now, sleep=sleep, rng=random.Random(seed)
        )

    return TenantApps(ctx.sessionmaker, linkedin=ctx.linkedin, cipher=lambda: ctx.cipher, throttle=make)


def clocked_dispatcher(
    ctx: AppContext, clock: FrozenClock, *, settings: DispatchSettings | None = None, seed: int = 0
) -> Dispatcher:
    """The service's dispatcher, its throttle on the test clock and its jitter seeded."""
    return bootstrap.build(
        ctx,
        apps=clocked_apps(ctx, clock, seed=seed),
        dispatch=settings or DispatchSettings(concurrency=1),
        rng=random.Random(seed),
    ).dispatcher


@asynccontextmanager
async def two_replicas(
    ctx_li: AppContext, clock: FrozenClock, transport: httpx.AsyncBaseTransport
) -> AsyncIterator[tuple[Dispatcher, Dispatcher]]:
    """Two replicas' dispatchers, one row at a time each under a two-minute lease: the first reaches
    LinkedIn over `transport`, the other as `ctx_li` does."""
    async with httpx.AsyncClient(transport=transport, base_url=SIM_URL) as http:
        slow = LinkedInClient(http, api_url=SIM_URL, oauth_url=f"{SIM_URL}/oauth/v2", clock=clock)
        settings = DispatchSettings(concurrency=1, lease=timedelta(seconds=120))
        yield (
            clocked_dispatcher(replace(ctx_li, linkedin=slow), clock, settings=settings),
            clocked_dispatcher(ctx_li, clock, settings=settings),
        )


async def add_fault(http: httpx.AsyncClient, **rule: object) -> None:
    response = await http.post("/_sim/faults", json=rule)
    assert response.status_code in {200, 201}, response.text


async def seed_every_kind(fake: FakeAts) -> dict[str, dict[str, Any]]:
    world = fake.world
    author = world.create(
        "user", {"email": "rita@acme.example", "first_name": "Rita", "last_name": "Recruiter"}
    )
    job = world.create(
        "job",
        {
            "title": "Robotics Engineer",
            "description": "Build arms that sort parcels.",
            "location": {"city": "Austin", "region": "TX", "country": "US"},
        },
    )
    candidate = world.create(
        "candidate",
        {
            "first_name": "Dan",
            "last_name": "Candidate",
            "emails": [{"address": "dan@candidates.example", "type": "home"}],
            "phones": [{"number": "+1 512 555 0100", "type": "mobile"}],
            "current_company": "Parcel Bots",
            "current_title": "Engineer",
        },
    )
    application = world.create("application", {"candidate_id": candidate["id"], "job_id": job["id"]})
    candidate_note = world.create(
        "note", {"candidate_id": candidate["id"], "body": "Met at a meetup.", "author_user_id": author["id"]}
    )
    application_note = world.create(
        "note",
        {
            "candidate_id": candidate["id"],
            "application_id": application["id"],
            "body": "Strong on control loops.",
        },
    )
    feedback = world.create(
        "interview_feedback",
        {
            "application_id": application["id"],
            "interviewer_user_id": author["id"],
            "interview_type": "phone",
            "rating": "strong_yes",
            "summary": "Clear thinker.",
        },
    )
    await fake.flush()
    return {
        "job": job,
        "candidate": candidate,
        "application": application,
        "candidate_note": candidate_note,
        "application_note": application_note,
        "feedback": feedback,
    }


class HeldAnswers(httpx.AsyncBaseTransport):
    """The network to LinkedIn, where the answer to the first matching write is held until released.

    LinkedIn has applied the write; only its answer is late, as on a slow link.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        prefix: str = "/v2/atsCandidates",
        methods: tuple[str, ...] = ("PUT",),
    ) -> None:
        self.inner = inner
        self.prefix, self.methods = prefix, methods
        self.release = asyncio.Event()
        self.held = asyncio.Event()
        self._armed = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self._armed and request.url.path.startswith(self.prefix) and request.method in self.methods:
            self._armed = False
            await response.aread()
            self.held.set()
            await self.release.wait()
        return response


async def deactivated(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock, tenant_key: str
) -> None:
    """The operator deactivates the tenant, LinkedIn's copy to be deleted, and the job runs until it has
    finished (clocked throttle, no error on the way)."""
    await deactivate_by_operator(client, tenant_key)
    async with ctx.sessionmaker() as session:
        tenant = await tenant_service.get_by_key(session, tenant_key)
    apps = clocked_apps(ctx, clock)
    for _ in range(30):
        outcomes = await deactivation.finish_deactivations(ctx, apps, tenant_ids=[tenant.id])
        assert not any(o.error for o in outcomes), outcomes
        if outcomes and outcomes[0].finished:
            return
        clock.advance(seconds=2)
    raise AssertionError(f"the deactivation of {tenant_key} did not finish")
