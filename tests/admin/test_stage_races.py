"""An operator forcing a step while the advance_onboarding job moves the tenant, on PostgreSQL (SQLite has one
writer): the step is decided on the stage the job left, through the admin route as through `rsc-service
tenant advance` — a refusal, never a move from a stage the tenant has already left."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.settings import Settings
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage, StageChange, Tenant
from tests import databases, processes
from tests.committed import database_url, engine, sessionmaker, settings, until_one_waits_for_a_lock  # noqa: F401
from tests.conftest import ADMIN_TOKEN, ENCRYPTION_KEY
from tests.factories import make_tenant

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

pytestmark = pytest.mark.skipif(not databases.is_postgres(), reason="SQLite serializes every writer")


async def _enabled_tenant(ctx: AppContext) -> tuple[str, uuid.UUID]:
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(
            session,
            ctx,
            contracts=[],
            linkedin_organization_urn=None,
            linkedin_client_id=None,
            linkedin_client_secret=None,
            linkedin_app_urn=None,
            linkedin_unique_foreign_id=None,
        )
        tenant = registered.tenant
        for stage in (Stage.PARTNER_READY, Stage.ENABLED):
            lifecycle.advance(
                session, tenant, stage, actor=lifecycle.LINKEDIN, reason="setup", now=ctx.clock()
            )
    return tenant.key, tenant.id


async def _job_starting_the_sync(ctx: AppContext, tenant_id: uuid.UUID) -> AsyncSession:
    """What the advance_onboarding job does when it starts the initial sync: under the tenant's lock, not
    committed yet."""
    job = ctx.sessionmaker()
    await job.begin()
    tenant = await tenant_service.get(job, tenant_id)
    await tenant_service.lock_stage(job, tenant)
    lifecycle.advance(
        job, tenant, Stage.INITIAL_SYNC, actor=lifecycle.SERVICE, reason="sync", now=ctx.clock()
    )
    await job.flush()
    return job


async def _until_one_waits_for_a_lock(ctx: AppContext) -> None:
    await until_one_waits_for_a_lock(ctx.engine)


async def _trail(ctx: AppContext, tenant_id: uuid.UUID) -> tuple[Stage | None, list[tuple[object, ...]]]:
    """The tenant's stage and its audit trail (from, to, actor), as committed."""
    async with ctx.sessionmaker() as session:
        stage = await session.scalar(select(Tenant.stage).where(Tenant.id == tenant_id))
        changes = await session.scalars(
            select(StageChange).where(StageChange.tenant_id == tenant_id).order_by(StageChange.id)
        )
        return stage, [(c.from_stage, c.to_stage, c.actor) for c in changes]


async def test_the_route_decides_a_forced_step_on_the_stage_the_job_left(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    key, tenant_id = await _enabled_tenant(ctx)
    job = await _job_starting_the_sync(ctx, tenant_id)

    # Meanwhile an operator, who saw `enabled`, sends the tenant back to partner_ready.
    forced = asyncio.create_task(
        client.post(
            f"/v1/admin/tenants/{key}/stage", json={"stage": "partner_ready", "reason": "x"}, headers=AUTH
        )
    )
    await _until_one_waits_for_a_lock(ctx)
    await job.commit()
    await job.close()
    answer = await forced

    stage, trail = await _trail(ctx, tenant_id)
    # initial_sync -> partner_ready is no move the lifecycle allows: 409, the sync goes on.
    assert answer.status_code == 409, (answer.status_code, answer.text, trail)
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert stage is Stage.INITIAL_SYNC, trail
    assert trail[-1] == (Stage.ENABLED, Stage.INITIAL_SYNC, lifecycle.SERVICE.name), trail


async def test_the_command_decides_a_forced_step_on_the_stage_the_job_left(
    ctx: AppContext,
    settings: Settings,  # noqa: F811
) -> None:
    key, tenant_id = await _enabled_tenant(ctx)
    job = await _job_starting_the_sync(ctx, tenant_id)

    env = processes.tenant_env(settings.database.url, ENCRYPTION_KEY)
    forced = asyncio.create_task(
        asyncio.to_thread(
            processes.run, ["tenant", "advance", key, "--to", "partner_ready", "--reason", "x"], env
        )
    )
    await _until_one_waits_for_a_lock(ctx)
    await job.commit()
    await job.close()
    result = await forced

    stage, trail = await _trail(ctx, tenant_id)
    assert result.returncode == 1, (result.stdout, result.stderr, trail)
    assert "cannot move to 'partner_ready'" in result.stderr, result.stderr
    assert stage is Stage.INITIAL_SYNC, trail
    assert trail[-1] == (Stage.ENABLED, Stage.INITIAL_SYNC, lifecycle.SERVICE.name), trail
