"""Operator routes of the In-ATS feature: the deep-link template, and the credential LinkedIn's side uses,
read back or rotated (docs/in-ats.md#operators)."""

from __future__ import annotations

from fastapi import APIRouter

from rsc_service.errors import problem_responses
from rsc_service.in_ats import operator
from rsc_service.in_ats.schemas import InAtsCredentialRead, InAtsSettingsRead, InAtsSettingsUpdate
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Tenant
from rsc_service.web.admin_auth import AdminPrincipal, AdminRoute
from rsc_service.web.deps import Ctx, WriteSession

PREFIX = "/v1/admin/tenants/{tenant_key}/in-ats"

router = APIRouter(
    prefix=PREFIX, tags=["admin"], responses=problem_responses(401, 403, 404), route_class=AdminRoute
)


def _settings(tenant: Tenant) -> InAtsSettingsRead:
    return InAtsSettingsRead(
        tenant_key=tenant.key,
        credential_issued=tenant.in_ats_credential_enc is not None,
        candidate_url_template=tenant.candidate_url_template,
    )


@router.get("", response_model=InAtsSettingsRead, summary="The tenant's In-ATS settings")
async def get_in_ats(tenant_key: str, session: WriteSession, _: AdminPrincipal) -> InAtsSettingsRead:
    return _settings(await tenant_service.get_by_key(session, tenant_key))


@router.put(
    "",
    response_model=InAtsSettingsRead,
    summary="Set the deep link of the In-ATS preview",
    responses=problem_responses(422),
)
async def put_in_ats(
    tenant_key: str, body: InAtsSettingsUpdate, session: WriteSession, ctx: Ctx, _: AdminPrincipal
) -> InAtsSettingsRead:
    tenant = await tenant_service.get_by_key(session, tenant_key)
    await operator.set_template(
        session, tenant, body.candidate_url_template, allow_insecure_local=ctx.settings.allow_insecure_local
    )
    return _settings(tenant)


@router.get(
    "/credential",
    response_model=InAtsCredentialRead,
    summary="The In-ATS credential, to hand to LinkedIn's side",
)
async def get_credential(
    tenant_key: str, session: WriteSession, ctx: Ctx, _: AdminPrincipal
) -> InAtsCredentialRead:
    tenant = await tenant_service.get_by_key(session, tenant_key)
    return InAtsCredentialRead(
        tenant_key=tenant.key, credential=operator.credential(tenant, cipher=ctx.cipher)
    )


@router.post(
    "/credential",
    response_model=InAtsCredentialRead,
    summary="Issue a new In-ATS credential; the old one stops working at once",
)
async def rotate_credential(
    tenant_key: str, session: WriteSession, ctx: Ctx, _: AdminPrincipal
) -> InAtsCredentialRead:
    tenant = await tenant_service.get_by_key(session, tenant_key)
    issued = await operator.rotate_credential(session, tenant, cipher=ctx.cipher)
    return InAtsCredentialRead(tenant_key=tenant.key, credential=issued)
