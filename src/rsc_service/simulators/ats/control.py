"""`/_sim`: change the fake ATS's records (raising webhooks), steer deliveries, and inspect what happened."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from rsc_service.simulators.ats import privacy, seed
from rsc_service.simulators.ats.config import WEB_URL_PATTERN, Plan, SeedOptions
from rsc_service.simulators.ats.problems import AtsProblem
from rsc_service.simulators.ats.records import KINDS, PREFIX, Record
from rsc_service.simulators.ats.webhooks import Faults, WebhookSender
from rsc_service.simulators.ats.world import World

router = APIRouter(prefix="/_sim", tags=["simulator control"])


def world_of(request: Request) -> World:
    world: World = request.app.state.world
    return world


def sender_of(request: Request) -> WebhookSender:
    sender: WebhookSender = request.app.state.webhooks
    return sender


WorldDep = Annotated[World, Depends(world_of)]
SenderDep = Annotated[WebhookSender, Depends(sender_of)]
Fields = Annotated[dict[str, Any], Body()]


class SeedRequest(SeedOptions):
    announce: bool = Field(default=False, description="Also send a *.created webhook for every record")


class Seats(BaseModel):
    linkedin_contracts: list[str] = Field(description="Contracts the user holds a Recruiter seat on")


class AccountChange(BaseModel):
    """What a test may change of the account; only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", min_length=1)
    plan: Plan = "enterprise"
    web_url: str = Field(default="", pattern=WEB_URL_PATTERN, description="An https origin, no trailing /")


class ReadDelay(BaseModel):
    seconds: float = Field(ge=0, le=10, description="How long each list read of the API takes from now on")


class Target(BaseModel):
    url: str | None
    secrets: list[str] = Field(min_length=1, description="whsec_ secrets; the first is current")


def _changeable(kind: str) -> str:
    if kind not in KINDS:
        raise AtsProblem(404, "not_found", f"unknown kind {kind}; one of {', '.join(KINDS)}")
    return kind


def _known(kind: str) -> str:
    if kind not in PREFIX:
        raise AtsProblem(404, "not_found", f"unknown kind {kind}")
    return kind


@router.get("/state")
async def state(world: WorldDep, sender: SenderDep) -> dict[str, Any]:
    return {
        "counts": {kind: world.count(kind) for kind in PREFIX},
        "writes": len(world.writes),
        "duplicates": len(world.duplicates),
        "events": len(sender.events),
        "deliveries": dict(Counter(delivery.state for delivery in sender.deliveries)),
    }


@router.post("/seed")
async def seed_world(options: SeedRequest, world: WorldDep) -> dict[str, int]:
    summary = seed.generate(world, SeedOptions.model_validate(options.model_dump(exclude={"announce"})))
    if options.announce:
        summary["announced"] = world.announce()
    return summary


@router.post("/announce")
async def announce(world: WorldDep) -> dict[str, int]:
    return {"announced": world.announce()}


@router.post("/records/{kind}", status_code=201)
async def create_record(kind: str, fields: Fields, world: WorldDep) -> Record:
    return world.create(_changeable(kind), fields)


@router.patch("/records/{kind}/{record_id}")
async def update_record(
    kind: str, record_id: str, changes: Fields, world: WorldDep, by: str | None = None
) -> Record:
    return world.update(_changeable(kind), record_id, changes, by=by)


@router.delete("/records/{kind}/{record_id}")
async def delete_record(kind: str, record_id: str, world: WorldDep) -> list[Record]:
    return world.delete(_changeable(kind), record_id)


@router.get("/records/{kind}")
async def all_records(kind: str, world: WorldDep) -> list[Record]:
    return list(world.stores[_known(kind)].records.values())


@router.get("/records/{kind}/{record_id}")
async def one_record(kind: str, record_id: str, world: WorldDep) -> Record:
    return world.get(_known(kind), record_id, include_deleted=True)


@router.put("/read-delay")
async def set_read_delay(delay: ReadDelay, world: WorldDep) -> ReadDelay:
    world.read_delay = delay.seconds
    return delay


@router.get("/account")
async def account(world: WorldDep) -> Record:
    return world.account


@router.patch("/account")
async def change_account(change: AccountChange, world: WorldDep) -> Record:
    return world.change_account(change.model_dump(exclude_unset=True))


@router.put("/users/{user_id}/seats")
async def set_seats(user_id: str, seats: Seats, world: WorldDep) -> dict[str, list[str]]:
    world.get("user", user_id)
    world.seats[user_id] = set(seats.linkedin_contracts)
    return {"linkedin_contracts": sorted(world.seats[user_id])}


@router.get("/users/{user_id}/candidates/{candidate_id}/activity")
async def activity(user_id: str, candidate_id: str, world: WorldDep) -> list[dict[str, Any]]:
    return privacy.activity_as_seen_by(world, user_id, candidate_id)


@router.get("/writes")
async def writes(world: WorldDep, kind: str | None = None) -> list[dict[str, Any]]:
    return [write for write in world.writes if kind is None or write["kind"] == kind]


@router.get("/duplicates")
async def duplicates(world: WorldDep, kind: str | None = None) -> list[dict[str, Any]]:
    return [attempt for attempt in world.duplicates if kind is None or attempt["kind"] == kind]


@router.get("/events")
async def events(sender: SenderDep) -> list[dict[str, Any]]:
    return sender.events


@router.get("/deliveries")
async def deliveries(sender: SenderDep, state: str | None = None) -> list[dict[str, Any]]:
    return [d.summary() for d in sender.deliveries if state is None or d.state == state]


@router.put("/webhooks/target")
async def set_target(target: Target, sender: SenderDep) -> dict[str, Any]:
    sender.configure(url=target.url, secrets=target.secrets)
    return {"url": sender.url, "secrets": len(sender.secrets)}


@router.put("/webhooks/faults")
async def set_faults(faults: Faults, sender: SenderDep) -> Faults:
    sender.set_faults(faults)
    return sender.faults


@router.post("/webhooks/pause")
async def pause(sender: SenderDep) -> dict[str, bool]:
    sender.pause()
    return {"paused": True}


@router.post("/webhooks/release")
async def release(sender: SenderDep, order: Literal["fifo", "reverse", "shuffle"] = "fifo") -> dict[str, int]:
    return {"released": sender.release(order)}


@router.post("/webhooks/flush")
async def flush(sender: SenderDep, within: Annotated[float, Query(gt=0, le=300)] = 10.0) -> JSONResponse:
    idle = await sender.flush(within)
    body = {"idle": idle, "deliveries": dict(Counter(d.state for d in sender.deliveries))}
    return JSONResponse(body, status_code=200 if idle else 504)
