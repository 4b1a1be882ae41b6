"""The operator principal: the admin bearer token from settings, compared in constant time."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rsc_service.crypto import same_secret
from rsc_service.errors import Forbidden, Unauthorized
from rsc_service.web.deps import Ctx

_bearer = HTTPBearer(auto_error=False, scheme_name="AdminToken", description="RSC_ADMIN__TOKEN")


async def _admin(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str:
    expected = ctx.settings.admin.token
    if expected is None:
        raise Forbidden("the admin API is off: set RSC_ADMIN__TOKEN to enable it")
    if credentials is None or not same_secret(credentials.credentials, expected.get_secret_value()):
        unauthorized = Unauthorized("a valid admin bearer token is required")
        unauthorized.headers = {"WWW-Authenticate": "Bearer"}
        raise unauthorized
    return "admin"


AdminPrincipal = Annotated[str, Depends(_admin)]
