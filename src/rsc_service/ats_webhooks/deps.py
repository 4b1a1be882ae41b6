"""verified_event(): raw body → tenant (kept by Intake) → Standard Webhooks signature → event"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from pydantic import TypeAdapter, ValidationError

from rsc_service.ats_webhooks.intake import Intake, SigningTenant
from rsc_service.ats_webhooks.service import Delivery
from rsc_service.errors import (
    BadRequest,
    FieldProblem,
    Gone,
    NotFound,
    Unauthorized,
    Unprocessable,
)
from rsc_service.integrations.ats import signatures
from rsc_service.integrations.ats import wire as ats
from rsc_service.integrations.ats.errors import SignatureError
from rsc_service.integrations.refusals import lone_surrogate
from rsc_service.mirror import changes
from rsc_service.mirror.changes import Change
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage
from rsc_service.web.deps import context_of

# The record's ids the mirror stores and finds records by (mirror/changes.py).
STORED_IDS = ("id", "candidate_id", "job_id", "application_id")


def intake_of(request: Request) -> Intake:
    """The process's Intake, put on the app when the service was built (bootstrap.py)."""
    intake = request.app.state.intake
    assert isinstance(intake, Intake)
    return intake


async def _intake(request: Request) -> Intake:
    return intake_of(request)


IntakeDep = Annotated[Intake, Depends(_intake)]


@dataclass(frozen=True)
class VerifiedEvent:
    delivery: Delivery
    intake: Intake


# Strict, as the OpenAPI document describes the body: `"occurred_at": 0` or `"version": "3"` is refused
# rather than coerced (JSON strings still parse as timestamps).
_EVENTS: TypeAdapter[ats.WebhookEvent] = TypeAdapter(ats.WebhookEvent)


def _strict(body: bytes | str) -> ats.WebhookEvent:
    try:
        return _EVENTS.validate_json(body, strict=True)
    except ValidationError as error:
        whole = [item for item in error.errors() if item["type"] == "int_type"]
        if not any(isinstance(item["input"], float) for item in whole):
            raise
    # JSON Schema counts 3.0 as an integer and strict parsing does not: read such numbers as integers, once.
    return _EVENTS.validate_json(json.dumps(json.loads(body, parse_float=_number)), strict=True)


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _parse(body: bytes, webhook_id: str) -> ats.WebhookEvent:
    try:
        event = _strict(body)
    except ValidationError as error:
        if lone_surrogate(error):
            _refuse_unstorable_text(body)
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise BadRequest("body is not valid JSON") from None
        problems = [
            FieldProblem(field=".".join(str(p) for p in ("body", *item["loc"])), reason=item["msg"])
            for item in error.errors()
        ]
        raise _refused(problems) from None
    if event.id != webhook_id:
        raise Unprocessable(
            "body.id must equal the webhook-id header",
            errors=[FieldProblem(field="body.id", reason="differs from the webhook-id header")],
        )
    return event


def _refuse_unstorable_text(body: bytes) -> None:
    """A body the fast parser refused over an escaped lone surrogate is valid JSON all the same: 422 naming
    each field that holds one, as for any value the database could never store (docs/architecture.md#14)."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON after all: the caller's 400
    problems = [
        FieldProblem(field=f"body.{path}", reason=reason) for path, reason in changes.text_problems(parsed)
    ]
    if problems:
        raise _refused(problems)


def _refused(problems: list[FieldProblem]) -> Unprocessable:
    """422 naming every field, the first five in its detail."""
    return Unprocessable("; ".join(f"{p.field}: {p.reason}" for p in problems[:5]), errors=problems)


def _usable(tenant: SigningTenant | None) -> SigningTenant:
    if tenant is None:
        raise NotFound("no tenant with this key")
    if tenant.stage is Stage.DEACTIVATED:
        raise Gone("this tenant is deactivated; stop sending its webhooks")
    return tenant


def _check(body: bytes, request: Request, tenant: SigningTenant, now: datetime, tolerance: timedelta) -> None:
    try:
        signatures.verify(body, request.headers, tenant.secrets_at(now), now=now, tolerance=tolerance)
    except SignatureError as error:
        raise Unauthorized(f"webhook signature rejected: {error}") from None


async def verified_event(tenant_key: str, request: Request) -> VerifiedEvent:
    """The raw body read (capped for every route by the middleware), the tenant found, the signature
    checked, the event parsed.

    Called by the route itself, not as a FastAPI dependency: this route takes every ATS change, and
    dependency resolution would cost it as much as the checks.
    """
    if not tenant_service.could_be_key(tenant_key):
        # A NUL, a control character or an over-long key names no tenant: 404 before the body is read or a
        # key read is shared with other tenants' requests (docs/architecture.md#16-security).
        raise NotFound("no tenant with this key")
    ctx = context_of(request)
    intake = intake_of(request)
    now = ctx.clock()
    tolerance = timedelta(seconds=ctx.settings.ats.webhook_tolerance_seconds)
    with intake.writer.arriving():
        body = await request.body()  # capped for every route by RequestLimitsMiddleware
        tenant = _usable(await intake.keys.get(tenant_key))
        try:
            _check(body, request, tenant, now, tolerance)
        except Unauthorized:
            # Perhaps the secret was rotated elsewhere since we read it: check once against fresh secrets.
            fresh = await intake.keys.recheck(tenant_key)
            if fresh is None or fresh.secrets == tenant.secrets:
                raise
            tenant = _usable(fresh)
            _check(body, request, tenant, now, tolerance)
        webhook_id = request.headers[signatures.HEADER_ID]
        event = _parse(body, webhook_id)
        change = _storable(event, body)
    return VerifiedEvent(Delivery(tenant, event, change, webhook_id, received_at=now), intake)


def _storable(event: ats.WebhookEvent, body: bytes) -> Change:
    """The change, if every value fits what the database stores; else 422 naming each field, so the ATS
    stops retrying a delivery that could never be stored (and it never reaches a shared commit)."""
    change = changes.from_event(event)
    problems = [
        FieldProblem(field=f"body.{path}", reason=reason)
        # A NUL can only be in JSON as the escape \u0000: walk the record for it only if the body has one.
        for path, reason in changes.unstorable(change, nul=b"\\u0000" in body)
    ]
    # The mirror finds records by their ids: an empty one names no record.
    problems += [
        FieldProblem(field=f"body.data.{name}", reason="empty")
        for name in STORED_IDS
        if change.data.get(name) == ""
    ]
    if len(event.id) > changes.MAX_ID:
        problems.append(FieldProblem(field="body.id", reason=f"longer than {changes.MAX_ID} characters"))
    if problems:
        raise _refused(problems)
    return change
