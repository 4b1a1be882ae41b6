"""ServiceError tree (each error carries its HTTP status and code) and the RFC 9457 problem+json handlers.

ServiceError
├── BadRequest (400) ── Unprocessable (422)
├── Unauthorized (401)
├── Forbidden (403)
├── NotFound (404)
├── Conflict (409)
├── Gone (410)
├── BadGateway (502: LinkedIn or the ATS refused what this request needed)
└── ServiceUnavailable (503, Retry-After)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, ClassVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SqlAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger()


class FieldProblem(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. body.contracts.0")
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details, plus a machine-readable `code` and, for validation, `errors`."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str
    errors: list[FieldProblem] | None = None


class ServiceError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str | None = None, *, errors: Sequence[FieldProblem] | None = None) -> None:
        super().__init__(detail or HTTPStatus(self.status).phrase)
        self.detail = detail
        self.errors = list(errors) if errors else None


class BadRequest(ServiceError):
    status = 400
    code = "bad_request"


class Unprocessable(BadRequest):
    status = 422
    code = "validation_error"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Gone(ServiceError):
    status = 410
    code = "gone"


class BadGateway(ServiceError):
    status = 502
    code = "upstream_refused"


class ServiceUnavailable(ServiceError):
    status = 503
    code = "unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after)}


def problem_response(
    *,
    status: int,
    code: str,
    detail: str | None,
    instance: str | None,
    errors: Sequence[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        code=code,
        errors=list(errors) if errors else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _field_problems(exc: RequestValidationError) -> list[FieldProblem]:
    return [
        FieldProblem(
            field=".".join(str(part) for part in item.get("loc", ())), reason=item.get("msg", "invalid")
        )
        for item in exc.errors()
    ]


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return problem_response(
        status=exc.status,
        code=exc.code,
        detail=exc.detail,
        instance=request.url.path,
        errors=exc.errors,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = _field_problems(exc)
    summary = "; ".join(f"{p.field}: {p.reason}" for p in problems[:5])
    return problem_response(
        status=422, code="validation_error", detail=summary, instance=request.url.path, errors=problems
    )


HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    431: "request_headers_too_large",
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        # Starlette names the methods of the first route whose path matched; the path may have several.
        headers = (headers or {}) | {"Allow": ", ".join(allowed_methods(request))}
    return problem_response(
        status=exc.status_code,
        code=HTTP_CODES.get(exc.status_code, "http_error"),
        detail=detail,
        instance=request.url.path,
        headers=headers,
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app serves at the request's path."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        template = route.path  # with its converters: `{candidate_id:path}` takes a `/` as the route does
        if template and route.methods and _template(template).match(path):
            methods |= route.methods
    return sorted(methods)


@functools.lru_cache(maxsize=512)
def _template(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]


def internal_error(path: str, exc: BaseException) -> JSONResponse:
    # Internals stay in the log; the caller gets a request id to quote.
    log.error("http.unhandled_error", path=path, error_type=type(exc).__name__, exc_info=exc)
    return problem_response(
        status=500, code="internal_error", detail="an internal error occurred", instance=path
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    return unhandled_response(request.url.path, exc)


def unhandled_response(path: str, exc: BaseException) -> JSONResponse:
    """The answer to an error nothing else handled: 503 when the database is unreachable or its schema behind,
    else 500."""
    if database_unreachable(exc):
        return _unavailable(path, exc)
    if schema_behind(exc):
        return _schema_behind(path, exc)
    return internal_error(path, exc)


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached (down, refusing, a connection lost mid-use), as
    opposed to refusing a statement. Drivers raise plain OSError for a refused connection, and asyncpg its own
    connection errors, which SQLAlchemy does not wrap; a statement that outlives asyncpg's `command_timeout`
    (RSC_DATABASE__STATEMENT_TIMEOUT_SECONDS: the server stopped answering) raises the builtin TimeoutError,
    an OSError, unwrapped too. A database that answers without the tables or columns this release names is
    reached: its schema is behind (schema_behind)."""
    if schema_behind(exc):
        return False
    if isinstance(exc, OperationalError | InterfaceError | SqlAlchemyTimeout):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or _no_connection(sqlstate(exc) or "")
    if isinstance(exc, OSError):  # refused, reset, unreachable, a connect timeout
        return True
    module = type(exc).__module__
    return module.startswith("asyncpg") and "Connection" in type(exc).__name__


# PostgreSQL's SQLSTATEs for a table and a column that do not exist; SQLite's drivers raise an
# OperationalError with no SQLSTATE and say it in the message.
_UNDEFINED = {"42P01", "42703"}
_SQLITE_UNDEFINED = ("no such table", "no such column", "has no column named")


