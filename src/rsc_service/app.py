"""create_app(): routers, error handlers, middleware and the lifespan that owns context and scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig

from rsc_service import __version__, bootstrap, errors, logs
from rsc_service.admin import routes as admin_routes
from rsc_service.admin import sync_routes
from rsc_service.ats_webhooks import routes as ats_webhook_routes
from rsc_service.bootstrap import Service
from rsc_service.context import AppContext
from rsc_service.exports import routes as export_routes
from rsc_service.in_ats import admin_routes as in_ats_admin_routes
from rsc_service.in_ats import routes as in_ats_routes
from rsc_service.linkedin_activity import routes as linkedin_activity_routes
from rsc_service.linkedin_notifications import routes as linkedin_notification_routes
from rsc_service.linkedin_tab import routes as linkedin_tab_routes
from rsc_service.links_api import routes as link_routes
from rsc_service.onboarding import deactivation_routes, initial_sync_routes
from rsc_service.onboarding import routes as onboarding_routes
from rsc_service.pull import resync_routes
from rsc_service.pull import routes as pull_routes
from rsc_service.scheduler import Scheduler
from rsc_service.seats import routes as seat_routes
from rsc_service.settings import Settings
from rsc_service.web import answers, health
from rsc_service.web.middleware import RequestContextMiddleware, RequestLimitsMiddleware

DESCRIPTION = """\
LinkedIn Recruiter System Connect beside an existing ATS. Signed ATS webhooks are stored durably and
pushed to LinkedIn in Rest.li batches inside LinkedIn's throttles; operators follow each tenant's sync
and replay what LinkedIn refused. Every error is an RFC 9457 `application/problem+json` document with a
`code`.
"""


# FastAPI's native OpenTelemetry is off unless asked for: the service exports Prometheus metrics, and the
# check for an OpenTelemetry provider would otherwise run on every request.
_NO_OPENTELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with validation errors described as the problem+json they really are."""
    if app.openapi_schema is None:
        spec = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for operations in spec.get("paths", {}).values():
            for operation in operations.values():
                given = operation.get("responses", {})
                if "HTTPValidationError" in str(given.get("422")):
                    del given["422"]  # FastAPI's shape; ours is the problem answers.document adds
        answers.document(spec, app.routes)
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        problem = errors.Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        app.openapi_schema = spec
    return app.openapi_schema


def _serve(app: FastAPI, service: Service) -> None:
    """What the routes reach on the app: the context, the webhook intake and the tenants' LinkedIn apps."""
    app.state.ctx = service.ctx
    app.state.intake = service.intake
    app.state.tenant_apps = service.tenant_apps


def create_app(
    settings: Settings, context: AppContext | None = None, *, service: Service | None = None
) -> FastAPI:
    """The API. Without a context or service, the lifespan builds the service (bootstrap.py); with one, it
    is built now, so in-process callers (tests, ASGI transports) may skip the lifespan."""
    logs.configure_logging(settings.logging, settings.environment)
    ready = service or (bootstrap.build(context) if context is not None else None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            running = (
                ready if ready is not None else await stack.enter_async_context(bootstrap.running(settings))
            )
            _serve(app, running)
            if settings.scheduler.enabled:
                scheduler = Scheduler(running)
                scheduler.start()
                stack.push_async_callback(scheduler.stop)
                app.state.readiness.append(scheduler.readiness)
            yield

    app = FastAPI(
        title="rsc-service",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        telemetry=None
        if settings.logging.opentelemetry
        else {"tracing": False, "metrics": False, "logs": False},
    )
    if ready is not None:
        _serve(app, ready)
    app.state.readiness = []  # checks /readyz runs besides the database's
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    errors.install_handlers(app)
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body_bytes=settings.server.max_body_bytes,
        max_header_bytes=settings.server.max_header_bytes,
    )
    app.add_middleware(RequestContextMiddleware)  # outermost: every answer carries its request id
    app.include_router(ats_webhook_routes.router)  # first: every ATS change is matched against it
    app.include_router(health.router)
    app.include_router(admin_routes.router)
    app.include_router(sync_routes.router)
    app.include_router(pull_routes.router)
    app.include_router(resync_routes.router)
    app.include_router(seat_routes.router)
    app.include_router(linkedin_notification_routes.router)
    app.include_router(onboarding_routes.router)
    app.include_router(onboarding_routes.sign_in_router)
    app.include_router(deactivation_routes.router)
    app.include_router(initial_sync_routes.router)
    app.include_router(in_ats_routes.router)
    app.include_router(in_ats_admin_routes.router)
    app.include_router(link_routes.router)
    app.include_router(export_routes.router)
    app.include_router(linkedin_tab_routes.router)
    app.include_router(linkedin_activity_routes.router)
    return app
