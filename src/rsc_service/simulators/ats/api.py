"""The contract's endpoints (openapi/ats-api.yaml) served from the fake ATS's world."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from rsc_service.simulators.ats import bodies, service_writes
from rsc_service.simulators.ats.problems import AtsProblem
from rsc_service.simulators.ats.records import Record, iso
from rsc_service.simulators.ats.store import BadCursor
from rsc_service.simulators.ats.world import World

COLLECTIONS = {
    "candidates": ("candidate", ()),
    "jobs": ("job", ("status",)),
    "applications": ("application", ("candidate_id", "job_id")),
    "notes": ("note", ("candidate_id", "application_id")),
    "interview_feedback": ("interview_feedback", ("candidate_id", "job_id", "application_id")),
    "users": ("user", ()),
}


def world_of(request: Request) -> World:
    world: World = request.app.state.world
    return world


def authorised(request: Request) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or token not in request.app.state.config.api_tokens:
        raise AtsProblem(401, "unauthorized", "missing or unknown bearer token")


WorldDep = Annotated[World, Depends(world_of)]
router = APIRouter(dependencies=[Depends(authorised)])


def _list_route(kind: str, filters: tuple[str, ...]) -> Callable[..., Any]:
    async def list_records(
        request: Request,
        world: WorldDep,
        cursor: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        updated_since: datetime | None = None,
        include_deleted: bool = False,
    ) -> dict[str, Any]:
        if world.read_delay:
            await asyncio.sleep(world.read_delay)
        since = None
        if updated_since is not None:
            since = iso(updated_since if updated_since.tzinfo else updated_since.replace(tzinfo=UTC))
        wanted = {name: request.query_params.get(name) for name in filters}
        try:
            data, next_cursor = world.list_records(
                kind,
                cursor=cursor,
                limit=limit,
                updated_since=since,
                include_deleted=include_deleted,
                filters={name: value for name, value in wanted.items() if value is not None},
            )
        except BadCursor:
            raise AtsProblem(400, "bad_cursor", "cursor is not one this API issued") from None
        return {"data": data, "next_cursor": next_cursor}

    return list_records


def _get_route(kind: str) -> Callable[..., Any]:
    async def get_record(record_id: str, world: WorldDep) -> Record:
        return world.get(kind, record_id)

    return get_record


for _path, (_kind, _filters) in COLLECTIONS.items():
    router.add_api_route(f"/{_path}", _list_route(_kind, _filters), methods=["GET"], name=f"list_{_path}")
    router.add_api_route(f"/{_path}/{{record_id}}", _get_route(_kind), methods=["GET"], name=f"get_{_kind}")


router.add_api_route("/emails/{record_id}", _get_route("email"), methods=["GET"], name="get_email")


@router.get("/account")
async def get_account(world: WorldDep) -> Record:
    return world.account


def _answer(result: tuple[Record, bool]) -> JSONResponse:
    record, created = result
    return JSONResponse(record, status_code=201 if created else 200)


@router.post("/candidates")
async def create_candidate(body: bodies.CandidateCreate, world: WorldDep) -> JSONResponse:
    return _answer(service_writes.create_candidate(world, body.fields()))


@router.post("/candidates/{candidate_id}/applications")
async def assign_candidate(
    candidate_id: str, body: bodies.ApplicationCreate, world: WorldDep
) -> JSONResponse:
    return _answer(service_writes.assign_candidate(world, candidate_id, body.fields()))


@router.post("/candidates/{candidate_id}/notes")
async def create_note(candidate_id: str, body: bodies.NoteCreate, world: WorldDep) -> JSONResponse:
    return _answer(service_writes.create_note(world, candidate_id, body.fields()))


@router.post("/candidates/{candidate_id}/emails")
async def create_email(candidate_id: str, body: bodies.EmailCreate, world: WorldDep) -> JSONResponse:
    return _answer(service_writes.create_email(world, candidate_id, body.fields()))


@router.post("/users/{user_id}/emails")
async def send_user_email(user_id: str, body: bodies.UserEmailCreate, world: WorldDep) -> JSONResponse:
    return _answer(service_writes.send_user_email(world, user_id, body.fields()))


@router.post("/notes/withdraw")
async def withdraw_note(body: bodies.Withdrawal, world: WorldDep) -> Record:
    return service_writes.withdraw(world, "note", body.external_id)


@router.post("/emails/withdraw")
async def withdraw_email(body: bodies.Withdrawal, world: WorldDep) -> Record:
    return service_writes.withdraw(world, "email", body.external_id)
