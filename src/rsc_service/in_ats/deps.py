"""LinkedIn's side as a principal: the tenant named in the path, whose In-ATS credential is the bearer
token (docs/in-ats.md#the-credential).

`InAtsRoute` checks it before anything else runs. A wrong credential, a tenant without one, a deactivated
tenant and an unknown tenant key get the same 401, so the answer says nothing of which tenants exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.crypto import Cipher
from rsc_service.errors import Unauthorized
from rsc_service.tenants import in_ats_credential
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage
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


async def _resolve(request: Request, session: AsyncSession, cipher: Cipher) -> InAtsTenant:
    found = getattr(request.state, "in_ats_tenant", None)
    if isinstance(found, InAtsTenant):
        return found
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given.startswith(in_ats_credential.PREFIX):
        raise _unauthorized()
    tenant = await tenant_service.find_by_key(session, str(request.path_params.get("tenant_key", "")))
    if tenant is None or not in_ats_credential.verify(tenant, given, cipher=cipher):
        raise _unauthorized()
    if tenant.stage is Stage.DEACTIVATED:  # nothing of its ATS shown (docs/in-ats.md#the-credential)
        raise _unauthorized()
    found = InAtsTenant(tenant.id, tenant.key, tenant.candidate_url_template)
    request.state.in_ats_tenant = found
    return found


class InAtsRoute(APIRoute):
    """Checks the credential against the path's tenant before the route runs; `InAtsPrincipal` gives it.

    One read-only session serves the check and the route (`ReadSession`), closed once the answer is built:
    an In-ATS read is a few indexed queries, and a second session would cost as much as one of them.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            ctx = context_of(request)
            async with ctx.sessionmaker() as session:
                request.state.in_ats_session = session
                await _resolve(request, session, ctx.cipher)
                return await handler(request)

        return checked


def _session_of(request: Request) -> AsyncSession:
    session = getattr(request.state, "in_ats_session", None)
    assert isinstance(session, AsyncSession), "an In-ATS route is declared with route_class=InAtsRoute"
    return session


async def _principal(
    request: Request, ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> InAtsTenant:
    del credentials  # declared for the OpenAPI security scheme; InAtsRoute has read the header already
    return await _resolve(request, _session_of(request), ctx.cipher)


InAtsPrincipal = Annotated[InAtsTenant, Depends(_principal)]


async def _read_session(request: Request) -> AsyncSession:
    return _session_of(request)  # read only: nothing is written, nothing committed


ReadSession = Annotated[AsyncSession, Depends(_read_session)]
