"""Deactivation routes (PRODUCT A8; docs/onboarding.md#stages): the ATS's, with the tenant API key,
and the operator's, with the admin token. `router` holds both."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, status

from rsc_service.ats_webhooks.deps import IntakeDep
from rsc_service.errors import NotFound, problem_responses
from rsc_service.onboarding import deactivation
from rsc_service.onboarding.deactivation_schemas import (
    DeactivationRead,
    DeactivationStart,
    OperatorDeactivation,
    to_read,
)
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.deps import TenantPrincipal, TenantRoute
from rsc_service.tenants.models import Tenant
from rsc_service.web.admin_auth import AdminPrincipal, AdminRoute
from rsc_service.web.deps import Ctx, WriteSession

_ACCEPTED = (
    "Answers at once with the progress; a job deletes and purges, and GET follows it. Asking again with "
    "the same choice answers the progress; the other choice is 409."
)

ats_router = APIRouter(
    prefix="/v1/integration", tags=["integration"], responses=problem_responses(401), route_class=TenantRoute
)
admin_router = APIRouter(
    prefix="/v1/admin", tags=["admin"], responses=problem_responses(401, 403), route_class=AdminRoute
)


def _mode(delete_linkedin_data: bool) -> deactivation.Mode:
    return deactivation.Mode.DELETE if delete_linkedin_data else deactivation.Mode.KEEP


def _stop_webhooks(intake: IntakeDep, background: BackgroundTasks, tenant_key: str) -> None:
    # This replica answers the tenant's webhooks 410 from its next request, and again after the commit (a
    # webhook read in between would have kept the stage from before); other replicas within about
    # RSC_ATS__TENANT_CACHE_SECONDS.
    intake.forget(tenant_key)
    background.add_task(intake.forget, tenant_key)


async def _progress(session: WriteSession, tenant: Tenant) -> DeactivationRead:
    found = await deactivation.progress(session, tenant)
    if found is None:
        raise NotFound(f"tenant {tenant.key} was never deactivated")
    return to_read(found)


@ats_router.post(
    "/deactivation",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeactivationRead,
    summary="Deactivate: stop the sync, delete LinkedIn's copy or keep it, purge ours (A8)",
    description=_ACCEPTED,
    responses=problem_responses(409, 422, 502),
)
async def deactivate(
    body: DeactivationStart,
    session: WriteSession,
    ctx: Ctx,
    principal: TenantPrincipal,
    intake: IntakeDep,
    background: BackgroundTasks,
) -> DeactivationRead:
    tenant = await tenant_service.get(session, principal.id)
    await deactivation.check_ats_user(ctx, tenant, body.ats_user_id)
    found = await deactivation.deactivate(
        session,
        ctx,
        tenant,
        mode=_mode(body.delete_linkedin_data),
        actor=lifecycle.Actor.ats_user(body.ats_user_id),
        now=ctx.clock(),
    )
    _stop_webhooks(intake, background, tenant.key)
    return to_read(found)


@ats_router.get(
    "/deactivation",
    response_model=DeactivationRead,
    summary="How the deactivation goes, per kind of record",
    responses=problem_responses(404),
)
async def deactivation_progress(session: WriteSession, principal: TenantPrincipal) -> DeactivationRead:
    return await _progress(session, await tenant_service.get(session, principal.id))


@admin_router.post(
    "/tenants/{tenant_key}/deactivation",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeactivationRead,
    summary="Deactivate a tenant as the operator: stop, delete LinkedIn's copy or keep it, purge ours",
    description=_ACCEPTED,
    responses=problem_responses(404, 409, 422),
)
async def deactivate_tenant(
    tenant_key: str,
    body: OperatorDeactivation,
    session: WriteSession,
    ctx: Ctx,
    intake: IntakeDep,
    background: BackgroundTasks,
    _: AdminPrincipal,
) -> DeactivationRead:
    tenant = await tenant_service.get_by_key(session, tenant_key)
    found = await deactivation.deactivate(
        session,
        ctx,
        tenant,
        mode=_mode(body.delete_linkedin_data),
        actor=lifecycle.OPERATOR,
        now=ctx.clock(),
        reason=body.reason,
    )
    _stop_webhooks(intake, background, tenant.key)
    return to_read(found)


@admin_router.get(
    "/tenants/{tenant_key}/deactivation",
    response_model=DeactivationRead,
    summary="How a tenant's deactivation goes, per kind of record",
    responses=problem_responses(404),
)
async def tenant_deactivation_progress(
    tenant_key: str, session: WriteSession, _: AdminPrincipal
) -> DeactivationRead:
    return await _progress(session, await tenant_service.get_by_key(session, tenant_key))


router = APIRouter()
router.include_router(ats_router)
router.include_router(admin_router)
