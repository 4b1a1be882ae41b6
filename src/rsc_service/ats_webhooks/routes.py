"""POST /v1/webhooks/ats/{tenant_key}: every ATS change, acknowledged only once it is committed."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Literal

from fastapi import APIRouter, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import BaseModel

from rsc_service.ats_webhooks.deps import verified_event
from rsc_service.errors import problem_responses


class _DirectRoute(APIRoute):
    """Calls the endpoint with the path's tenant key and the request, and sends the Response it returns.

    FastAPI's parameter solving and response validation cost this route, which takes every ATS change,
    about as much as its own checks; the endpoint reads its raw body and builds its answer itself. The
    OpenAPI description still comes from the endpoint's signature and the decorator.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            response: Response = await endpoint(request.path_params["tenant_key"], request)
            return response

        return handler


router = APIRouter(prefix="/v1/webhooks", tags=["ats-webhooks"], route_class=_DirectRoute)


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
    new = await verified.intake.receive(verified.delivery, tenant_key)
    answer = WebhookAccepted(status="accepted" if new else "duplicate", event_id=verified.delivery.webhook_id)
    return Response(answer.model_dump_json(), status.HTTP_202_ACCEPTED, media_type="application/json")
