"""The ATS's read of LinkedIn notes and InMails on its candidates (R7, R8; docs/linkedin-activity.md). The
tenant is the one whose API key is the bearer token. A candidate id may hold a `/` (the ATS chooses its
ids): `{candidate_id:path}` takes it whole, percent-encoded or not."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from rsc_service.errors import problem_responses
from rsc_service.linkedin_activity import service
from rsc_service.linkedin_activity.schemas import ActivityLookup, ActivityLookupRead, LinkedInActivityRead
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.deps import TenantPrincipal, TenantRoute
from rsc_service.web.deps import CandidateIdPath, Ctx, WriteSession

router = APIRouter(
    prefix="/v1/integration",
    tags=["linkedin-activity"],
    responses=problem_responses(401, 422),
    route_class=TenantRoute,
)


@router.post(
    "/linkedin-activity/lookup",
    response_model=ActivityLookupRead,
    summary="For up to 500 candidates, whether each has LinkedIn notes and InMails",
)
async def lookup_linkedin_activity(
    body: ActivityLookup, session: WriteSession, principal: TenantPrincipal
) -> ActivityLookupRead:
    tenant = await tenant_service.get(session, principal.id)
    return await service.lookup(session, tenant, body.candidate_ids)


@router.get(
    "/candidates/{candidate_id:path}/linkedin-activity",
    response_model=LinkedInActivityRead,
    summary="A candidate's LinkedIn notes and InMails, with content only for a seat holder on their contract",
    responses=problem_responses(502, 503),
)
async def get_linkedin_activity(
    candidate_id: CandidateIdPath,
    ats_user_id: Annotated[
        str, Query(min_length=1, max_length=200, pattern=r"^[^\x00]+$", description="The ATS user reading")
    ],
    session: WriteSession,
    ctx: Ctx,
    principal: TenantPrincipal,
) -> LinkedInActivityRead:
    tenant = await tenant_service.get(session, principal.id)
    return await service.activity(session, ctx, tenant, candidate_id=candidate_id, ats_user_id=ats_user_id)
