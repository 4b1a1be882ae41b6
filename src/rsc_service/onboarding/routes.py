"""The ATS's integrations page (tenant API key) and LinkedIn's sign-in redirect (docs/onboarding.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import RedirectResponse

from rsc_service.ats_webhooks.deps import IntakeDep
from rsc_service.errors import problem_responses
from rsc_service.onboarding import schemas
from rsc_service.onboarding import service as onboarding
from rsc_service.push.fields import PRIVATE
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.deps import TenantPrincipal, TenantRoute
from rsc_service.web.deps import Ctx, WriteSession

router = APIRouter(
    prefix="/v1/integration", tags=["integration"], responses=problem_responses(401), route_class=TenantRoute
)
sign_in_router = APIRouter(prefix="/v1/linkedin/oauth", tags=["integration"])


@router.get("", response_model=schemas.IntegrationStatus, summary="Stage, integrations and features (A3, A7)")
async def get_status(
    session: WriteSession, ctx: Ctx, principal: TenantPrincipal
) -> schemas.IntegrationStatus:
    tenant = await tenant_service.get(session, principal.id)
    return _status(await onboarding.status(session, ctx, tenant), tenant.job_availability)


@router.post(
    "/activation",
    response_model=schemas.ActivationStarted,
    summary="Kick off: check the requirements and get LinkedIn's sign-in URL (A1, A2)",
    responses=problem_responses(409, 422, 502, 503),
)
async def start_activation(
    body: schemas.ActivationStart, session: WriteSession, ctx: Ctx, principal: TenantPrincipal
) -> schemas.ActivationStarted:
    tenant = await tenant_service.get(session, principal.id)
    url = await onboarding.start_activation(session, ctx, tenant, ats_user_id=body.ats_user_id)
    expires = ctx.clock() + timedelta(minutes=ctx.settings.onboarding.sign_in_minutes)
    return schemas.ActivationStarted(sign_in_url=url, expires_at=expires)


@router.post(
    "/request",
    response_model=schemas.IntegrationStatus,
    summary="Request what LinkedIn's configuration plugin returned; the tenant becomes partner_ready",
    responses=problem_responses(409, 422, 502),
)
async def request_integrations(
    body: schemas.IntegrationRequestBody, session: WriteSession, ctx: Ctx, principal: TenantPrincipal
) -> schemas.IntegrationStatus:
    tenant = await tenant_service.get(session, principal.id)
    await onboarding.request_integrations(session, ctx, tenant, _request(body))
    return _status(await onboarding.status(session, ctx, tenant), tenant.job_availability)


@router.post(
    "/contracts",
    response_model=schemas.IntegrationStatus,
    summary="Connect another Recruiter contract after setup (A6): its contract-level access is requested",
    responses=problem_responses(409, 422, 502),
)
async def add_contracts(
    body: schemas.IntegrationRequestBody, session: WriteSession, ctx: Ctx, principal: TenantPrincipal
) -> schemas.IntegrationStatus:
    tenant = await tenant_service.get(session, principal.id)
    await onboarding.add_contracts(session, ctx, tenant, _request(body))
    return _status(await onboarding.status(session, ctx, tenant), tenant.job_availability)


@router.put(
    "/job-availability",
    response_model=schemas.IntegrationStatus,
    summary="Choose PUBLIC or PRIVATE_TO_ATS_INTEGRATION for synced jobs (RSC-102); every job is sent again",
    responses=problem_responses(422),
)
async def set_job_availability(
    body: schemas.JobAvailability,
    session: WriteSession,
    ctx: Ctx,
    intake: IntakeDep,
    principal: TenantPrincipal,
) -> schemas.IntegrationStatus:
    tenant = await tenant_service.get(session, principal.id)
    await onboarding.set_job_availability(session, ctx, tenant, body.job_availability)
    intake.forget(tenant.key)  # this replica's webhooks build jobs with the new choice from now on
    return _status(await onboarding.status(session, ctx, tenant), tenant.job_availability)


@sign_in_router.get(
    "/callback",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    summary="LinkedIn's redirect after the admin signed in; continues to the ATS's integrations page",
    responses=problem_responses(400, 403, 409, 502, 503),
)
async def sign_in_callback(
    session: WriteSession,
    ctx: Ctx,
    state: Annotated[str | None, Query(max_length=200)] = None,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    back = await onboarding.finish_sign_in(session, ctx, state=state, code=code, error=error)
    return RedirectResponse(back, status_code=status.HTTP_303_SEE_OTHER)


def _request(body: schemas.IntegrationRequestBody) -> onboarding.IntegrationRequest:
    return onboarding.IntegrationRequest(
        ats_user_id=body.ats_user_id,
        member_id=body.member.id,
        seat_roles=body.member.seat_roles,
        contracts=[(c.urn, c.type) for c in body.contracts],
        integrations=[
            onboarding.RequestedIntegration(i.integration_context, i.integration_type)
            for i in body.integrations
        ],
    )


def _status(found: onboarding.Status, availability: str | None) -> schemas.IntegrationStatus:
    return schemas.IntegrationStatus(
        stage=found.stage,
        stage_changed_at=found.stage_changed_at,
        stalled=found.stalled,
        waiting_for=found.waiting_for,
        next_step=found.next_step,
        js_sdk_api_key=found.js_sdk_api_key,
        job_availability=availability or PRIVATE,
        integrations=[schemas.IntegrationRead(context=c, type=t, status=s) for c, t, s in found.integrations],
        features=[
            schemas.FeatureRead(name=f.name, level=f.level, active=f.active, reason=f.reason)
            for f in found.features
        ],
    )
