"""Which ATS user gets which seat by email, and why the others get none (docs/onboarding.md#seats).

Pure: it takes the seats as stored and the ATS's users, and returns what to change. An automatic (`email`)
assignment that no longer holds is released; a seat decided by hand (`manual`, held or deliberately left
empty) is never touched; a user holds at most one seat.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

EMAIL: Final = "email"  # connected automatically: the user's email equals the seat holder's
MANUAL: Final = "manual"  # decided by an admin: assigned, or emptied on purpose

# Why an ATS user holds no seat.
NO_HOLDER: Final = "no seat holder with this email"
TAKEN: Final = "the matching seat is assigned to another user"
INACTIVE: Final = "user inactive"
LEFT_EMPTY: Final = "the matching seat was unassigned by hand"
PENDING: Final = "the matching seat is connected at the next refresh"


@dataclass(frozen=True)
class SeatState:
    """What matching needs of a stored seat."""

    id: int
    email: str | None
    active: bool
    ats_user_id: str | None
    assigned_by: str | None


@dataclass(frozen=True)
class User:
    """An ATS user as the ATS lists them."""

    id: str
    email: str
    first_name: str
    last_name: str
    active: bool


@dataclass(frozen=True)
class Unmatched:
    user: User
    reason: str


@dataclass
class Plan:
    release: list[int] = field(default_factory=list)  # seat ids whose automatic assignment ends
    assign: dict[int, str] = field(default_factory=dict)  # seat id -> ATS user id, connected by email
    unmatched: list[Unmatched] = field(default_factory=list)


def normalized(email: str | None) -> str:
    """Emails compare trimmed and case-insensitively."""
    return (email or "").strip().casefold()


def _still_holds(seat: SeatState, users: dict[str, User]) -> bool:
    user = users.get(seat.ats_user_id or "")
    return (
        seat.active
        and user is not None
        and user.active
        and bool(normalized(seat.email))
        and normalized(user.email) == normalized(seat.email)
    )


def plan(seats: Iterable[SeatState], users: Sequence[User]) -> Plan:
    """Release the automatic assignments that no longer hold, then give every active user without a seat the
    first unassigned active seat (by id) whose holder has the user's email. Users are taken in the order
    given, so of two users with one email the first listed gets the seat."""
    by_user = {user.id: user for user in users}
    result = Plan()
    held: set[str] = set()
    free: set[int] = set()
    by_email: dict[str, list[SeatState]] = {}
    for seat in sorted(seats, key=lambda s: s.id):
        if seat.assigned_by == EMAIL and seat.ats_user_id is not None and not _still_holds(seat, by_user):
            result.release.append(seat.id)
            seat = SeatState(seat.id, seat.email, seat.active, None, None)
        if seat.ats_user_id is not None:
            held.add(seat.ats_user_id)
        elif seat.assigned_by != MANUAL:
            free.add(seat.id)
        if seat.active and normalized(seat.email):
            by_email.setdefault(normalized(seat.email), []).append(seat)
    for user in users:
        if user.id in held:
            continue
        if not user.active:
            result.unmatched.append(Unmatched(user, INACTIVE))
            continue
        matching = by_email.get(normalized(user.email), []) if normalized(user.email) else []
        chosen = next((seat for seat in matching if seat.id in free), None)
        if chosen is not None:
            free.discard(chosen.id)
            held.add(user.id)
            result.assign[chosen.id] = user.id
        elif not matching:
            result.unmatched.append(Unmatched(user, NO_HOLDER))
        elif any(seat.ats_user_id is None and seat.assigned_by == MANUAL for seat in matching):
            result.unmatched.append(Unmatched(user, LEFT_EMPTY))
        else:
            result.unmatched.append(Unmatched(user, TAKEN))
    return result