def schema_behind(exc: BaseException) -> bool:
    """Whether the database answered but lacks a table or column the statement names: a schema never
    migrated, or behind this release; `rsc-service migrate` mends it."""
    if not isinstance(exc, DBAPIError):
        return False
    code = sqlstate(exc)
    if code is not None:
        return code in _UNDEFINED
    message = str(exc.orig)
    return any(words in message for words in _SQLITE_UNDEFINED)


def _no_connection(code: str) -> bool:
    """SQLSTATEs that say no session could be had, whatever the statement: a connection failure (class 08),
    a role the server does not know or will not let in (class 28), a database that does not exist (3D000),
    a server shutting down or starting up (57P01 to 57P03) or out of connections (53300). Each is the
    deployment's fault, not the request's: callers retry while an operator mends it."""
    return code[:2] in {"08", "28"} or code in {"3D000", "57P01", "57P02", "57P03", "53300"}


def sqlstate(exc: DBAPIError) -> str | None:
    """The SQLSTATE of a driver's error (PostgreSQL's; SQLite's drivers give none)."""
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def unstorable(exc: BaseException) -> bool:
    """Whether the database refused a value of the statement (too long, out of range, a NUL): SQLSTATE class
    22, which asyncpg's errors reach SQLAlchemy as with a plain DBAPIError rather than a DataError."""
    if isinstance(exc, DataError):
        return True
    return isinstance(exc, DBAPIError) and (sqlstate(exc) or "").startswith("22")


def _unavailable(path: str, exc: BaseException) -> JSONResponse:
    # Callers retry a 503; a 4xx or 500 here could make them drop a change for good
    # (docs/architecture.md#14-ingest).
    log.warning("http.database_unavailable", path=path, error_type=type(exc).__name__)
    return _retry_later(path, "the database is unavailable; retry later")


def _schema_behind(path: str, exc: BaseException) -> JSONResponse:
    # The deployment's fault, mended by an operator, not the request's: a 503 callers retry, like an
    # unreachable database (docs/architecture.md#14-ingest).
    log.error("http.database_schema_behind", path=path, error_type=type(exc).__name__)
    return _retry_later(
        path, "the database schema is not at head: an operator must run `rsc-service migrate`; retry later"
    )


def _retry_later(path: str, detail: str) -> JSONResponse:
    return problem_response(
        status=503, code="unavailable", detail=detail, instance=path, headers={"Retry-After": "5"}
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if database_unreachable(exc):
        return _unavailable(request.url.path, exc)
    if schema_behind(exc):
        return _schema_behind(request.url.path, exc)
    if unstorable(exc):  # a value the database cannot store: the request's, not ours
        return problem_response(
            status=422,
            code="unstorable_value",
            detail="a value in the request cannot be stored (too long, out of range or not allowed)",
            instance=request.url.path,
        )
    return internal_error(request.url.path, exc)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    for error in (DBAPIError, SqlAlchemyTimeout, OSError):
        app.add_exception_handler(error, _database_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)


# What each problem status means on this service, and the `code` it carries unless a route names a more
# specific one (docs/architecture.md#21-the-openapi-document).
_MEANING: dict[int, str] = {
    400: "Malformed: the body is not JSON, or what the route names (`bad_request`, or a more specific code)",
    401: "Missing or invalid credentials (`unauthorized`)",
    403: "Not allowed (`forbidden`, or a more specific code)",
    404: "Not found (`not_found`, or a more specific code)",
    409: "Refused in the resource's current state (`conflict`, or a more specific code)",
    410: "Gone for good (`gone`)",
    413: "The body is over RSC_SERVER__MAX_BODY_BYTES (`payload_too_large`)",
    422: "Invalid: `errors` names each field and the reason (`validation_error`, or a more specific code)",
    431: "The headers are over RSC_SERVER__MAX_HEADER_BYTES (`request_headers_too_large`)",
    502: "LinkedIn or the ATS did not answer what this request needed (`upstream_refused`)",
    503: "The database (or what the answer needs) is unavailable; retry after Retry-After (`unavailable`)",
}
_HEADERS: dict[int, dict[str, Any]] = {
    503: {
        "Retry-After": {
            "description": "Seconds to wait before retrying",
            "required": True,
            "schema": {"type": "string", "pattern": r"^[0-9]+$"},
        }
    },
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries so a route's problem answers appear in the OpenAPI document. A route names the
    statuses its own logic answers; the plumbing's (auth, body, limits, database) are added to every operation
    by web/answers.py."""
    return {
        status: {
            "description": _MEANING.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        | ({"headers": _HEADERS[status]} if status in _HEADERS else {})
        for status in statuses
    }
