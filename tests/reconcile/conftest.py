"""The service between the fake ATS (webhooks on or dropped, its API read by reconcile) and LinkedIn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from rsc_service.context import AppContext
from tests.conftest import FrozenClock
from tests.factories import Ats, make_tenant
from tests.flows.conftest import (  # noqa: F401 - fixtures shared with the push flows
    FakeAts,
    ctx_li,
    dispatcher,
    fake_ats,
    linkedin_http,
    linkedin_sim,
    sim_config,
)

ATS_URL = "http://ats.test"
ATS_TOKEN = "ats-sim-token"  # the fake ATS's default API token


@pytest.fixture
async def ats(client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock) -> Ats:
    """A tenant whose ATS is the fake ATS and whose LinkedIn app is the simulator's default customer."""
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(
            session,
            ctx,
            ats_base_url=ATS_URL,
            ats_token=ATS_TOKEN,
            linkedin_client_id="sim-customer",
            linkedin_client_secret="sim-customer-secret",
            linkedin_app_urn="urn:li:developerApplication:101",
            linkedin_unique_foreign_id="sim-customer",
            linkedin_organization_urn="urn:li:organization:1001",
        )
    return Ats(client=client, clock=clock, tenant_key=registered.tenant.key, secret=registered.webhook_secret)


@pytest.fixture
async def ctx_ats(ctx_li: AppContext, fake_ats: FakeAts) -> AsyncIterator[AppContext]:  # noqa: F811
    """The context reconcile runs with: its ATS client reaches the fake ATS's API."""
    transport = httpx.ASGITransport(app=fake_ats.app)
    async with httpx.AsyncClient(transport=transport, base_url=ATS_URL) as http:
        yield replace(ctx_li, ats_http=http)
