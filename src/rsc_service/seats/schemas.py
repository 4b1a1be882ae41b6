"""API shapes of seats: the drop-down's list, a refresh's report, ATS users with their seat, an assignment."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rsc_service.seats import matching
from rsc_service.seats.models import Seat
from rsc_service.seats.service import Refreshed, UserSeat, seat_urn


class SeatRead(BaseModel):
    id: int = Field(description="The service's id of the seat, as in /v1/integration/seats/{seat_id}/user")
    seat_urn: str = Field(examples=["urn:li:seat:3001"])
    contract: str = Field(examples=["urn:li:contract:2001"])
    member: str | None = Field(description="The holder's member URN", examples=["urn:li:person:m1001"])
    first_name: str | None
    last_name: str | None
    email: str | None = Field(description="The holder's email, when LinkedIn gives it")
    state: Literal["active", "inactive"] = Field(
        description="inactive: LinkedIn lists the seat in another state, or no longer lists it"
    )
    roles: list[str] = Field(examples=[["ADMIN_SEAT"]])
    ats_user_id: str | None = Field(description="The ATS user connected to the seat")
    assigned_by: Literal["email", "manual"] | None = Field(
        description="email: connected because the user's email is the holder's; manual: by an admin "
        "(with no user: emptied by hand, and a refresh leaves it empty); null: never decided"
    )
    assigned_at: datetime | None
    refreshed_at: datetime = Field(description="When LinkedIn last listed the seat")


class SeatListRead(BaseModel):
    seats: list[SeatRead]


class UnmatchedRead(BaseModel):
    ats_user_id: str
    email: str
    reason: str = Field(
        examples=[matching.NO_HOLDER],
        description=f'"{matching.NO_HOLDER}", "{matching.TAKEN}", "{matching.INACTIVE}" or '
        f'"{matching.LEFT_EMPTY}"',
    )


class RefreshRead(BaseModel):
    listed: int = Field(description="Seats LinkedIn listed on the tenant's contracts")
    active: int = Field(description="Of those, active")
    added: int = Field(description="Seats seen for the first time")
    deactivated: int = Field(
        description="Seats no longer listed, or no longer active, since the last refresh"
    )
    connected: int = Field(description="ATS users connected by email now")
    released: int = Field(
        description="Connections by email that no longer held (user inactive, email changed…)"
    )
    unmatched: list[UnmatchedRead] = Field(description="ATS users left without a seat, and why")


class UserRead(BaseModel):
    ats_user_id: str
    email: str
    first_name: str
    last_name: str
    active: bool
    seat: SeatRead | None
    unmatched_reason: str | None = Field(
        description=f'Why the user holds no seat; "{matching.PENDING}" when the next refresh connects them'
    )


class UserListRead(BaseModel):
    users: list[UserRead]


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ats_user_id: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$", examples=["usr_000001"])


def seat_read(seat: Seat) -> SeatRead:
    return SeatRead(
        id=seat.id,
        seat_urn=seat_urn(seat.seat_id),
        contract=seat.contract_urn,
        member=seat.member_urn,
        first_name=seat.first_name,
        last_name=seat.last_name,
        email=seat.email,
        state="active" if seat.active else "inactive",
        roles=[str(role) for role in seat.roles or []],
        ats_user_id=seat.ats_user_id,
        assigned_by=seat.assigned_by if seat.assigned_by in ("email", "manual") else None,
        assigned_at=seat.assigned_at,
        refreshed_at=seat.refreshed_at,
    )


def refresh_read(report: Refreshed) -> RefreshRead:
    return RefreshRead(
        listed=report.listed,
        active=report.active,
        added=report.added,
        deactivated=report.deactivated,
        connected=report.connected,
        released=report.released,
        unmatched=[
            UnmatchedRead(ats_user_id=u.user.id, email=u.user.email, reason=u.reason)
            for u in report.unmatched
        ],
    )


def user_read(found: UserSeat) -> UserRead:
    user = found.user
    return UserRead(
        ats_user_id=user.id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        active=user.active,
        seat=seat_read(found.seat) if found.seat is not None else None,
        unmatched_reason=found.reason,
    )
