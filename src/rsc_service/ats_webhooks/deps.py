"""VerifiedAtsEvent: raw body (size-capped) → tenant → Standard Webhooks signature → parsed event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from pydantic import ValidationError

from rsc_service.errors import (
    BadRequest,
    FieldProblem,
    Gone,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unprocessable,
)
from rsc_service.integrations.ats import signatures
from rsc_service.integrations.ats import wire as ats
from rsc_service.integrations.ats.errors import SignatureError
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage, Tenant
from rsc_service.web.deps import Ctx, WriteSession


@dataclass(frozen=True)
class VerifiedEvent:
    tenant: Tenant
    event: ats.WebhookEvent
    webhook_id: str


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"webhook body over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"webhook body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes, webhook_id: str) -> ats.WebhookEvent:
    try:
        json.loads(body)
    except ValueError:
        raise BadRequest("body is not valid JSON") from None
    try:
        event = ats.parse_event(body)
    except ValidationError as error:
        problems = [
            FieldProblem(field=".".join(str(p) for p in ("body", *item["loc"])), reason=item["msg"])
            for item in error.errors()
        ]
        raise Unprocessable(
            "; ".join(f"{p.field}: {p.reason}" for p in problems[:5]), errors=problems
        ) from None
    if event.id != webhook_id:
        raise Unprocessable(
            "body.id must equal the webhook-id header",
            errors=[FieldProblem(field="body.id", reason="differs from the webhook-id header")],
        )
    return event


async def _verified_event(
    tenant_key: str, request: Request, session: WriteSession, ctx: Ctx
) -> VerifiedEvent:
    body = await _read_body(request, ctx.settings.server.max_body_bytes)
    tenant = await tenant_service.find_by_key(session, tenant_key)
    if tenant is None:
        raise NotFound("no tenant with this key")
    if tenant.stage is Stage.DEACTIVATED:
        raise Gone("this tenant is deactivated; stop sending its webhooks")
    secrets = await tenant_service.webhook_secrets(session, tenant, cipher=ctx.cipher, now=ctx.clock())
    try:
        signatures.verify(
            body,
            request.headers,
            secrets,
            now=ctx.clock(),
            tolerance=timedelta(seconds=ctx.settings.ats.webhook_tolerance_seconds),
        )
    except SignatureError as error:
        raise Unauthorized(f"webhook signature rejected: {error}") from None
    webhook_id = request.headers[signatures.HEADER_ID]
    return VerifiedEvent(tenant=tenant, event=_parse(body, webhook_id), webhook_id=webhook_id)


VerifiedAtsEvent = Annotated[VerifiedEvent, Depends(_verified_event)]
