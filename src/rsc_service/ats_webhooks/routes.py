"""POST /v1/webhooks/ats/{tenant_key}: every ATS change, acknowledged only once it is committed."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Literal

from fastapi import APIRouter, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter

from rsc_service.ats_webhooks.deps import STORED_IDS, verified_event
from rsc_service.errors import problem_responses
from rsc_service.integrations.ats import signatures
from rsc_service.integrations.ats import wire as ats
from rsc_service.mirror import changes
from rsc_service.web import answers


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
_REF = "#/components/schemas/{model}"
NO_NUL = r"^[^\x00]*$"
# The event id equals the webhook-id header, so it is what a header can carry: visible Latin-1 characters,
# with spaces and tabs only between them.
HEADER_VALUE = r"^[!-~\u0080-\u00ff]([ \t!-~\u0080-\u00ff]*[!-~\u0080-\u00ff])?$"


def _storable(schema: dict[str, Any]) -> dict[str, Any]:
    """The event schema with what the mirror can store (mirror/changes.py): the event's id up to MAX_ID
    characters a header can carry; the record's ids of 1 to MAX_ID characters and its version up to
    MAX_VERSION; no NUL in any string."""
    definitions = schema.get("$defs", {})
    events = [definitions[ref.rsplit("/", 1)[-1]] for ref in schema["discriminator"]["mapping"].values()]
    records = {event["properties"]["data"]["$ref"].rsplit("/", 1)[-1] for event in events}
    for event in events:
        event["properties"]["id"].update(maxLength=changes.MAX_ID, pattern=HEADER_VALUE)
    for name in records:
        for field, property_schema in definitions[name]["properties"].items():
            for branch in [property_schema, *property_schema.get("anyOf", [])]:
                if field in STORED_IDS and branch.get("type") == "string":
                    branch.update(minLength=1, maxLength=changes.MAX_ID)
                if field == "version" and branch.get("type") == "integer":
                    branch["maximum"] = changes.MAX_VERSION
    _no_nul(schema)
    return schema


def _no_nul(schema: Any) -> None:
    if isinstance(schema, dict):
        if schema.get("type") == "string" and "format" not in schema and "enum" not in schema:
            schema.setdefault("pattern", NO_NUL)
        for value in schema.values():
            _no_nul(value)
    elif isinstance(schema, list):
        for item in schema:
            _no_nul(item)


def _event_body() -> dict[str, Any]:
    schema = _storable(TypeAdapter(ats.WebhookEvent).json_schema(ref_template=_REF))
    return {
        "parameters": [
            _header(signatures.HEADER_ID, "The event's id", pattern=HEADER_VALUE, maxLength=changes.MAX_ID),
            _header(
                signatures.HEADER_TIMESTAMP,
                "Unix seconds; within RSC_ATS__WEBHOOK_TOLERANCE_SECONDS",
                pattern=r"^[0-9]+$",
            ),
            _header(signatures.HEADER_SIGNATURE, "Space-separated `v1,<base64 HMAC-SHA256>`", minLength=1),
        ],
        "requestBody": {
            "required": True,
            "description": "One ATS event (openapi/ats-api.yaml); its `id` equals the webhook-id header",
            "content": {"application/json": {"schema": {k: v for k, v in schema.items() if k != "$defs"}}},
        },
        answers.COMPONENTS: schema.get("$defs", {}),
    }


def _header(name: str, description: str, **schema: Any) -> dict[str, Any]:
    """A Standard Webhooks header: without it, or with a signature that does not verify, the answer is 401."""
    return {
        "name": name,
        "in": "header",
        "required": True,
        "description": description,
        "schema": {"type": "string", **schema},
    }


class WebhookAccepted(BaseModel):
    status: Literal["accepted", "duplicate"]
    event_id: str


@router.post(
    "/ats/{tenant_key}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookAccepted,
    summary="Receive a Standard Webhooks-signed ATS event (see openapi/ats-api.yaml for the event types)",
    responses=problem_responses(400, 401, 404, 410, 413, 422, 503),
    openapi_extra=_event_body(),
)
async def receive_event(tenant_key: str, request: Request) -> Response:
    verified = await verified_event(tenant_key, request)
    new = await verified.intake.receive(verified.delivery, tenant_key)
    answer = WebhookAccepted(status="accepted" if new else "duplicate", event_id=verified.delivery.webhook_id)
    return Response(answer.model_dump_json(), status.HTTP_202_ACCEPTED, media_type="application/json")
