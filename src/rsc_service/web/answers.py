"""The answers every operation of the OpenAPI document gives besides its own outcomes, documented from what
the route is (docs/architecture.md#21-the-openapi-document): each route declares only the problems its own
logic raises (`errors.problem_responses(404, 409)`), and this step adds the ones the service's plumbing
answers on its behalf, so no route can forget them:

- every operation: 431, the headers over RSC_SERVER__MAX_HEADER_BYTES (RequestLimitsMiddleware);
- a request body: 400 when it is not JSON, 413 over RSC_SERVER__MAX_BODY_BYTES, 422 when it breaks the schema;
- parameters: 422 when one breaks the schema;
- the admin token (`AdminToken`): 401 without a valid token, 403 while the admin API is off;
- a tenant API key (`TenantApiKey`): 401 without a valid key;
- a route that reaches the database (through the AppContext, or to find the calling tenant): 503 with
  Retry-After while the database cannot be reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, get_args

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from rsc_service import errors
from rsc_service.web.deps import Ctx

ADMIN_SCHEME = "AdminToken"
TENANT_SCHEME = "TenantApiKey"
# The AppContext dependency: a route whose dependencies reach it may reach the database.
_CONTEXT: Callable[..., Any] = get_args(Ctx)[1].dependency
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _reaches(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return dependant.call is call or any(_reaches(sub, call) for sub in dependant.dependencies)


def _database_routes(routes: Iterable[BaseRoute]) -> set[tuple[str, str]]:
    """(path, method) of every route whose dependencies reach the AppContext, and so the database."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(list(routes)):
        api = route.original_route
        if isinstance(api, APIRoute) and route.path_format and _reaches(api.dependant, _CONTEXT):
            found.update((route.path_format, method.lower()) for method in route.methods or ())
    return found


def _schemes(operation: dict[str, Any]) -> set[str]:
    return {name for requirement in operation.get("security", []) for name in requirement}


def statuses_for(operation: dict[str, Any], *, reaches_database: bool) -> list[int]:
    """The statuses the plumbing may answer for this operation, from its shape alone."""
    statuses = {431}
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
    if operation.get("parameters"):
        statuses.add(422)
    schemes = _schemes(operation)
    if ADMIN_SCHEME in schemes:
        statuses |= {401, 403}
    if TENANT_SCHEME in schemes:
        statuses.add(401)
        reaches_database = True  # the calling tenant is found by its key
    if reaches_database:
        statuses.add(503)
    return sorted(statuses)


# A route that reads its body itself (not through a FastAPI parameter) describes it in `openapi_extra` and
# puts the schemas it refers to under this key; they are moved to the document's components.
COMPONENTS = "x-component-schemas"


def document(spec: dict[str, Any], routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """Add the plumbing's answers to every operation of `spec`; a route's own entry for a status is kept."""
    database = _database_routes(routes)
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            for name, schema in operation.pop(COMPONENTS, {}).items():
                if components.setdefault(name, schema) != schema:
                    raise ValueError(f"{method.upper()} {path} brings a different schema named {name}")
            answers = operation.setdefault("responses", {})
            wanted = statuses_for(operation, reaches_database=(path, method) in database)
            for status, response in errors.problem_responses(*wanted).items():
                answers.setdefault(str(status), response)
            operation["responses"] = dict(sorted(answers.items()))
    return spec
