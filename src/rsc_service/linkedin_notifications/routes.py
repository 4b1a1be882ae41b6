"""GET|POST /v1/linkedin/notifications/{tenant_key}: the tenant's CALLBACK_URL, where LinkedIn checks that we
own it and posts its notifications (docs/onboarding.md#notifications)."""

from __future__ import annotations

from fastapi import APIRouter

from rsc_service.errors import problem_responses
from rsc_service.linkedin_notifications import service
from rsc_service.linkedin_notifications.deps import ChallengedTenant, VerifiedNotificationDep
from rsc_service.linkedin_notifications.schemas import ChallengeAnswer, NotificationAccepted, NotificationIn
from rsc_service.web import linkedin_signing as signing
from rsc_service.web.deps import WriteSession

router = APIRouter(prefix="/v1/linkedin/notifications", tags=["linkedin-notifications"])


@router.get(
    "/{tenant_key}",
    response_model=ChallengeAnswer,
    summary="LinkedIn's ownership check: the challenge signed with the tenant's child application secret",
    responses=problem_responses(404, 410, 422, 503),
)
async def answer_challenge(
    tenant: ChallengedTenant,
    challenge_code: signing.ChallengeCode,
) -> ChallengeAnswer:
    return ChallengeAnswer(
        challenge_code=challenge_code,
        challenge_response=signing.challenge_response(tenant.secret, challenge_code),
    )


@router.post(
    "/{tenant_key}",
    response_model=NotificationAccepted,
    summary="A notification signed by LinkedIn (X-LI-Signature); recorded once and processed later",
    responses=problem_responses(400, 401, 404, 410, 413, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": NotificationIn.model_json_schema(by_alias=True)}},
        }
    },
)
async def receive_notification(
    verified: VerifiedNotificationDep, session: WriteSession
) -> NotificationAccepted:
    body = verified.notification
    new = await service.record(
        session,
        tenant_id=verified.tenant_id,
        kind=body.type,
        request_id=body.id,
        received_at=verified.received_at,
        expires_at=body.expires(),
    )
    return NotificationAccepted(status="recorded" if new else "duplicate")
