"""What the callback checks before the route runs (docs/linkedin.md#push-notifications): the tenant and its
child application's secret, found in one indexed read (a deactivated tenant is 410); for the challenge,
that `applicationId` names that application; for a POST, the raw body's `X-LI-Signature`, then the body
parsed. A refused POST stores nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from pydantic import ValidationError

from rsc_service import crypto
from rsc_service.errors import (
    BadRequest,
    FieldProblem,
    Gone,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
)
from rsc_service.linkedin_notifications.schemas import NotificationIn
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage
from rsc_service.web import linkedin_signing as signing
from rsc_service.web.deps import Ctx

_APP_URN_PREFIX = "urn:li:developerApplication:"


@dataclass(frozen=True)
class CallbackTenant:
    id: uuid.UUID
    app_id: str | None  # the child application's numeric id, the tail of its URN
    secret: str  # the child application's client secret


def _not_found() -> NotFound:
    # One answer for an unknown key and for a tenant without a child app: which one is not said.
    return NotFound("no LinkedIn callback for this tenant key")


async def _callback_tenant(tenant_key: str, ctx: Ctx) -> CallbackTenant:
    async with ctx.sessionmaker() as session:
        # find_by_keys reads the tenant row alone (by its unique key), without contracts; a key that cannot
        # be one (a NUL, too long) is found without a read.
        found = await tenant_service.find_by_keys(session, [tenant_key])
    tenant = found[0] if found else None
    if tenant is not None and tenant.stage is Stage.DEACTIVATED:
        # As its ATS webhooks (docs/onboarding.md#deactivation-a8): LinkedIn is told to stop, before and after
        # the purge clears the secret that would check the signature.
        raise Gone("this tenant is deactivated; stop sending its notifications")
    if tenant is None or tenant.linkedin_client_secret_enc is None:
        raise _not_found()
    try:
        secret = tenant_service.linkedin_client_secret(tenant, cipher=ctx.cipher)
    except crypto.SecretsUnavailable:
        raise ServiceUnavailable("the tenant's LinkedIn client secret cannot be read") from None
    urn = tenant.linkedin_app_urn
    app_id = urn.removeprefix(_APP_URN_PREFIX) if urn and urn.startswith(_APP_URN_PREFIX) else None
    return CallbackTenant(id=tenant.id, app_id=app_id, secret=secret)


TenantDep = Annotated[CallbackTenant, Depends(_callback_tenant)]


async def _challenged_tenant(
    tenant: TenantDep,
    application_id: Annotated[
        str | None,
        Query(
            alias="applicationId",
            max_length=40,
            description="The LinkedIn application whose secret answers; must be the tenant's child app",
        ),
    ] = None,
) -> CallbackTenant:
    if application_id is not None and application_id != tenant.app_id:
        raise _not_found()
    return tenant


ChallengedTenant = Annotated[CallbackTenant, Depends(_challenged_tenant)]


@dataclass(frozen=True)
class VerifiedNotification:
    tenant_id: uuid.UUID
    notification: NotificationIn
    received_at: datetime


def _parse(body: bytes) -> NotificationIn:
    try:
        return NotificationIn.model_validate_json(body)
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


async def _verified_notification(
    tenant: TenantDep,
    request: Request,
    ctx: Ctx,
    given: Annotated[
        str | None,
        Header(
            alias=signing.SIGNATURE_HEADER,
            description=(
                'hex HMAC-SHA256 of "hmacsha256=" + the raw body, or of the raw body alone, keyed by the '
                'child app secret; the hex may follow a "hmacsha256=" prefix'
            ),
        ),
    ] = None,
) -> VerifiedNotification:
    body = await request.body()  # capped for every route by RequestLimitsMiddleware (413 beyond it)
    if not signing.verify(tenant.secret, body, given):
        raise Unauthorized(f"{signing.SIGNATURE_HEADER} is missing or does not sign this body")
    return VerifiedNotification(tenant.id, _parse(body), received_at=ctx.clock())


VerifiedNotificationDep = Annotated[VerifiedNotification, Depends(_verified_notification)]
