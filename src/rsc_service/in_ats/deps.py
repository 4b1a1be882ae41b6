"""LinkedIn's side as a principal: the tenant named in the path, whose In-ATS credential is the bearer
token (docs/in-ats.md#the-credential).

`InAtsRoute` checks it before anything else runs. A wrong credential, a tenant without one and an unknown
tenant key get the same 401, so the answer says nothing of which tenants exist.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.errors import Unauthorized
from rsc_service.tenants import in_ats_credential
from rsc_service.tenants import service as tenant_service
from rsc_service.web.deps import Ctx, context_of

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="InAtsCredential",
    description="The tenant's In-ATS credential (rscin_…), issued when its child application was provisioned",
)


@dataclass(frozen=True)
class InAtsTenant:
    id: uuid.UUID
    key: str
    candidate_url_template: str | None


def _unauthorized() -> Unauthorized:
    error = Unauthorized("a valid In-ATS credential for this tenant is required as the bearer token")
    error.headers = {"WWW-Authenticate": "Bearer"}
    return error


async def _resolve(request: Request) -> InAtsTenant:
    found = getattr(request.state, "in_ats_tenant", None)
    if isinstance(found, InAtsTenant):
        return found
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given.startswith(in_ats_credential.PREFIX):
        raise _unauthorized()
    ctx = context_of(request)
    async with ctx.sessionmaker() as session:
        tenant = await tenant_service.find_by_key(session, str(request.path_params.get("tenant_key", "")))
    if tenant is None or not in_ats_credential.verify(tenant, given, cipher=ctx.cipher):
        raise _unauthorized()
    found = InAtsTenant(tenant.id, tenant.key, tenant.candidate_url_template)
    request.state.in_ats_tenant = found
    return found


class InAtsRoute(APIRoute):
    """Checks the credential against the path's tenant before the route runs; `InAtsPrincipal` gives it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            await _resolve(request)
            return await handler(request)

        return checked


async def _principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> InAtsTenant:
    del credentials  # declared for the OpenAPI security scheme; InAtsRoute has read the header already
    return await _resolve(request)


InAtsPrincipal = Annotated[InAtsTenant, Depends(_principal)]


async def _read_session(ctx: Ctx) -> AsyncIterator[AsyncSession]:
    async with ctx.sessionmaker() as session:
        yield session  # read only: nothing is written, nothing committed


ReadSession = Annotated[AsyncSession, Depends(_read_session)]
