"""The callback route and the jobs against the LinkedIn simulator, in process: the simulator calls our app
(challenge, signed notifications) through an ASGI client, and our jobs call the simulator the same way."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service import bootstrap
from rsc_service.bootstrap import Service
from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.integrations.linkedin import wire as li
from rsc_service.linkedin_notifications.models import LinkedInNotification
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.simulators.linkedin.defaults import DEFAULT_SEED
from rsc_service.simulators.linkedin.world import World
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage, StageChange, Tenant
from tests.conftest import FrozenClock
from tests.factories import make_tenant

SERVICE_URL = "http://rsc.test"
SIM_URL = "http://linkedin.test"
ORG = "urn:li:organization:1001"
CONTRACT = "urn:li:contract:2001"
CHILD_ID, CHILD_SECRET, CHILD_APP_ID = "sim-customer", "sim-customer-secret", 101
ORG_TYPES = (
    li.IntegrationType.IN_ATS_INDICATOR,
    li.IntegrationType.ONE_CLICK_EXPORT,
    li.IntegrationType.PROFILE_PLUGIN,
)


def sign(secret: str, message: bytes) -> str:
    """hex HMAC-SHA256, written out here rather than taken from the code under test."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed(body: dict[str, Any] | bytes, secret: str = CHILD_SECRET) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", "X-LI-Signature": sign(secret, b"hmacsha256=" + raw)}


def notification(kind: str = "INTEGRATION_STATUS_CHANGE", **fields: Any) -> dict[str, Any]:
    return {"type": kind, "id": f"urn:li:request:{uuid.uuid4()}", **fields}


async def notifications(ctx: AppContext, tenant_id: uuid.UUID) -> list[LinkedInNotification]:
    async with ctx.sessionmaker() as session:
        query = select(LinkedInNotification).where(LinkedInNotification.tenant_id == tenant_id)
        return list((await session.scalars(query.order_by(LinkedInNotification.id))).all())


async def stage_changes(ctx: AppContext, tenant_id: uuid.UUID) -> list[StageChange]:
    async with ctx.sessionmaker() as session:
        query = select(StageChange).where(StageChange.tenant_id == tenant_id).order_by(StageChange.id)
        return list((await session.scalars(query)).all())


async def integrations(ctx: AppContext, tenant_id: uuid.UUID) -> dict[tuple[str, str], str]:
    async with ctx.sessionmaker() as session:
        rows = await tenant_service.list_integrations(session, tenant_id=tenant_id)
    return {(row.integration_context, row.integration_type): row.status for row in rows}


async def tenant_of(ctx: AppContext, tenant_id: uuid.UUID) -> Tenant:
    async with ctx.sessionmaker() as session:
        return await tenant_service.get(session, tenant_id)


@pytest.fixture
async def provisioned(ctx: AppContext) -> Tenant:
    """A tenant registered with a child application (stage active), as the operator API makes one."""
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(
            session, ctx, linkedin_app_urn=f"urn:li:developerApplication:{CHILD_APP_ID}"
        )
    return registered.tenant


@pytest.fixture
async def unprovisioned(ctx: AppContext) -> Tenant:
    """A tenant registered for onboarding: no child application yet (stage requested)."""
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(
            session,
            ctx,
            linkedin_organization_urn=None,
            linkedin_client_id=None,
            linkedin_client_secret=None,
            linkedin_app_urn=None,
            linkedin_unique_foreign_id=None,
        )
    assert registered.tenant.stage is Stage.REQUESTED
    return registered.tenant


# ---- the simulator, wired both ways ----


