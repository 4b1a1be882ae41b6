"""One-Click Export through both simulators: a recruiter exports a member in the LinkedIn simulator, which
posts the signed notification to our app; our notification job reads the export from the simulator and
writes to the fake ATS, whose webhooks come back to our app. Everything over httpx's ASGI transport."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service import bootstrap
from rsc_service.bootstrap import Service
from rsc_service.context import AppContext
from rsc_service.exports import decide
from rsc_service.exports import service as export_service
from rsc_service.exports.models import Export
from rsc_service.integrations.linkedin import wire as li
from rsc_service.linkedin_notifications import jobs as notification_jobs
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.simulators.ats.webhooks import WebhookSender
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.simulators.linkedin.models import Member
from rsc_service.simulators.linkedin.world import World as LinkedInWorld
from tests.conftest import FrozenClock
from tests.flows.conftest import ctx_li, dispatcher, drain, linkedin_http  # noqa: F401 - shared fixtures
from tests.seats.conftest import (  # noqa: F401 - the seats world: tenant, fake ATS, service app
    ALICE,
    ORG,
    LateApp,
    Tenancy,
    add_user,
    app,
    ats_sim,
    ats_world,
    ctx_seats,
    delivered,
    refresh,
    service_asgi,
    tenancy,
)

# A member nobody in the ATS is yet, whose email and phone must never reach the ATS.
MEMBER_ID = "m7001"
MEMBER = f"urn:li:person:{MEMBER_ID}"
MEMBER_EMAIL, MEMBER_PHONE = "dana.private@example.org", "+1 512 555 0199"
# A second member to export, with no contact details (the `other_member` fixture adds it).
OTHER_ID = "m7002"
OTHER = f"urn:li:person:{OTHER_ID}"

Fence = Callable[[object], Awaitable[bool]]


@pytest.fixture
async def callbacks(service_asgi: LateApp) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    transport = httpx.ASGITransport(app=service_asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as http:
        yield http


@pytest.fixture
def linkedin_sim(clock: FrozenClock, callbacks: httpx.AsyncClient) -> FastAPI:
    """The flows' simulator, able to post notifications to our app."""
    config = SimConfig(
        task_completion_seconds=1,
        sync_records_per_window=None,
        sync_requests_per_day=None,
        allow_insecure_local=True,  # the callback is http://rsc.test
    )
    sim = create_linkedin_sim(config, clock=clock, http=callbacks)
    world: LinkedInWorld = sim.state.world
    world.members[MEMBER_ID] = Member(
        MEMBER_ID, "Dana", "Scully", [MEMBER_EMAIL], MEMBER_PHONE, "Staff Engineer at Initech"
    )
    return sim


@pytest.fixture
def other_member(linkedin_sim: FastAPI) -> str:
    """Fox Mulder, a second member of the simulator to export: his member URN."""
    world: LinkedInWorld = linkedin_sim.state.world
    world.members[OTHER_ID] = Member(OTHER_ID, "Fox", "Mulder", [], None, "Analyst at Initech")
    return OTHER


@pytest.fixture
def running(ctx_seats: AppContext) -> Service:  # noqa: F811
    return bootstrap.build(ctx_seats)


@dataclass
class Recruiter:
    """A recruiter in the LinkedIn simulator, exporting from their seat, and the service acting on it."""

    sim: httpx.AsyncClient
    running: Service
    seat: int
    ats: FastAPI
    tenant_id: uuid.UUID

    async def export(self, job: str | None, *, member: str = MEMBER) -> str:
        answer = await self.sim.post("/_sim/exports", json={"seat": self.seat, "member": member, "job": job})
        assert answer.status_code == 200, answer.text
        delivery = answer.json()["delivery"]
        assert delivery["attempts"][-1].get("status") == 200, delivery
        return str(answer.json()["requestId"])

    async def requested(self, job: str) -> str:
        """An export of the member to `job` in the simulator: its request id, whatever became of its
        notification."""
        answer = await self.sim.post("/_sim/exports", json={"seat": self.seat, "member": MEMBER, "job": job})
        return str(answer.json()["requestId"])

    def process(self, request_id: str, fence: Fence) -> Awaitable[Export | None]:
        """The service acts on the export itself, with `fence` saying whether the notification is still its
        own when it records what became of it."""
        return export_service.process(
            self.running.ctx,
            self.running.tenant_apps,
            tenant_id=self.tenant_id,
            request_id=request_id,
            fence=fence,
        )

    async def act(self) -> None:
        """Run the notification job. The fake ATS holds the webhooks our writes raise until `deliver()`: the
        tests share one database connection, which a webhook arriving meanwhile would use at the same time."""
        self.hold()
        await notification_jobs.process_pending_notifications(self.running)

    def hold(self) -> None:
        """The fake ATS holds the webhooks it raises from now until `deliver()`."""
        self._sender.pause()

    async def deliver(self) -> None:
        """Let the fake ATS deliver what it held, and wait until every webhook is in."""
        self._sender.release()
        await delivered(self.ats)

    @property
    def _sender(self) -> WebhookSender:
        sender: WebhookSender = self.ats.state.webhooks
        return sender


