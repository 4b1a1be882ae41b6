"""The ATS's seat routes (setup step 3, docs/onboarding.md#seats): the tenant's Recruiter seats, who is
connected to which, and assigning by hand. The tenant is the one whose API key is the bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from rsc_service.errors import problem_responses
from rsc_service.seats import schemas, service
from rsc_service.seats.deps import CallingTenantRow, TenantAts, TenantLinkedIn
from rsc_service.seats.schemas import (
    AssignRequest,
    RefreshRead,
    SeatListRead,
    SeatRead,
    UserListRead,
)
from rsc_service.tenants.deps import TenantPrincipal, TenantRoute
from rsc_service.web.deps import Ctx, WriteSession

router = APIRouter(
    prefix="/v1/integration",
    tags=["seats"],
    responses=problem_responses(401),
    route_class=TenantRoute,
)

SeatId = Annotated[
    int, Path(ge=1, le=2**31 - 1, description="The seat's `id` from GET /v1/integration/seats")
]


@router.get("/seats", response_model=SeatListRead, summary="Every seat, connected or not, for the drop-down")
async def list_seats(session: WriteSession, tenant: TenantPrincipal) -> SeatListRead:
    seats = await service.list_seats(session, tenant.id)
    return SeatListRead(seats=[schemas.seat_read(seat) for seat in seats])


@router.post(
    "/seats/refresh",
    response_model=RefreshRead,
    summary="Read the seats from LinkedIn and the users from the ATS now, and connect users by email",
    responses=problem_responses(409, 502, 503),
)
async def refresh_seats(
    session: WriteSession, ctx: Ctx, tenant: CallingTenantRow, linkedin: TenantLinkedIn, ats: TenantAts
) -> RefreshRead:
    report = await service.refresh(session, tenant, linkedin, ats, now=ctx.clock())
    return schemas.refresh_read(report)


@router.get(
    "/users",
    response_model=UserListRead,
    summary="The ATS's users (read from the ATS now), each with their seat or why they have none",
    responses=problem_responses(502),
)
async def list_users(session: WriteSession, tenant: TenantPrincipal, ats: TenantAts) -> UserListRead:
    found = await service.users(session, tenant.id, ats)
    return UserListRead(users=[schemas.user_read(user) for user in found])


@router.put(
    "/seats/{seat_id}/user",
    response_model=SeatRead,
    summary="Connect an ATS user to the seat by hand; a refresh never undoes it",
    responses=problem_responses(404, 409),
)
async def assign_seat(
    seat_id: SeatId, body: AssignRequest, session: WriteSession, ctx: Ctx, tenant: TenantPrincipal
) -> SeatRead:
    seat = await service.assign(session, tenant.id, seat_id, body.ats_user_id, now=ctx.clock())
    return schemas.seat_read(seat)


@router.delete(
    "/seats/{seat_id}/user",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Leave the seat without a user; a refresh does not connect anyone to it again",
    responses=problem_responses(404),
)
async def unassign_seat(
    seat_id: SeatId, session: WriteSession, ctx: Ctx, tenant: TenantPrincipal
) -> Response:
    await service.unassign(session, tenant.id, seat_id, now=ctx.clock())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
