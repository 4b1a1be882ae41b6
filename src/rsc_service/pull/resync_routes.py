"""GET|POST /v1/linkedin/job-notifications: the partner's job-postings webhook, where LinkedIn checks that we
own it and posts RESYNC_JOBS (P8), both signed with the partner application's secret
(docs/pull.md#job-resync)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rsc_service.errors import (
    BadRequest,
    FieldProblem,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
    problem_responses,
)
from rsc_service.integrations.linkedin import wire
from rsc_service.pull import resync
from rsc_service.web import linkedin_signing as signing
from rsc_service.web.deps import Ctx, WriteSession

router = APIRouter(prefix="/v1/linkedin/job-notifications", tags=["linkedin-notifications"])
SIGNATURE_HEADER = signing.SIGNATURE_HEADER


class JobChallengeAnswer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    challenge_code: str = Field(alias="challengeCode")
    challenge_response: str = Field(
        alias="challengeResponse", description="hex HMAC-SHA256 of challengeCode, keyed by the partner secret"
    )


class ResyncAccepted(BaseModel):
    status: Literal["accepted"] = "accepted"
    jobs: int = Field(description="Jobs owed to LinkedIn again, sent through the outbox as updates")
    unknown: list[str] = Field(description="Named jobs the service holds no record of")


def _partner_secret(ctx: Ctx) -> str:
    secret = ctx.settings.onboarding.partner_client_secret
    if secret is None:
        raise ServiceUnavailable(
            "the partner application is not configured (RSC_ONBOARDING__PARTNER_CLIENT_SECRET)"
        )
    return secret.get_secret_value()


@router.get(
    "",
    response_model=JobChallengeAnswer,
    summary="LinkedIn's ownership check of the job-postings webhook, signed with the partner secret",
    responses=problem_responses(503),
)
async def answer_job_challenge(
    ctx: Ctx,
    challenge_code: signing.ChallengeCode,
    application_id: Annotated[str | None, Query(alias="applicationId", max_length=40)] = None,
) -> JobChallengeAnswer:
    return JobChallengeAnswer(
        challenge_code=challenge_code,
        challenge_response=signing.challenge_response(_partner_secret(ctx), challenge_code),
    )


@router.post(
    "",
    response_model=ResyncAccepted,
    summary="RESYNC_JOBS signed by LinkedIn: the named jobs, or every open one, are sent again as updates",
    responses=problem_responses(400, 401, 404, 413, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": wire.ResyncJobs.model_json_schema(by_alias=True)}},
        }
    },
)
async def receive_job_resync(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    given: Annotated[
        str | None,
        Header(
            alias=SIGNATURE_HEADER,
            description='hex HMAC-SHA256 of "hmacsha256=" + the raw body, keyed by the partner app secret',
        ),
    ] = None,
) -> ResyncAccepted:
    body = await request.body()  # capped for every route by RequestLimitsMiddleware (413 beyond it)
    if not signing.verify(_partner_secret(ctx), body, given):
        raise Unauthorized(f"{SIGNATURE_HEADER} is missing or does not sign this body")
    notice = _parse(body)
    done = await resync.resync_jobs(session, notice, now=ctx.clock())
    return ResyncAccepted(jobs=done.owed, unknown=done.unknown)


def _parse(body: bytes) -> wire.ResyncJobs:
    try:
        return wire.ResyncJobs.model_validate_json(body)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise BadRequest("body is not valid JSON") from None
        problems = [
            FieldProblem(field=".".join(str(p) for p in ("body", *item["loc"])), reason=item["msg"])
            for item in error.errors()
        ]
        raise Unprocessable(
            "; ".join(f"{p.field}: {p.reason}" for p in problems[:5]), errors=problems
        ) from None