@pytest.fixture
async def recruiter(
    client: httpx.AsyncClient,
    tenancy: Tenancy,  # noqa: F811
    ats_sim: FastAPI,  # noqa: F811
    linkedin_sim: FastAPI,
    linkedin_http: httpx.AsyncClient,  # noqa: F811
    running: Service,
) -> Recruiter:
    """Alice, an ATS user holding the seat of member m1001, connected by her email; the export integration's
    callback is our notification route."""
    add_user(ats_sim, ALICE)
    await delivered(ats_sim)
    assert (await refresh(client, tenancy))["connected"] == 1
    linkedin = (await running.tenant_apps.for_tenant(tenancy.tenant_id)).app
    export = li.IntegrationKey(integration_context=ORG, integration_type=li.IntegrationType.ONE_CLICK_EXPORT)
    written = await linkedin.put_configurations(
        export, {"CALLBACK_URL": f"http://rsc.test/v1/linkedin/notifications/{tenancy.key}"}
    )
    assert written.all_ok, written.errors
    world: LinkedInWorld = linkedin_sim.state.world
    seat = next(seat.seat_id for seat in world.seats.values() if seat.member == "m1001")
    return Recruiter(linkedin_http, running, seat, ats_sim, tenancy.tenant_id)


async def ours(_session: object) -> bool:
    """A fence: the notification is still this worker's."""
    return True


async def taken_over(_session: object) -> bool:
    """A fence: another worker has the notification now, so this try records nothing (it may have written
    to the ATS already)."""
    return False


@dataclass
class SeatMonth:
    """The recruiter's seat and the month of the test's clock: what a seat's allowance counts by."""

    ctx: AppContext
    tenant_id: uuid.UUID
    urn: str
    month: str

    async def used(self, count: int) -> None:
        """The seat's first `count` exports this month, recorded before."""
        async with self.ctx.sessionmaker.begin() as session:
            session.add_all(
                Export(
                    tenant_id=self.tenant_id,
                    request_id=f"urn:li:request:earlier-{n}",
                    outcome="created",
                    seat_urn=self.urn,
                    month=self.month,
                    processed_at=self.ctx.clock().astimezone(UTC),
                )
                for n in range(count)
            )


@pytest.fixture
def seat(ctx_seats: AppContext, recruiter: Recruiter, clock: FrozenClock) -> SeatMonth:  # noqa: F811
    return SeatMonth(
        ctx_seats, recruiter.tenant_id, f"urn:li:seat:{recruiter.seat}", decide.month_of(clock())
    )


async def synced_job(ats_sim: FastAPI, dispatcher: Dispatcher, clock: FrozenClock, **fields: Any) -> str:  # noqa: F811
    """A job of the fake ATS, delivered to us and synced to LinkedIn (so Recruiter's drop-down lists it)."""
    job = ats_world(ats_sim).create(
        "job",
        {
            "title": "Robotics Engineer",
            "description": "Build arms that sort parcels.",
            "location": {"city": "Austin", "region": "TX", "country": "US"},
        }
        | fields,
    )
    await delivered(ats_sim)
    await drain(dispatcher, clock, rounds=20)
    return str(job["id"])


def candidates(ats_sim: FastAPI) -> list[dict[str, object]]:  # noqa: F811
    return list(ats_world(ats_sim).stores["candidate"].live())


@pytest.fixture
async def job(
    recruiter: Recruiter,
    ats_sim: FastAPI,  # noqa: F811
    dispatcher: Dispatcher,  # noqa: F811
    clock: FrozenClock,
) -> str:
    """A job of the fake ATS synced to LinkedIn once the recruiter is set up: `synced_job` as it comes."""
    return await synced_job(ats_sim, dispatcher, clock)


async def exports(ctx: AppContext) -> dict[str, Export]:
    async with ctx.sessionmaker() as session:
        return {row.request_id: row for row in (await session.scalars(select(Export))).all()}
