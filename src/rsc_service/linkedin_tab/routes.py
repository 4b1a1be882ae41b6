"""The ATS's LinkedIn tab route (R3, R4; docs/in-ats.md#the-linkedin-tab). The tenant is the one whose API
key is the bearer token. A candidate id may hold a `/` (the ATS chooses its ids): `{candidate_id:path}` takes
it whole, percent-encoded or not."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from rsc_service.errors import problem_responses
from rsc_service.linkedin_tab import service
from rsc_service.linkedin_tab.schemas import LinkedInTabRead
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.deps import TenantPrincipal, TenantRoute
from rsc_service.web.deps import CandidateIdPath, WriteSession

router = APIRouter(
    prefix="/v1/integration",
    tags=["linkedin-tab"],
    responses=problem_responses(401, 422),
    route_class=TenantRoute,
)


@router.get(
    "/candidates/{candidate_id:path}/linkedin-tab",
    response_model=LinkedInTabRead,
    summary="What the ATS needs to show a candidate's LinkedIn tab to one of its users",
    responses=problem_responses(404, 409),
)
async def get_linkedin_tab(
    candidate_id: CandidateIdPath,
    ats_user_id: Annotated[
        str, Query(min_length=1, max_length=200, pattern=r"^[^\x00]+$", description="The ATS user looking")
    ],
    session: WriteSession,
    principal: TenantPrincipal,
) -> LinkedInTabRead:
    tenant = await tenant_service.get(session, principal.id)
    return await service.tab(session, tenant, candidate_id=candidate_id, ats_user_id=ats_user_id)
