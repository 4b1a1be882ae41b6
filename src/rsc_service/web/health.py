"""Liveness, readiness (database reachable, migrations at head, this process's drain alive) and Prometheus
metrics (behind a bearer token: their labels name tenants)."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from rsc_service.db import migrate
from rsc_service.errors import ServiceUnavailable, problem_responses
from rsc_service.web.admin_auth import MetricsReader
from rsc_service.web.deps import Ctx

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    database: str
    revision: str


@router.get("/healthz", response_model=Health, summary="The process is up")
async def get_health() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The database answers, its schema is at the newest migration, and the outbox drain is alive",
    responses=problem_responses(503),
)
async def get_readiness(ctx: Ctx, request: Request) -> Readiness:
    try:
        async with asyncio.timeout(3), ctx.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
            current = await migrate.current_revisions(await session.connection())
    except Exception as error:
        raise ServiceUnavailable(f"database unreachable ({type(error).__name__})") from None
    heads = migrate.head_revisions()
    if current != heads:
        have = ", ".join(sorted(current)) or "none"
        want = ", ".join(sorted(heads))
        raise ServiceUnavailable(
            f"database schema at revision {have}, expected {want}: run `rsc-service migrate`"
        )
    for check in request.app.state.readiness:  # what this process runs besides the API (its drain)
        problem = check()
        if problem is not None:
            raise ServiceUnavailable(problem)
    return Readiness(database=ctx.engine.dialect.name, revision=", ".join(sorted(heads)))


@router.get(
    "/metrics",
    summary="Prometheus metrics, for the metrics bearer token (else the admin token)",
    response_class=Response,
    responses=problem_responses(401),
    dependencies=[MetricsReader],
)
async def get_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
