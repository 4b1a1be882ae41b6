"""The Rest.li front door for `/v2/...` and `/rest/...`: authentication, routing, request log."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from . import routes as _routes  # registers every resource handler
from .auth import authenticate, require_child
from .call import Call, effective_method, protocol_of, routes
from .errors import RestliError
from .job_tasks import settle_tasks
from .restli import Query
from .world import World

router = APIRouter()
PARTNER_OR_MEMBER = {"provisionedApplications", "me"}
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
assert _routes


def _raw_segments(request: Request, prefix: str) -> list[str]:
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    path: str = raw.decode("utf-8", "surrogateescape").split("?", 1)[0]
    return path[len(prefix) :].strip("/").split("/")


async def _handle(request: Request, family: str) -> Response:
    world: World = request.app.state.world
    headers = {k.lower(): v for k, v in request.headers.items()}
    body = await request.body()
    try:
        response = await _dispatch(world, request, family, headers, body)
    except RestliError as exc:
        response = exc.response()
    response.headers["x-li-uuid"] = str(uuid.uuid4())
    world.requests.append(
        {
            "at": world.clock.now_ms(),
            "method": request.method,
            "path": request.url.path,
            "query": request.scope.get("query_string", b"").decode("utf-8", "replace"),
            "headers": {k: v for k, v in headers.items() if k != "authorization"},
            "clientId": _caller(world, headers.get("authorization")),
            "body": body.decode("utf-8", "replace"),
            "status": response.status_code,
        }
    )
    return response


def _caller(world: World, authorization: str | None) -> str | None:
    """The application whose token made the call (the token itself is never logged)."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    token = world.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
    return token.client_id if token else None


async def _dispatch(
    world: World, request: Request, family: str, headers: dict[str, str], body: bytes
) -> Response:
    segments = _raw_segments(request, "/" + family)
    versioned = family == "rest"
    if versioned and not headers.get("linkedin-version", "").strip():
        raise RestliError(
            400,
            "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
            extra={"code": "VERSION_MISSING"},
        )
    route = routes.find(family, segments)
    caller = authenticate(world, headers.get("authorization"))
    if route is None:
        raise RestliError(404, f"No virtual resource found for {request.url.path}")
    if segments[0] not in PARTNER_OR_MEMBER:
        require_child(world, caller, segments[0])
    protocol = protocol_of(headers, versioned)
    query = Query.parse(request.scope.get("query_string", b"").decode("utf-8", "surrogateescape"), protocol)
    method = effective_method(request.method, headers.get("x-restli-method"), query, route.entity)
    if method not in route.methods:
        # Each resource offers only the methods LinkedIn documents for it (docs/linkedin.md#batches).
        resource = "/".join("{key}" if part == "*" else part for part in route.shape)
        raise RestliError(400, f"{request.method} operation {method} is not supported on {family}/{resource}")
    call = Call(
        world=world,
        caller=caller,
        http_method=request.method,
        restli_method=method,
        protocol=protocol,
        query=query,
        raw_body=body,
        segments=segments,
        versioned=versioned,
        headers=headers,
    )
    settle_tasks(world)
    return await route.handler(call)


@router.api_route("/v2/{path:path}", methods=METHODS, include_in_schema=False)
async def v2(request: Request) -> Response:
    return await _handle(request, "v2")


@router.api_route("/rest/{path:path}", methods=METHODS, include_in_schema=False)
async def rest(request: Request) -> Response:
    return await _handle(request, "rest")
