"""The ATS's link routes (L3, docs/in-ats.md#links): link and unlink a candidate by hand (what the profile
widget's onlink and onunlink callbacks call), read a candidate's link and its audit trail, and look up the
links of a list page's candidates. The tenant is the one whose API key is the bearer token.

A candidate id may hold a `/` (the ATS chooses its ids): `{candidate_id:path}` takes it whole, percent-encoded
or not, and each route's fixed ending (`/link`, `/link/history`, `/connect`) tells the routes apart. A
deactivated tenant's links change no more, and it connects nothing: 409 `tenant_deactivated`
(docs/onboarding.md#deactivation-a8)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from rsc_service.errors import problem_responses
from rsc_service.links_api import connect_schemas, schemas, service
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.deps import TenantAppsDep, TenantPrincipal, TenantRoute
from rsc_service.web.deps import CandidateIdPath, Ctx, WriteSession

router = APIRouter(
    prefix="/v1/integration",
    tags=["links"],
    responses=problem_responses(401, 422),
    route_class=TenantRoute,
)

AtsUser = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00]+$",
        description="The ATS user who unlinked, for the audit trail",
    ),
]


@router.get(
    "/candidates/{candidate_id:path}/link",
    response_model=schemas.LinkRead,
    summary="The candidate's LinkedIn member, and how the link was made",
    responses=problem_responses(404),
)
async def get_link(
    candidate_id: CandidateIdPath, session: WriteSession, tenant: TenantPrincipal
) -> schemas.LinkRead:
    return await service.get(session, tenant_id=tenant.id, candidate_id=candidate_id)


@router.put(
    "/candidates/{candidate_id:path}/link",
    response_model=schemas.LinkRead,
    summary="Link the candidate to a member by hand; LinkedIn is told, and its own match never undoes it",
    responses=problem_responses(404, 409),
)
async def put_link(
    candidate_id: CandidateIdPath,
    body: schemas.LinkRequest,
    session: WriteSession,
    ctx: Ctx,
    caller: TenantPrincipal,
) -> schemas.LinkRead:
    tenant = await tenant_service.get(session, caller.id)
    return await service.set_by_hand(
        session,
        tenant=tenant,
        candidate_id=candidate_id,
        member_urn=body.member_urn,
        ats_user_id=body.ats_user_id,
        now=ctx.clock(),
    )


@router.delete(
    "/candidates/{candidate_id:path}/link",
    response_model=schemas.LinkRead,
    summary="Unlink the candidate by hand; LinkedIn is told, and its own match does not link it again",
    responses=problem_responses(404, 409),
)
async def delete_link(
    candidate_id: CandidateIdPath,
    session: WriteSession,
    ctx: Ctx,
    caller: TenantPrincipal,
    ats_user_id: AtsUser = None,
) -> schemas.LinkRead:
    tenant = await tenant_service.get(session, caller.id)
    return await service.set_by_hand(
        session,
        tenant=tenant,
        candidate_id=candidate_id,
        member_urn=None,
        ats_user_id=ats_user_id,
        now=ctx.clock(),
    )


@router.get(
    "/candidates/{candidate_id:path}/link/history",
    response_model=schemas.LinkHistoryRead,
    summary="Who linked and unlinked the candidate by hand, and when",
    responses=problem_responses(404),
)
async def link_history(
    candidate_id: CandidateIdPath, session: WriteSession, tenant: TenantPrincipal
) -> schemas.LinkHistoryRead:
    return await service.history(session, tenant_id=tenant.id, candidate_id=candidate_id)


@router.post(
    "/links/lookup",
    response_model=schemas.LinkLookupRead,
    summary=f"Which of up to {schemas.MAX_LOOKUP} candidates are linked to a member (the icon by each name)",
)
async def lookup_links(
    body: schemas.LinkLookup, session: WriteSession, tenant: TenantPrincipal
) -> schemas.LinkLookupRead:
    return await service.lookup(session, tenant_id=tenant.id, candidate_ids=body.candidate_ids)


@router.post(
    "/candidates/{candidate_id:path}/connect",
    response_model=connect_schemas.ConnectLinked,
    summary="Connect before alert: wait, bounded, for LinkedIn's email match of a new applicant; once "
    "linked, the member's notes and InMails are written onto it at once",
    responses={
        202: {
            "model": connect_schemas.ConnectPending,
            "description": "No match within RSC_LINKS__CONNECT_WAIT_SECONDS: pending (ask again later)",
        },
        **problem_responses(404, 409),
    },
)
async def connect(
    candidate_id: CandidateIdPath, ctx: Ctx, apps: TenantAppsDep, caller: TenantPrincipal
) -> Any:
    answer = await service.connect(ctx, apps, tenant_id=caller.id, candidate_id=candidate_id)
    if isinstance(answer, connect_schemas.ConnectPending):
        return JSONResponse(status_code=202, content=answer.model_dump(mode="json"))
    return answer
