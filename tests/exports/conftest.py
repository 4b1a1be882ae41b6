"""One-Click Export through both simulators: a recruiter exports a member in the LinkedIn simulator, which
posts the signed notification to our app; our notification job reads the export from the simulator and
writes to the fake ATS, whose webhooks come back to our app. Everything over httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service import bootstrap
from rsc_service.bootstrap import Service
from rsc_service.context import AppContext
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
def running(ctx_seats: AppContext) -> Service:  # noqa: F811
    return bootstrap.build(ctx_seats)


@dataclass
class Recruiter:
    """A recruiter in the LinkedIn simulator, exporting from their seat, and the service acting on it."""

    sim: httpx.AsyncClient
    running: Service
    seat: int
    ats: FastAPI

    async def export(self, job: str | None, *, member: str = MEMBER) -> str:
        answer = await self.sim.post("/_sim/exports", json={"seat": self.seat, "member": member, "job": job})
        assert answer.status_code == 200, answer.text
        delivery = answer.json()["delivery"]
        assert delivery["attempts"][-1].get("status") == 200, delivery
        return str(answer.json()["requestId"])

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
    return Recruiter(linkedin_http, running, seat, ats_sim)


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


async def exports(ctx: AppContext) -> dict[str, Export]:
    async with ctx.sessionmaker() as session:
        return {row.request_id: row for row in (await session.scalars(select(Export))).all()}
