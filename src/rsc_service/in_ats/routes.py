"""The In-ATS routes LinkedIn's side calls (S1-S3), keyed by member URN and served from our database only
(docs/in-ats.md#routes). The tenant is the one named in the path, whose In-ATS credential is the bearer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from rsc_service.errors import problem_responses
from rsc_service.in_ats import schemas, service
from rsc_service.in_ats.deps import InAtsPrincipal, InAtsRoute, ReadSession

PREFIX = "/v1/in-ats"

router = APIRouter(
    prefix=PREFIX + "/{tenant_key}",
    tags=["in-ats"],
    responses=problem_responses(401, 422),
    route_class=InAtsRoute,
)

TenantKey = Annotated[str, Path(max_length=64, description="The tenant's key (tn_…)")]
Member = Annotated[
    str,
    Path(pattern=schemas.MEMBER_PATTERN, description="The member's URN", examples=["urn:li:person:AbC123"]),
]


@router.get(
    "/past-applicants",
    response_model=schemas.PastApplicantsRead,
    summary="S1: which members of a Recruiter search page (up to 100) are candidates in the ATS",
)
async def past_applicants(
    tenant_key: TenantKey,
    session: ReadSession,
    tenant: InAtsPrincipal,
    member: Annotated[
        list[Annotated[str, Query(pattern=schemas.MEMBER_PATTERN)]],
        Query(
            min_length=1,
            max_length=schemas.MAX_MEMBERS,
            description="A member URN; repeat the parameter for each member of the page",
        ),
    ],
) -> schemas.PastApplicantsRead:
    del tenant_key  # InAtsRoute resolved it with the credential
    return await service.past_applicants(session, tenant_id=tenant.id, members=member)


@router.get(
    "/members/{member_urn}/indicator",
    response_model=schemas.IndicatorRead,
    summary="S2: whether this member is a candidate in the ATS (404 when not)",
    responses=problem_responses(404),
)
async def indicator(
    tenant_key: TenantKey, member_urn: Member, session: ReadSession, tenant: InAtsPrincipal
) -> schemas.IndicatorRead:
    del tenant_key
    return await service.indicator(session, tenant_id=tenant.id, member=member_urn)


@router.get(
    "/members/{member_urn}/preview",
    response_model=schemas.PreviewRead,
    summary="S3: the member's candidates: deep link, jobs considered for, stage changes, notes, interviews",
    responses=problem_responses(404),
)
async def preview(
    tenant_key: TenantKey, member_urn: Member, session: ReadSession, tenant: InAtsPrincipal
) -> schemas.PreviewRead:
    del tenant_key
    return await service.preview(
        session, tenant_id=tenant.id, member=member_urn, url_template=tenant.candidate_url_template
    )
