"""The service between the fake ATS (its users, its webhooks) and the LinkedIn simulator (its seats), all in
process over httpx, with a tenant whose API key the ATS uses on the seat routes."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from rsc_service.app import create_app
from rsc_service.context import AppContext
from rsc_service.settings import Settings
from rsc_service.simulators.ats.app import create_app as create_ats_sim
from rsc_service.simulators.ats.config import AtsSimConfig
from rsc_service.simulators.ats.webhooks import WebhookSender
from rsc_service.simulators.ats.world import World as AtsWorld
from rsc_service.simulators.linkedin.models import Member
from rsc_service.simulators.linkedin.models import Seat as SimSeat
from rsc_service.simulators.linkedin.world import World as LinkedInWorld
from tests.conftest import FrozenClock
from tests.factories import make_tenant
from tests.flows.conftest import (  # noqa: F401 - fixtures shared with the push flows
    ctx_li,
    dispatcher,
    linkedin_http,
    linkedin_sim,
    sim_config,
)

ATS_URL = "http://ats.test"
ATS_TOKEN = "ats-sim-token"  # the fake ATS's default API token
CONTRACT = "urn:li:contract:2001"
ORG = "urn:li:organization:1001"
ALICE, BOB, CAROL = "alice@sim-customer.example", "bob@sim-customer.example", "carol@sim-customer.example"


_OTHER_APPS = itertools.count(900)  # application ids the simulator's default world does not use


@dataclass(frozen=True)
class Tenancy:
    tenant_id: Any
    key: str
    api_key: str
    webhook_secret: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


async def register(ctx: AppContext, **overrides: Any) -> Tenancy:
    """A tenant whose ATS is the fake ATS and whose LinkedIn app is the simulator's default customer."""
    fields: dict[str, Any] = {
        "ats_base_url": ATS_URL,
        "ats_token": ATS_TOKEN,
        "linkedin_client_id": "sim-customer",
        "linkedin_client_secret": "sim-customer-secret",
        "linkedin_app_urn": "urn:li:developerApplication:101",
        "linkedin_organization_urn": ORG,
        "contracts": [CONTRACT],
    }
    if "linkedin_client_id" in overrides and "linkedin_app_urn" not in overrides:
        # Another application than the simulator's default customer: an application URN of its own.
        fields["linkedin_app_urn"] = f"urn:li:developerApplication:{next(_OTHER_APPS)}"
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(session, ctx, **(fields | overrides))
    return Tenancy(registered.tenant.id, registered.tenant.key, registered.api_key, registered.webhook_secret)


class LateApp:
    """An ASGI app that forwards to one set later: the fake ATS posts webhooks to the service, whose context
    reaches the fake ATS's API, so one of them has to be made first."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "the service app is not built yet"
        await self.app(scope, receive, send)


@pytest.fixture
async def tenancy(ctx: AppContext) -> Tenancy:
    return await register(ctx)


@pytest.fixture
def service_asgi() -> LateApp:
    return LateApp()


@pytest.fixture
async def ats_sim(clock: FrozenClock, tenancy: Tenancy, service_asgi: LateApp) -> AsyncIterator[FastAPI]:
    transport = httpx.ASGITransport(app=service_asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as http:
        config = AtsSimConfig(
            webhook_url=f"http://rsc.test/v1/webhooks/ats/{tenancy.key}",
            webhook_secret=tenancy.webhook_secret,
            retry_schedule=[0, 0, 0],
            retry_scale=0,
        )
        sim = create_ats_sim(config, http=http, clock=clock)
        yield sim
        await sim.state.webhooks.close()


@pytest.fixture
async def ctx_seats(ctx_li: AppContext, ats_sim: FastAPI) -> AsyncIterator[AppContext]:  # noqa: F811
    """The service's context: LinkedIn is the simulator, the tenants' ATS API is the fake ATS."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ats_sim), base_url=ATS_URL) as http:
        yield replace(ctx_li, ats_http=http)


@pytest.fixture
def app(settings: Settings, ctx_seats: AppContext, service_asgi: LateApp) -> FastAPI:
    app = create_app(settings, context=ctx_seats)
    service_asgi.app = app
    return app


def ats_world(sim: FastAPI) -> AtsWorld:
    world: AtsWorld = sim.state.world
    return world


def li_world(sim: FastAPI) -> LinkedInWorld:
    world: LinkedInWorld = sim.state.world
    return world


async def delivered(sim: FastAPI) -> None:
    """Every webhook the fake ATS owes the service has been delivered and accepted."""
    sender: WebhookSender = sim.state.webhooks
    assert await sender.flush(within=30), "the fake ATS could not deliver every webhook"
    failed = [d.summary() for d in sender.deliveries if d.state == "failed"]
    assert not failed, failed


def add_user(sim: FastAPI, email: str, *, active: bool = True, name: str = "Ann") -> str:
    user = ats_world(sim).create(
        "user", {"email": email, "first_name": name, "last_name": "User", "active": active}
    )
    return str(user["id"])


def add_seats(sim: FastAPI, first_id: int, count: int, *, contract: str = CONTRACT) -> None:
    """`count` ACTIVE seats from `first_id` on, each held by a member of its own with an email."""
    world = li_world(sim)
    for seat_id in range(first_id, first_id + count):
        member = f"m{seat_id}"
        world.members[member] = Member(member, "Seat", f"Holder {seat_id}", [f"holder{seat_id}@sim.example"])
        world.seats[seat_id] = SimSeat(seat_id, contract, member, "ACTIVE", ["SOURCER_ADD_PROSPECT"], 0)


async def refresh(client: httpx.AsyncClient, tenancy: Tenancy) -> dict[str, Any]:
    response = await client.post("/v1/integration/seats/refresh", headers=tenancy.auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def seats_by_urn(client: httpx.AsyncClient, tenancy: Tenancy) -> dict[str, dict[str, Any]]:
    response = await client.get("/v1/integration/seats", headers=tenancy.auth)
    assert response.status_code == 200, response.text
    return {seat["seat_urn"]: seat for seat in response.json()["seats"]}


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert body["code"] == code, body
    return body
