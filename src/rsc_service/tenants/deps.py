"""The ATS's principal: the tenant whose API key is the bearer token (docs/onboarding.md#the-ats-facing-api).

`TenantRoute` resolves it before FastAPI reads and parses the body, as AdminRoute does for operators, so
nobody without a key makes the service read a request body.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rsc_service import crypto
from rsc_service.errors import Unauthorized
from rsc_service.tenants import repository
from rsc_service.tenants.apps import TenantApps
from rsc_service.tenants.models import Stage
from rsc_service.web.deps import context_of

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="TenantApiKey",
    description="The tenant's API key (rsc_…), issued at registration",
)


@dataclass(frozen=True)
class CallingTenant:
    id: uuid.UUID
    key: str
    stage: Stage


def _unauthorized() -> Unauthorized:
    error = Unauthorized("a valid tenant API key is required as the bearer token")
    error.headers = {"WWW-Authenticate": "Bearer"}
    return error


async def _resolve(request: Request) -> CallingTenant:
    found = getattr(request.state, "calling_tenant", None)
    if isinstance(found, CallingTenant):
        return found
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise _unauthorized()
    # The stored hash is looked up by equality: keys are 32 random bytes, so the lookup reveals nothing a
    # timing attack could use (docs/architecture.md#16-security).
    async with context_of(request).sessionmaker() as session:
        tenant = await repository.find_by_api_key_hash(session, crypto.hash_api_key(key))
    if tenant is None:
        raise _unauthorized()
    found = CallingTenant(tenant.id, tenant.key, tenant.stage)
    request.state.calling_tenant = found
    return found


class TenantRoute(APIRoute):
    """Checks the tenant API key before the body is read; `TenantPrincipal` gives the route the tenant."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            await _resolve(request)
            return await handler(request)

        return checked


async def _principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> CallingTenant:
    del credentials  # declared for the OpenAPI security scheme; TenantRoute has read the header already
    return await _resolve(request)


TenantPrincipal = Annotated[CallingTenant, Depends(_principal)]


def _tenant_apps(request: Request) -> TenantApps:
    apps: TenantApps = request.app.state.tenant_apps
    return apps


# The service's one TenantApps (bootstrap.py): each tenant's LinkedIn app, its token and its throttle credit
# kept between requests, as the jobs keep them, instead of built again per request.
TenantAppsDep = Annotated[TenantApps, Depends(_tenant_apps)]
