"""The `/_sim` control API, inspection side: seed, state, records, history, Recruiter views, faults, clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from . import recruiter
from .errors import RestliError
from .faults import FaultRule, Faults
from .job_tasks import settle_tasks, task_view
from .restli import parse_key, render_key
from .seeding import seed_world
from .world import RESOURCES, World

router = APIRouter(prefix="/_sim")


class SimBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class FaultIn(SimBody):
    kind: str
    status: int = 503
    retry_after: int | None = Field(None, alias="retryAfter")
    share: float = 1.0
    count: int | None = None
    seconds: float | None = None
    path_prefix: str = Field("/", alias="pathPrefix")
    methods: list[str] | None = None
    hang_seconds: float | None = Field(None, alias="hangSeconds")


class ClockIn(SimBody):
    set: datetime | int | None = None
    advance_seconds: float | None = Field(None, alias="advanceSeconds")


def sim_world(request: Request) -> World:
    world: World = request.app.state.world
    settle_tasks(world)
    return world


def http_client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.http
    return client


@router.post("/seed")
async def seed(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = (await request.json()) if raw.strip() else None
    world: World = request.app.state.world
    try:  # a seed that does not load leaves the world as it was
        seed_world(World(world.config, world.clock), data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RestliError(400, f"Invalid seed: {type(exc).__name__}: {exc}") from exc
    seed_world(world, data)
    return {"seeded": True, "apps": sorted(world.apps)}


@router.get("/state")
async def state(request: Request) -> dict[str, Any]:
    world = sim_world(request)
    return {
        "now": world.now().isoformat(),
        "apps": [
            a.as_json() | {"kind": a.kind, "organization": a.organization, "contracts": a.contracts}
            for a in world.apps.values()
        ],
        "organizations": sorted(world.organizations),
        "contracts": world.contracts,
        "contractTypes": world.contract_types,
        "members": [
            {"id": m.person_id, "urn": m.urn, "emails": m.emails, "closed": m.closed}
            for m in world.members.values()
        ],
        "seats": [
            {"id": s.seat_id, "urn": s.urn, "contract": s.contract, "member": s.member, "state": s.state}
            for s in world.seats.values()
        ],
        "counts": {name: len(world.collection(name).records) for name in RESOURCES},
        "throttle": world.throttle.usage(),
    }


def _check_resource(resource: str) -> None:
    if resource not in RESOURCES:
        raise RestliError(404, f"Unknown resource {resource}; one of {list(RESOURCES)}")


@router.get("/records/{resource}")
async def records(request: Request, resource: str, integrationContext: str | None = None) -> dict[str, Any]:
    _check_resource(resource)
    store = sim_world(request).collection(resource)
    filters = {"integrationContext": integrationContext} if integrationContext else {}
    return {
        "elements": [
            {
                "key": render_key(key, "1.0.0"),
                "fields": dict(key),
                "record": record,
                "history": [h.as_json() for h in store.history.get(key, [])],
            }
            for key, record in store.where(**filters)
        ]
    }


@router.get("/history/{resource}")
async def history(request: Request, resource: str, key: str) -> dict[str, Any]:
    """Every write of one key, oldest first (deleted keys keep their history)."""
    _check_resource(resource)
    parsed = parse_key(key, None)
    store = sim_world(request).collection(resource)
    return {
        "key": render_key(parsed, "1.0.0"),
        "history": [h.as_json() for h in store.history.get(parsed, [])],
    }


@router.get("/requests")
async def requests(request: Request, pathPrefix: str = "") -> dict[str, Any]:
    return {"elements": [r for r in sim_world(request).requests if r["path"].startswith(pathPrefix)]}


@router.get("/notifications")
async def notifications(request: Request) -> dict[str, Any]:
    return {"elements": [d.as_json() for d in sim_world(request).deliveries]}


@router.get("/tasks")
async def tasks(request: Request) -> dict[str, Any]:
    world = sim_world(request)
    return {"elements": [task_view(world, t) for t in world.tasks.values()]}


@router.get("/recruiter/indicator")
async def indicator(
    request: Request, member: str, organization: str | None = None, viewer: str | None = None
) -> dict[str, Any]:
    """What a recruiter (`viewer`, a person URN; everything when absent) sees in the In-ATS indicator."""
    return recruiter.indicator(sim_world(request), member, organization, viewer)


@router.get("/recruiter/jobs")
async def export_dropdown(
    request: Request, organization: str = "urn:li:organization:1001", viewer: str | None = None
) -> dict[str, Any]:
    return {"elements": recruiter.export_dropdown(sim_world(request), organization, viewer)}


@router.get("/faults")
async def faults_list(request: Request) -> dict[str, Any]:
    faults: Faults = request.app.state.faults
    return {"elements": [r.as_json() for r in faults.rules]}


@router.post("/faults")
async def faults_add(request: Request, body: FaultIn) -> JSONResponse:
    faults: Faults = request.app.state.faults
    rule = FaultRule(
        body.kind,
        body.status,
        body.retry_after,
        body.share,
        body.count,
        None,
        body.path_prefix,
        body.methods,
        body.hang_seconds,
    )
    try:
        faults.add(rule, body.seconds)
    except ValueError as exc:
        raise RestliError(400, str(exc)) from exc
    return JSONResponse(rule.as_json(), status_code=201)


@router.delete("/faults")
async def faults_clear(request: Request) -> Response:
    faults: Faults = request.app.state.faults
    faults.clear()
    return Response(status_code=204)


@router.delete("/tokens")
async def revoke_tokens(request: Request) -> dict[str, Any]:
    """Revoke every access token (the next API call answers 401), as a revocation by LinkedIn would."""
    world: World = request.app.state.world
    revoked = len(world.tokens)
    world.tokens.clear()
    return {"revoked": revoked}


@router.get("/clock")
async def clock_get(request: Request) -> dict[str, Any]:
    world: World = request.app.state.world
    return {
        "now": world.now().isoformat(),
        "nowMs": world.clock.now_ms(),
        "offsetSeconds": world.clock.offset.total_seconds(),
    }


@router.post("/clock")
async def clock_set(request: Request, body: ClockIn) -> dict[str, Any]:
    world: World = request.app.state.world
    if isinstance(body.set, int):
        world.clock.set(datetime.fromtimestamp(body.set / 1000, UTC))
    elif body.set is not None:
        world.clock.set(body.set if body.set.tzinfo else body.set.replace(tzinfo=UTC))
    if body.advance_seconds:
        world.clock.advance(body.advance_seconds)
    settle_tasks(world)
    return await clock_get(request)