@pytest.fixture
async def callbacks(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """How the simulator reaches our app: its challenge GETs and signed POSTs go through here."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SERVICE_URL) as http:
        yield http


@pytest.fixture
def linkedin_sim(callbacks: httpx.AsyncClient, clock: FrozenClock) -> FastAPI:
    # The customer's child app is provisioned and connected, but nothing is enabled yet.
    child = copy.deepcopy(DEFAULT_SEED["childApps"][0]) | {"enabled": False}
    config = SimConfig(
        allow_insecure_local=True,  # the callback is http://rsc.test
        sync_records_per_window=None,
        sync_requests_per_day=None,
        seed={"childApps": [child]},
    )
    return create_linkedin_sim(config, clock=clock, http=callbacks)


@pytest.fixture
def world(linkedin_sim: FastAPI) -> World:
    found: World = linkedin_sim.state.world
    return found


@pytest.fixture
async def linkedin_http(linkedin_sim: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=linkedin_sim), base_url=SIM_URL) as http:
        yield http


@pytest.fixture
def running(ctx: AppContext, linkedin_http: httpx.AsyncClient, clock: FrozenClock) -> Service:
    """The service the scheduler runs jobs with, its LinkedIn client pointed at the simulator."""
    client = LinkedInClient(linkedin_http, api_url=SIM_URL, oauth_url=f"{SIM_URL}/oauth/v2", clock=clock)
    return bootstrap.build(replace(ctx, linkedin=client))


@dataclass
class Onboarding:
    """A tenant waiting in partner_ready for LinkedIn, wired to the simulator's child application."""

    tenant: Tenant
    callback_url: str


async def wait_for_linkedin(ctx: AppContext, running: Service, *, callback: bool = True) -> Onboarding:
    """Register a tenant without a child app (requested), then do directly what onboarding will do: set
    its LinkedIn fields to the simulator's child app, store its requested integrations, move it to
    partner_ready; on the simulator, name the integrations and (unless told not to) set our callback."""
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(
            session,
            ctx,
            linkedin_organization_urn=None,
            linkedin_client_id=None,
            linkedin_client_secret=None,
            linkedin_app_urn=None,
            linkedin_unique_foreign_id=None,
            contracts=[CONTRACT],
        )
        tenant = registered.tenant
        assert tenant.stage is Stage.REQUESTED
    async with ctx.sessionmaker.begin() as session:
        tenant = await tenant_service.get(session, tenant.id)
        tenant.linkedin_organization_urn = ORG
        tenant.linkedin_client_id = CHILD_ID
        tenant.linkedin_client_secret_enc = ctx.cipher.encrypt(
            CHILD_SECRET, tenant_id=str(tenant.id), column="linkedin_client_secret"
        )
        tenant.linkedin_app_urn = f"urn:li:developerApplication:{CHILD_APP_ID}"
        tenant.linkedin_unique_foreign_id = CHILD_ID
        requested = [tenant_service.IntegrationStatus(ORG, t.value, "REQUESTED") for t in ORG_TYPES]
        requested.append(tenant_service.IntegrationStatus(CONTRACT, "CSA_API", "REQUESTED"))
        await tenant_service.record_integration_status(
            session, tenant, requested, actor=lifecycle.OPERATOR, now=ctx.clock()
        )
        lifecycle.advance(
            session,
            tenant,
            Stage.PARTNER_READY,
            actor=lifecycle.OPERATOR,
            reason="integrations requested",
            now=ctx.clock(),
        )
    app = (await running.tenant_apps.for_tenant(tenant.id)).app
    keys = [li.IntegrationKey(integration_context=ORG, integration_type=t) for t in ORG_TYPES]
    keys.append(li.IntegrationKey(integration_context=CONTRACT, integration_type=li.IntegrationType.CSA_API))
    named = await app.name_integrations({key: f"Acme {key.integration_type.value}" for key in keys})
    assert named.all_ok, named.errors
    url = f"{SERVICE_URL}/v1/linkedin/notifications/{tenant.key}"
    if callback:
        export = li.IntegrationKey(
            integration_context=ORG, integration_type=li.IntegrationType.ONE_CLICK_EXPORT
        )
        written = await app.put_configurations(export, {"CALLBACK_URL": url})
        assert written.all_ok, written.errors
    return Onboarding(tenant, url)


def enabled(rows: dict[tuple[str, str], str]) -> bool:
    return bool(rows) and all(status == "ENABLED" for status in rows.values())
