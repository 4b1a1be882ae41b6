"""The service wired to the LinkedIn simulator over httpx (ASGI transport), sharing the test clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service import push
from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.outbox.dispatcher import Counts, Dispatcher, DispatchSettings
from rsc_service.outbox.models import OutboxMessage
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from tests.ats_webhooks.conftest import Ats
from tests.conftest import FrozenClock
from tests.factories import make_tenant

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
    return push.build_dispatcher(ctx_li, settings=DispatchSettings(concurrency=1))


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
    return Ats(client=client, clock=clock, tenant_key=registered.tenant.key, secret=registered.webhook_secret)


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


async def outbox_rows(ctx: AppContext) -> dict[tuple[str, str], OutboxMessage]:
    async with ctx.sessionmaker() as session:
        return {(m.resource, m.key): m for m in (await session.scalars(select(OutboxMessage))).all()}
