"""Operator API: register, read, change and remove tenants; rotate their webhook secrets and API keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body, Query, Response, status

from rsc_service.ats_webhooks.deps import IntakeDep
from rsc_service.errors import problem_responses
from rsc_service.onboarding import initial_sync
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage
from rsc_service.tenants.schemas import (
    ApiKeyRotated,
    StageChangeRead,
    StageForce,
    TenantCreate,
    TenantCreated,
    TenantRead,
    TenantUpdate,
    WebhookSecretRotate,
    WebhookSecretRotated,
    to_read,
)
from rsc_service.web.admin_auth import AdminPrincipal, AdminRoute
from rsc_service.web.deps import Ctx, WriteSession

# No body, or an empty one: the replaced secrets keep verifying for RSC_ATS__SECRET_GRACE_HOURS.
_DEFAULT_GRACE = WebhookSecretRotate()

router = APIRouter(
    prefix="/v1/admin", tags=["admin"], responses=problem_responses(401, 403), route_class=AdminRoute
)

# OpenAPI links: what a registration answers names the tenant every per-tenant admin route acts on.
_TENANT_LINKS = {
    link: {"operationId": operation, "parameters": {"tenant_key": "$response.body#/key"}}
    for link, operation in {
        "GetTenant": "admin-get_tenant",
        "UpdateTenant": "admin-update_tenant",
        "DeleteTenant": "admin-delete_tenant",
        "ListStageChanges": "admin-list_stage_changes",
        "ForceStage": "admin-force_stage",
        "RotateWebhookSecret": "admin-rotate_webhook_secret",
        "RotateApiKey": "admin-rotate_api_key",
        "GetSyncHealth": "admin-get_sync_health",
        "ListDeadLetters": "admin-list_dead_letters",
        "DeactivateTenant": "admin-deactivate_tenant",
    }.items()
}


@router.post(
    "/tenants",
    status_code=status.HTTP_201_CREATED,
    response_model=TenantCreated,
    summary="Register a tenant (active with an existing child app, else requested); secrets are shown once",
    responses=problem_responses(409, 422) | {201: {"description": "Registered", "links": _TENANT_LINKS}},
)
async def create_tenant(
    body: TenantCreate, session: WriteSession, ctx: Ctx, _: AdminPrincipal
) -> TenantCreated:
    registered = await tenant_service.register(
        session,
        data=body,
        cipher=ctx.cipher,
        now=ctx.clock(),
        allow_insecure_local=ctx.settings.allow_insecure_local,
    )
    return TenantCreated(
        **to_read(registered.tenant).model_dump(),
        api_key=registered.api_key,
        webhook_secret=registered.webhook_secret,
    )


@router.get("/tenants", response_model=list[TenantRead], summary="Every tenant, or those in one stage")
async def list_tenants(
    session: WriteSession,
    _: AdminPrincipal,
    stage: Annotated[Stage | None, Query(description="Only tenants in this stage")] = None,
) -> list[TenantRead]:
    return [to_read(t) for t in await tenant_service.list_all(session) if stage is None or t.stage is stage]


@router.get(
    "/tenants/{tenant_key}/stages",
    response_model=list[StageChangeRead],
    summary="A tenant's audit trail: every stage it went through, who moved it and why",
    responses=problem_responses(404),
)
async def list_stage_changes(
    tenant_key: str, session: WriteSession, _: AdminPrincipal
) -> list[StageChangeRead]:
    tenant = await tenant_service.get_by_key(session, tenant_key)
    return [
        StageChangeRead(from_stage=c.from_stage, to_stage=c.to_stage, actor=c.actor, reason=c.reason, at=c.at)
        for c in await tenant_service.stage_changes(session, tenant_id=tenant.id)
    ]


@router.post(
    "/tenants/{tenant_key}/stage",
    response_model=TenantRead,
    summary="Force a tenant one step on (only a step the lifecycle allows), audited as the operator",
    responses=problem_responses(404, 409, 422),
)
async def force_stage(
    tenant_key: str, body: StageForce, session: WriteSession, ctx: Ctx, _: AdminPrincipal
) -> TenantRead:
    tenant = await tenant_service.get_by_key(session, tenant_key)
    if (
        body.stage is Stage.DEACTIVATED
    ):  # deactivating also stops, deletes and purges: its own route does that
        raise lifecycle.IllegalTransition(
            "deactivate through POST /v1/admin/tenants/{tenant_key}/deactivation"
        )
    await initial_sync.force_step(session, tenant, body.stage, reason=body.reason, now=ctx.clock())
    await session.flush()
    return to_read(tenant)


@router.get(
    "/tenants/{tenant_key}", response_model=TenantRead, summary="One tenant", responses=problem_responses(404)
)
async def get_tenant(tenant_key: str, session: WriteSession, _: AdminPrincipal) -> TenantRead:
    return to_read(await tenant_service.get_by_key(session, tenant_key))


@router.patch(
    "/tenants/{tenant_key}",
    response_model=TenantRead,
    summary="Change a tenant's name, ATS URL or token, contracts or LinkedIn client secret",
    responses=problem_responses(404, 422),
)
async def update_tenant(
    tenant_key: str, body: TenantUpdate, session: WriteSession, ctx: Ctx, _: AdminPrincipal
) -> TenantRead:
    tenant = await tenant_service.get_by_key(session, tenant_key)
    updated = await tenant_service.update(
        session,
        tenant,
        data=body,
        cipher=ctx.cipher,
        now=ctx.clock(),
        allow_insecure_local=ctx.settings.allow_insecure_local,
    )
    return to_read(updated)


@router.delete(
    "/tenants/{tenant_key}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a tenant and everything stored for it",
    responses=problem_responses(404),
)
async def delete_tenant(
    tenant_key: str, session: WriteSession, intake: IntakeDep, _: AdminPrincipal
) -> Response:
    await tenant_service.delete(session, await tenant_service.get_by_key(session, tenant_key))
    intake.forget(tenant_key)  # this replica answers its webhooks 404 at once
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/tenants/{tenant_key}/webhook-secret/rotate",
    response_model=WebhookSecretRotated,
    summary="Issue a new webhook signing secret; the previous one stays valid for a grace period",
    description=(
        "The body is optional. Without it the replaced secrets keep verifying for "
        'RSC_ATS__SECRET_GRACE_HOURS; `{"previous_valid_for_hours": 0}` revokes them at once (a leaked '
        "secret): this replica refuses them from the next request, others within about "
        "RSC_ATS__TENANT_CACHE_SECONDS."
    ),
    responses=problem_responses(404, 422),
)
async def rotate_webhook_secret(
    tenant_key: str,
    session: WriteSession,
    ctx: Ctx,
    intake: IntakeDep,
    background: BackgroundTasks,
    _: AdminPrincipal,
    body: Annotated[
        WebhookSecretRotate,
        Body(description="Optional: how long the replaced secrets keep verifying"),
    ] = _DEFAULT_GRACE,
) -> WebhookSecretRotated:
    hours = body.previous_valid_for_hours
    tenant = await tenant_service.get_by_key(session, tenant_key)
    secret, valid_until = await tenant_service.rotate_webhook_secret(
        session,
        tenant,
        cipher=ctx.cipher,
        now=ctx.clock(),
        grace=timedelta(hours=ctx.settings.ats.secret_grace_hours if hours is None else hours),
    )
    # This replica's webhook intake keeps the tenant's secrets in memory, and a kept secret that still
    # verifies is never re-read: drop the copy now, and again once the commit is done (a webhook read in
    # between would have kept the secrets from before it).
    intake.forget(tenant_key)
    background.add_task(intake.forget, tenant_key)
    return WebhookSecretRotated(webhook_secret=secret, previous_valid_until=valid_until)


@router.post(
    "/tenants/{tenant_key}/api-key/rotate",
    response_model=ApiKeyRotated,
    summary="Issue a new ATS-facing API key, shown once; the old one is refused at once (a leaked key)",
    description=(
        "The new key is stored hashed, as at registration, and not shown again. From the commit on, every "
        "tenant route in every replica answers the old key 401: there is no grace period, so hand the new "
        "key to the ATS straight away."
    ),
    responses=problem_responses(404),
)
async def rotate_api_key(
    tenant_key: str, session: WriteSession, ctx: Ctx, _: AdminPrincipal
) -> ApiKeyRotated:
    tenant = await tenant_service.get_by_key(session, tenant_key)
    api_key = await tenant_service.rotate_api_key(session, tenant, now=ctx.clock())
    return ApiKeyRotated(api_key=api_key, api_key_prefix=tenant.api_key_prefix)
