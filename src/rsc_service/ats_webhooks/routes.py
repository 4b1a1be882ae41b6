"""POST /v1/webhooks/ats/{tenant_key}: every ATS change, acknowledged only once it is committed."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel

from rsc_service.ats_webhooks.deps import verified_event
from rsc_service.errors import problem_responses

router = APIRouter(prefix="/v1/webhooks", tags=["ats-webhooks"])


class WebhookAccepted(BaseModel):
    status: Literal["accepted", "duplicate"]
    event_id: str


@router.post(
    "/ats/{tenant_key}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookAccepted,
    summary="Receive a Standard Webhooks-signed ATS event (see openapi/ats-api.yaml for the event types)",
    responses=problem_responses(400, 401, 404, 410, 413, 422, 503),
)
async def receive_event(tenant_key: str, request: Request) -> Response:
    verified = await verified_event(tenant_key, request)
    new = await verified.intake.receive(verified.delivery(), verified.tenant.key)
    answer = WebhookAccepted(status="accepted" if new else "duplicate", event_id=verified.webhook_id)
    # Built here rather than by FastAPI's response validation: this route answers every ATS change.
    return Response(answer.model_dump_json(), status.HTTP_202_ACCEPTED, media_type="application/json")
