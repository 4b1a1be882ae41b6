"""Operator API for one tenant's sync: health, dead letters and their replay, reconcile now
(docs/architecture.md#20-operations)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from rsc_service.errors import problem_responses
from rsc_service.outbox import dead_letters
from rsc_service.outbox import health as outbox_health
from rsc_service.pull import service as pull_service
from rsc_service.pull.schemas import PullStreamRead
from rsc_service.push import service as push_service
from rsc_service.reconcile import service as reconcile_service
from rsc_service.tenants import service as tenant_service
from rsc_service.throttle import service as throttle
from rsc_service.web.admin_auth import AdminPrincipal, AdminRoute
from rsc_service.web.deps import Ctx, WriteSession

router = APIRouter(
    prefix="/v1/admin/tenants/{tenant_key}",
    tags=["admin"],
    responses=problem_responses(401, 403, 404),
    route_class=AdminRoute,
)

MAX_ROW_ID = 2**31 - 1  # outbox ids are 32-bit integers on PostgreSQL


def _whole(value: object) -> object:
    # Strict, so "7" and true are refused as the schema's `integer` refuses them; 7.0 is an integer to JSON
    # Schema, so it is taken as 7.
    return int(value) if isinstance(value, float) and value.is_integer() else value


RowId = Annotated[int, Field(strict=True, ge=1, le=MAX_ROW_ID), BeforeValidator(_whole)]


class QuotaRead(BaseModel):
    group: str
    records_left: int | None = Field(description="Records left in the sliding 60 s window; null: no limit")
    requests_left: int | None = Field(description="Requests left in the UTC day; null: no limit")
    paused_until: datetime | None = Field(description="Set after LinkedIn answered 429")


class LastErrorRead(BaseModel):
    resource: str
    key: str
    state: str
    message: str
    at: datetime


class ReconcileStatusRead(BaseModel):
    last_started_at: datetime | None
    last_finished_at: datetime | None = Field(description="When every record kind was last compared")
    last_error: str | None


class SyncHealthRead(BaseModel):
    tenant_key: str
    depth: dict[str, int] = Field(description="Outbox rows by state")
    oldest_owed_at: datetime | None = Field(description="Oldest change not yet at LinkedIn")
    oldest_age_seconds: float | None
    dead_letters: int
    last_error: LastErrorRead | None
    sending_paused: bool = Field(description="LinkedIn refused the integration as a whole (403)")
    paused_until: datetime | None
    paused_reason: str | None
    quotas: list[QuotaRead]
    reconcile: ReconcileStatusRead
    pull: list[PullStreamRead] = Field(description="Each pull stream: last pull, items written, lag, errors")


class DeadLetterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resource: str
    key: str
    path_parent: str | None
    op: str
    attempts: int
    source_version: int
    last_error: str | None = Field(description="LinkedIn's message")
    created_at: datetime
    updated_at: datetime


class DeadLetterPageRead(BaseModel):
    items: list[DeadLetterRead]
    next_after: int | None = Field(description="Pass as `after` for the next page; null on the last")


class ReplayRequest(BaseModel):
    """Exactly one of `ids` and `all: true`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["ids"], "properties": {"ids": {"type": "array"}, "all": {"const": False}}},
                {"required": ["all"], "properties": {"all": {"const": True}, "ids": {"type": "null"}}},
            ]
        },
    )

    ids: list[RowId] | None = Field(None, min_length=1, max_length=dead_letters.REPLAY_LIMIT)
    all: bool = Field(
        False, strict=True, description=f"Every dead letter, at most {dead_letters.REPLAY_LIMIT} a request"
    )

    @model_validator(mode="after")
    def _one_of(self) -> ReplayRequest:
        if self.all == (self.ids is not None):
            raise ValueError("exactly one of ids and all=true is required")
        return self


class ReplayResultRead(BaseModel):
    replayed: list[int]
    skipped: list[int] = Field(
        description="Not dead (any more), or still refused as built: nothing was done for them"
    )
    remaining: int = Field(description="Dead letters still waiting; call again with all=true for more")


class ReconcileReportRead(BaseModel):
    tenant_key: str
    seen: int = Field(description="Records the ATS listed as changed since the last reconcile")
    applied: int = Field(description="Of those, newer than what was stored: owed to LinkedIn again")
    error: str | None
    skipped: list[str] = Field(
        description="Records that can never be stored (an id too long, a NUL in a value), with the reason"
    )


@router.get("/sync", response_model=SyncHealthRead, summary="The tenant's sync health")
async def get_sync_health(
    tenant_key: str, session: WriteSession, ctx: Ctx, _: AdminPrincipal
) -> SyncHealthRead:
    tenant = await tenant_service.get_by_key(session, tenant_key)
    health = await outbox_health.for_tenant(
        session, tenant=tenant, budgets=throttle.budgets(ctx.settings.linkedin), now=ctx.clock()
    )
    reconcile = await reconcile_service.status(session, tenant_id=tenant.id)
    return SyncHealthRead(
        tenant_key=tenant.key,
        depth=health.depth,
        oldest_owed_at=health.oldest_owed_at,
        oldest_age_seconds=health.oldest_age_seconds,
        dead_letters=health.dead,
        last_error=LastErrorRead(**vars(health.last_error)) if health.last_error else None,
        sending_paused=health.paused_until is not None,
        paused_until=health.paused_until,
        paused_reason=health.paused_reason,
        quotas=[QuotaRead(**vars(quota)) for quota in health.quotas],
        reconcile=ReconcileStatusRead(**vars(reconcile)),
        pull=[
            PullStreamRead(**vars(stream))
            for stream in await pull_service.health(session, tenant_id=tenant.id, now=ctx.clock())
        ],
    )


@router.get("/dead-letters", response_model=DeadLetterPageRead, summary="Dead letters, oldest first")
async def list_dead_letters(
    tenant_key: str,
    session: WriteSession,
    _: AdminPrincipal,
    after: Annotated[
        int, Query(ge=0, le=MAX_ROW_ID, description="The `next_after` of the previous page")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=dead_letters.PAGE_LIMIT)] = 50,
) -> DeadLetterPageRead:
    tenant = await tenant_service.get_by_key(session, tenant_key)
    page = await dead_letters.list_dead(session, tenant_id=tenant.id, after=after, limit=limit)
    return DeadLetterPageRead(
        items=[DeadLetterRead.model_validate(row) for row in page.items], next_after=page.next_after
    )


@router.post(
    "/dead-letters/replay",
    response_model=ReplayResultRead,
    summary="Send dead letters again, rebuilt from the record's current version; safe to repeat",
    responses=problem_responses(422),
)
async def replay_dead_letters(
    tenant_key: str, body: ReplayRequest, session: WriteSession, ctx: Ctx, _: AdminPrincipal
) -> ReplayResultRead:
    tenant = await tenant_service.get_by_key(session, tenant_key)
    result = await push_service.replay_dead_letters(
        session, tenant=tenant, ids=body.ids, replay_all=body.all, now=ctx.clock()
    )
    return ReplayResultRead(replayed=result.replayed, skipped=result.skipped, remaining=result.remaining)


@router.post(
    "/reconcile",
    response_model=ReconcileReportRead,
    summary="Compare the ATS with what was pushed now, and owe LinkedIn what differs",
    responses=problem_responses(409),
)
async def reconcile_now(tenant_key: str, ctx: Ctx, _: AdminPrincipal) -> ReconcileReportRead:
    # No request transaction: the walk commits one page at a time.
    [report] = await reconcile_service.run_now(ctx, tenant_key=tenant_key)
    return ReconcileReportRead(**vars(report))
