"""The operator principal: the admin bearer token from settings, compared in constant time, checked before
a route reads its body (AdminRoute), so nobody unauthenticated makes the service read or parse anything.
And the metrics reader: /metrics names every tenant key, so it takes a bearer token too."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from rsc_service.crypto import same_secret
from rsc_service.errors import Forbidden, Unauthorized
from rsc_service.settings import Settings
from rsc_service.web.deps import Ctx, context_of

_bearer = HTTPBearer(auto_error=False, scheme_name="AdminToken", description="RSC_ADMIN__TOKEN")


def _require_bearer(authorization: str | None, expected: SecretStr | None, refusal: str) -> None:
    """401 (with WWW-Authenticate) unless `authorization` is the bearer token `expected`; none expected,
    no token opens it."""
    scheme, _, token = (authorization or "").partition(" ")
    if (
        expected is None
        or scheme.lower() != "bearer"
        or not same_secret(token.strip(), expected.get_secret_value())
    ):
        unauthorized = Unauthorized(refusal)
        unauthorized.headers = {"WWW-Authenticate": "Bearer"}
        raise unauthorized


def _authorization(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return f"Bearer {credentials.credentials}" if credentials else None


def _check(settings: Settings, authorization: str | None) -> str:
    if settings.admin.token is None:
        raise Forbidden("the admin API is off: set RSC_ADMIN__TOKEN to enable it")
    _require_bearer(authorization, settings.admin.token, "a valid admin bearer token is required")
    return "admin"


async def _admin(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str:
    return _check(ctx.settings, _authorization(credentials))


class AdminRoute(APIRoute):
    """Checks the admin token before FastAPI reads and parses the body (which it does before any
    dependency runs); `AdminPrincipal` stays on each route for its OpenAPI security scheme."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            _check(context_of(request).settings, request.headers.get("authorization"))
            return await handler(request)

        return checked


AdminPrincipal = Annotated[str, Depends(_admin)]

_metrics_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="MetricsToken",
    description="RSC_ADMIN__METRICS_TOKEN, else RSC_ADMIN__TOKEN",
)


async def _metrics_reader(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_metrics_bearer)]
) -> None:
    # Its labels name every tenant key, which is all a caller needs to aim at a tenant's routes.
    admin = ctx.settings.admin
    _require_bearer(
        _authorization(credentials),
        admin.metrics_token or admin.token,
        "a valid bearer token is required: RSC_ADMIN__METRICS_TOKEN, else RSC_ADMIN__TOKEN",
    )


MetricsReader = Depends(_metrics_reader)
