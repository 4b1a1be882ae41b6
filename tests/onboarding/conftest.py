"""A customer set up from nothing: the service wired to the fake ATS (its API) and to a LinkedIn simulator
where nothing is provisioned or enabled; the simulator's notifications reach the service over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from rsc_service.app import create_app
from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.settings import Settings
from rsc_service.simulators.ats.app import create_app as create_ats_sim
from rsc_service.simulators.ats.config import AtsSimConfig
from rsc_service.simulators.ats.world import World as AtsWorld
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.simulators.linkedin.world import World as LinkedInWorld
from tests.conftest import FrozenClock, make_settings
from tests.factories import make_tenant

SIM_URL = "http://linkedin.test"
ATS_URL = "http://ats.test"
RSC_URL = "http://rsc.test"
ATS_TOKEN = "ats-sim-token"
PARTNER = {"partner_client_id": "sim-partner", "partner_client_secret": "sim-partner-secret"}
NOTHING_PROVISIONED: dict[str, Any] = {"childApps": []}


class LateAsgi(httpx.AsyncBaseTransport):
    """An ASGI transport to an app built after the client that uses it (the service, for the simulator)."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.app is not None
        return await httpx.ASGITransport(app=self.app).handle_async_request(request)


@pytest.fixture
def linkedin_seed() -> dict[str, Any]:
    return dict(NOTHING_PROVISIONED)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, onboarding=PARTNER, server={"public_url": RSC_URL})


@dataclass
class World:
    """Both sides as a test sees them: the service's client, the simulators and their stores."""

    client: httpx.AsyncClient
    linkedin: httpx.AsyncClient
    ats_app: FastAPI
    linkedin_app: FastAPI
    ctx: AppContext

    @property
    def li(self) -> LinkedInWorld:
        world: LinkedInWorld = self.linkedin_app.state.world
        return world

    @property
    def ats(self) -> AtsWorld:
        world: AtsWorld = self.ats_app.state.world
        return world


@pytest.fixture
async def world(
    ctx: AppContext, settings: Settings, clock: FrozenClock, linkedin_seed: dict[str, Any]
) -> AsyncIterator[World]:
    to_service = LateAsgi()
    async with httpx.AsyncClient(transport=to_service, base_url=RSC_URL) as callbacks:
        linkedin_app = create_linkedin_sim(
            SimConfig(task_completion_seconds=1, seed=linkedin_seed, allow_insecure_local=True),
            clock=clock,
            http=callbacks,
        )
        ats_app = create_ats_sim(AtsSimConfig(), clock=clock)
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=linkedin_app), base_url=SIM_URL) as linkedin,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=ats_app), base_url=ATS_URL) as ats_http,
        ):
            wired = replace(
                ctx,
                linkedin=LinkedInClient(
                    linkedin, api_url=SIM_URL, oauth_url=f"{SIM_URL}/oauth/v2", clock=clock
                ),
                ats_http=ats_http,
            )
            app = create_app(settings, context=wired)
            to_service.app = app
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url=RSC_URL) as client:
                yield World(client, linkedin, ats_app, linkedin_app, wired)


@dataclass
class Customer:
    key: str
    api_key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture
async def customer(ctx: AppContext) -> Customer:
    """A tenant registered for onboarding: its ATS is the fake ATS; nothing at LinkedIn yet."""
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(
            session,
            ctx,
            name="Acme Robotics",
            ats_base_url=ATS_URL,
            ats_token=ATS_TOKEN,
            contracts=[],
            linkedin_organization_urn=None,
            linkedin_client_id=None,
            linkedin_client_secret=None,
            linkedin_app_urn=None,
            linkedin_unique_foreign_id=None,
        )
    return Customer(registered.tenant.key, registered.api_key)


def ats_user(
    world: World, access_level: str = "owner", *, active: bool = True, email: str = "olga@acme.example"
) -> str:
    user = world.ats.create(
        "user",
        {
            "email": email,
            "first_name": "Olga",
            "last_name": "Owner",
            "access_level": access_level,
            "active": active,
        },
    )
    return str(user["id"])


async def sign_in(world: World, customer: Customer, user_id: str) -> httpx.Response:
    """Activation, then LinkedIn's sign-in page, then its redirect back to the service's callback."""
    started = await world.client.post(
        "/v1/integration/activation", json={"ats_user_id": user_id}, headers=customer.auth
    )
    assert started.status_code == 200, started.text
    page = await world.linkedin.get(started.json()["sign_in_url"])
    assert page.status_code == 302, page.text
    back = urlsplit(page.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == RSC_URL
    return await world.client.get(back.path, params=dict(parse_qsl(back.query)))


async def plugin(world: World, customer: Customer, **body: Any) -> httpx.Response:
    """LinkedIn's configuration plugin, as the ATS page runs it with the customer's child app."""
    status = await world.client.get("/v1/integration", headers=customer.auth)
    return await world.linkedin.post(
        "/_sim/customers/connect", json={"clientId": status.json()["js_sdk_api_key"], **body}
    )


def request_body(user_id: str, answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "ats_user_id": user_id,
        "member": answer["member"],
        "contracts": answer["contracts"],
        "integrations": answer["integrations"],
    }
