"""Recruiter seats and the ATS users connected to them (docs/onboarding.md#seats).

`refresh()` reads every seat of the tenant's contracts from LinkedIn and every user from the ATS, then, in the
caller's transaction, stores the seats (a seat LinkedIn no longer lists is kept, inactive) and connects each
active ATS user to the unassigned active seat whose holder has the user's email (`matching.py`). An admin's
choice (`assign`, `unassign`) is never overwritten by the automatic one. Network reads come first, before the
first statement on the session, so no transaction is held open while LinkedIn or the ATS answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Final

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.errors import Conflict, NotFound, ServiceError
from rsc_service.integrations.ats import AtsClient, AtsError
from rsc_service.integrations.linkedin import LinkedInApp, LinkedInError, wire
from rsc_service.seats import acl, matching, repository
from rsc_service.seats.matching import EMAIL, MANUAL
from rsc_service.seats.models import Seat
from rsc_service.tenants import ats as tenant_ats
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage, Tenant

log = structlog.get_logger()

PAGE_SIZE: Final = 100
MAX_PAGES: Final = 1000  # 100,000 seats a contract: more means LinkedIn is not paging
# Every state seatsV2 knows; only ACTIVE seats are connected (docs/linkedin.md#retrieval).
STATES: Final = ("ACTIVE", "INACTIVE", "INVITED", "PARKED")
SEAT_URN_PREFIX: Final = "urn:li:seat:"
# From the customer enabling the integration on: seats matter for the initial sync's restricted jobs.
REFRESHED_STAGES: Final = frozenset({Stage.ENABLED, Stage.INITIAL_SYNC, Stage.ACTIVE})


class SeatTaken(Conflict):
    code = "seat_taken"


class UserHasSeat(Conflict):
    code = "user_has_seat"


class SeatInactive(Conflict):
    code = "seat_inactive"


class SeatsChanged(Conflict):
    """The seats changed under a refresh (another refresh or an assignment committed first)."""

    code = "seats_changed"


class NotRefreshed(Conflict):
    """The tenant is in a stage whose seats are not kept (not yet enabled, or deactivated: purged)."""

    code = "wrong_stage"


class UpstreamFailed(ServiceError):
    """LinkedIn or the ATS could not be read; nothing was changed."""

    status = 502
    code = "upstream_failed"


@dataclass(frozen=True)
class ListedSeat:
    """One seat as LinkedIn lists it: seatsV2 for names, state and roles, the older finder for the email."""

    contract_urn: str
    seat_id: str
    member_urn: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    active: bool
    roles: list[str]


@dataclass(frozen=True)
class Listing:
    """What a refresh read: every seat of every contract, and every (not deleted) ATS user."""

    seats: list[ListedSeat]
    users: list[matching.User]


@dataclass
class Refreshed:
    listed: int = 0  # seats LinkedIn listed
    active: int = 0  # of those, active
    added: int = 0  # seats seen for the first time
    deactivated: int = 0  # seats no longer listed (or no longer active) since the last refresh
    connected: int = 0  # ATS users connected by email in this refresh
    released: int = 0  # automatic connections that no longer held (user inactive or gone, email changed…)
    unmatched: list[matching.Unmatched] = field(default_factory=list)
    assignees_owed: int = 0  # ACL assignments owed to LinkedIn because a seat changed hands


@dataclass(frozen=True)
class UserSeat:
    """An ATS user, the seat they hold (if any) and, without one, why."""

    user: matching.User
    seat: Seat | None
    reason: str | None


# ---- reading LinkedIn and the ATS ------------------------------------------------------------------------


def seat_urn(seat_id: str) -> str:
    return f"{SEAT_URN_PREFIX}{seat_id}"


def _seat_id(element: wire.Seat) -> str | None:
    value = element.id if element.id is not None else (element.model_extra or {}).get("seatId")
    if value is None:
        return None
    text = str(value)
    return text.removeprefix(SEAT_URN_PREFIX)


async def _every_page(
    read: Callable[[int], Awaitable[wire.Page[wire.Seat]]], what: str
) -> dict[str, wire.Seat]:
    """Page until a page comes back empty: LinkedIn's seat finders return only 10 without paging, and their
    pages name no next link to follow (docs/linkedin.md#retrieval)."""
    found: dict[str, wire.Seat] = {}
    start = 0
    for _ in range(MAX_PAGES):
        page = await read(start)
        if not page.elements:
            return found
        fresh = 0
        for element in page.elements:
            seat_id = _seat_id(element)
            if seat_id is not None and seat_id not in found:
                found[seat_id] = element
                fresh += 1
        if fresh == 0:  # the same page again: LinkedIn ignored `start`, and the list would never end
            raise UpstreamFailed(f"LinkedIn repeated a page of {what} at start={start}")
        start += len(page.elements)
    raise UpstreamFailed(f"LinkedIn listed more than {MAX_PAGES} pages of {what}")


async def _current(app: LinkedInApp, contract: str, count: int, start: int) -> wire.Page[wire.Seat]:
    return await app.list_seats([contract], states=STATES, start=start, count=count)


async def _holders(app: LinkedInApp, contract: str, count: int, start: int) -> wire.Page[wire.Seat]:
    return await app.list_seats_by_attributes([contract], start=start, count=count)


async def read_seats(
    app: LinkedInApp, contracts: Sequence[str], *, page_size: int = PAGE_SIZE
) -> list[ListedSeat]:
    """Every seat of `contracts` in every state, with the holder's email where LinkedIn gives one."""
    listed: list[ListedSeat] = []
    for contract in contracts:
        current = await _every_page(partial(_current, app, contract, page_size), f"seatsV2 of {contract}")
        holders = await _every_page(partial(_holders, app, contract, page_size), f"seats of {contract}")
        for seat_id in [*current, *(s for s in holders if s not in current)]:
            main, older = current.get(seat_id), holders.get(seat_id)
            seat = main or older
            assert seat is not None
            state_active = (main.state == "ACTIVE") if main is not None and main.state else None
            active = state_active if state_active is not None else bool(older and older.active)
            roles = list(main.seat_roles) if main is not None else (["ADMIN_SEAT"] if seat.admin else [])
            listed.append(
                ListedSeat(
                    contract_urn=contract,
                    seat_id=seat_id,
                    member_urn=seat.member or (older.member if older else None),
                    email=(older.email or None) if older else None,
                    first_name=main.first_name if main else None,
                    last_name=main.last_name if main else None,
                    active=active,
                    roles=roles,
                )
            )
    return listed


async def read_users(ats: AtsClient) -> list[matching.User]:
    """Every ATS user not deleted, in the ATS's order."""
    return [matching.User(u.id, u.email, u.first_name, u.last_name, u.active) async for u in ats.list_users()]


async def read(
    app: LinkedInApp, ats: AtsClient, contracts: Sequence[str], *, page_size: int = PAGE_SIZE
) -> Listing:
    """Both sides, or UpstreamFailed naming the one that failed."""
    try:
        seats = await read_seats(app, contracts, page_size=page_size)
    except LinkedInError as error:
        raise UpstreamFailed(f"LinkedIn could not list the seats: {error}") from error
    return Listing(seats, await users_of(ats))


async def users_of(ats: AtsClient) -> list[matching.User]:
    try:
        return await read_users(ats)
    except AtsError as error:
        raise UpstreamFailed(f"the ATS could not list its users: {error}") from error


async def ats_client(ctx: AppContext, tenant: Tenant) -> AtsClient:
    """The tenant's ATS API client, as every feature builds it (tenants/ats.py): its base URL is checked
    again before the first request, and a refused one fails that request naming the host only
    (docs/architecture.md#16-security)."""
    return await tenant_ats.ats_client(ctx, tenant)


# ---- refreshing ------------------------------------------------------------------------------------------


async def refresh(
    session: AsyncSession,
    tenant: Tenant,
    app: LinkedInApp,
    ats: AtsClient,
    *,
    now: datetime,
    page_size: int = PAGE_SIZE,
) -> Refreshed:
    """Read LinkedIn's seats and the ATS's users, then store and connect them in `session` (flushed, not
    committed). `tenant` must have its contracts loaded; nothing runs on `session` before the reads finish."""
    contracts = [contract.contract_urn for contract in tenant.contracts]
    listing = await read(app, ats, contracts, page_size=page_size)
    return await apply(session, tenant.id, listing, now=now)


def _holders_of(seats: Sequence[Seat]) -> dict[str, str]:
    """ATS user -> the member whose active seat the user holds (what `members()` answers)."""
    return {
        seat.ats_user_id: seat.member_urn
        for seat in seats
        if seat.active and seat.ats_user_id is not None and seat.member_urn is not None
    }


def _state(seat: Seat) -> matching.SeatState:
    return matching.SeatState(seat.id, seat.email, seat.active, seat.ats_user_id, seat.assigned_by)


async def apply(session: AsyncSession, tenant_id: uuid.UUID, listing: Listing, *, now: datetime) -> Refreshed:
    """Store the seats read, mark the ones no longer listed inactive, and connect users by email; 409 (and
    nothing written) unless the tenant is still in a stage whose seats are kept."""
    # A deactivation may have begun, and its purge run, while LinkedIn and the ATS were read: decided under
    # the tenant row's lock, so no seat is written back after the purge (docs/onboarding.md#seats).
    tenant = await tenant_service.get(session, tenant_id)
    await tenant_service.lock_stage(session, tenant)
    if tenant.stage not in REFRESHED_STAGES:
        raise NotRefreshed(f"the tenant is {tenant.stage.value!r}: its seats are not refreshed")
    # After the tenant row, before any seat or outbox row: the order of docs/linkedin.md#job-acls.
    await _changing(session, tenant_id)
    report = Refreshed(listed=len(listing.seats), active=sum(seat.active for seat in listing.seats))
    try:
        rows = list(await repository.list_for_tenant(session, tenant_id, lock=True))
        before = _holders_of(rows)
        stored = {(row.contract_urn, row.seat_id): row for row in rows}
        for seat in listing.seats:
            row = stored.get((seat.contract_urn, seat.seat_id))
            if row is None:
                row = Seat(tenant_id=tenant_id, contract_urn=seat.contract_urn, seat_id=seat.seat_id)
                session.add(row)
                rows.append(row)
                stored[(seat.contract_urn, seat.seat_id)] = row
                report.added += 1
            elif row.member_urn != seat.member_urn and row.ats_user_id is None:
                # A seat emptied by hand was emptied for its holder then; a new holder is matched afresh.
                row.assigned_by = None
            if row.active and not seat.active:
                report.deactivated += 1
            row.member_urn, row.email = seat.member_urn, seat.email
            row.first_name, row.last_name = seat.first_name, seat.last_name
            row.active, row.roles, row.refreshed_at = seat.active, seat.roles, now
        listed = {(seat.contract_urn, seat.seat_id) for seat in listing.seats}
        for row in rows:
            if (row.contract_urn, row.seat_id) not in listed and row.active:
                row.active = False  # kept, with its assignment, for when LinkedIn lists it again
                report.deactivated += 1
        await session.flush()

        plan = matching.plan([_state(row) for row in rows], listing.users)
        by_id = {row.id: row for row in rows}
        for seat_id in plan.release:
            released = by_id[seat_id]
            released.ats_user_id, released.assigned_by, released.assigned_at = None, None, None
        await session.flush()  # released first: a user may be connected to another seat below
        for seat_id, user_id in plan.assign.items():
            connected = by_id[seat_id]
            connected.ats_user_id, connected.assigned_by, connected.assigned_at = user_id, EMAIL, now
        await session.flush()
        report.assignees_owed = await acl.owe_assignees(
            session, tenant_id, acl.changed(before, _holders_of(rows)), now=now
        )
    except IntegrityError as error:
        raise SeatsChanged("the seats changed during the refresh; refresh again") from error
    report.released, report.connected, report.unmatched = len(plan.release), len(plan.assign), plan.unmatched
    log.info(
        "seats.refreshed",
        tenant_id=str(tenant_id),
        listed=report.listed,
        added=report.added,
        deactivated=report.deactivated,
        connected=report.connected,
        released=report.released,
        unmatched=len(report.unmatched),
        assignees_owed=report.assignees_owed,
    )
    return report


# ---- reading and assigning by hand ---------------------------------------------------------------------


async def list_seats(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[Seat]:
    """Every seat of the tenant, assigned or not, active or not, by contract and seat id."""
    return await repository.list_for_tenant(session, tenant_id)


async def users(session: AsyncSession, tenant_id: uuid.UUID, ats: AtsClient) -> list[UserSeat]:
    """Every ATS user (read live from the ATS) with the seat they hold or, without one, why: the reason the
    next refresh would give, or that it would connect them."""
    listed = await users_of(ats)
    seats = await repository.list_for_tenant(session, tenant_id)
    held = {seat.ats_user_id: seat for seat in seats if seat.ats_user_id is not None}
    plan = matching.plan([_state(seat) for seat in seats], listed)
    reasons = {unmatched.user.id: unmatched.reason for unmatched in plan.unmatched}
    connecting = set(plan.assign.values())
    return [
        UserSeat(
            user,
            held.get(user.id),
            None
            if user.id in held
            else matching.PENDING
            if user.id in connecting
            else reasons.get(user.id, matching.NO_HOLDER),
        )
        for user in listed
    ]


async def _changing(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Take the tenant's seat holders for a change, until the transaction ends: a push reading them for a
    restricted job's ACL assignees waits for the change to commit, or the change waits for the push, and
    whichever goes second sees what the first wrote (docs/linkedin.md#job-acls)."""
    await repository.hold_holders(session, tenant_id, exclusive=True)


async def _seat(session: AsyncSession, tenant_id: uuid.UUID, seat_id: int) -> Seat:
    await _changing(session, tenant_id)  # first, before the seat's row lock (docs/linkedin.md#job-acls)
    seat = await repository.find(session, tenant_id, seat_id, lock=True)
    if seat is None:  # another tenant's seat is as absent as one that never existed
        raise NotFound(f"no seat {seat_id}")
    return seat


async def assign(
    session: AsyncSession, tenant_id: uuid.UUID, seat_id: int, ats_user_id: str, *, now: datetime
) -> Seat:
    """Connect `ats_user_id` to the seat by hand. A seat held by another user, or a user holding another seat,
    is a 409: the admin unassigns first (nobody is moved silently). Assigning the seat's own user again makes
    the connection manual, so no refresh ends it."""
    seat = await _seat(session, tenant_id, seat_id)
    before = _holders_of([seat])
    if seat.ats_user_id is not None and seat.ats_user_id != ats_user_id:
        raise SeatTaken(f"seat {seat_id} is assigned to another user; unassign it first")
    if not seat.active:
        raise SeatInactive(f"seat {seat_id} is not active on LinkedIn")
    other = await repository.held_by(session, tenant_id, ats_user_id)
    if other is not None and other.id != seat.id:
        raise UserHasSeat(f"the user holds seat {other.id}; unassign it first")
    seat.ats_user_id, seat.assigned_by, seat.assigned_at = ats_user_id, MANUAL, now
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:  # the user was given another seat meanwhile (the unique user constraint)
        raise UserHasSeat("the user holds another seat; unassign it first") from error
    await acl.owe_assignees(session, tenant_id, acl.changed(before, _holders_of([seat])), now=now)
    return seat


async def unassign(session: AsyncSession, tenant_id: uuid.UUID, seat_id: int, *, now: datetime) -> None:
    """Empty the seat by hand: it stays empty until an admin assigns it (a refresh does not refill it) or
    LinkedIn gives it to another holder."""
    seat = await _seat(session, tenant_id, seat_id)
    before = _holders_of([seat])
    seat.ats_user_id, seat.assigned_by, seat.assigned_at = None, MANUAL, now
    await session.flush()
    await acl.owe_assignees(session, tenant_id, acl.changed(before, {}), now=now)


async def holder(session: AsyncSession, tenant_id: uuid.UUID, seat: str) -> Seat | None:
    """The tenant's seat LinkedIn names `seat` (`urn:li:seat:…` or its id), with its connected ATS user."""
    return await repository.by_linkedin_id(session, tenant_id, seat.removeprefix(SEAT_URN_PREFIX))


async def connected_seat(session: AsyncSession, tenant_id: uuid.UUID, ats_user_id: str) -> Seat | None:
    """The active seat `ats_user_id` is connected to, if any."""
    seat = await repository.held_by(session, tenant_id, ats_user_id)
    return seat if seat is not None and seat.active else None


# ---- for the push ----------------------------------------------------------------------------------------


async def hold_holders(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Take a reader's turn on the tenant's seat holders until the transaction ends, as `members()` does: for
    a transaction that locks outbox rows before it may read them (docs/linkedin.md#job-acls)."""
    await repository.hold_holders(session, tenant_id, exclusive=False)


async def members(session: AsyncSession, tenant_id: uuid.UUID, ats_user_ids: Sequence[str]) -> dict[str, str]:
    """ATS user id -> member URN (`urn:li:person:…`) of those of `ats_user_ids` holding an active seat: the
    assignees of a restricted job's ACLs (docs/linkedin.md#job-acls). Read in the reader's turn, held until
    the transaction ends: a change of holders under way commits first, and one after waits for the ACL rows
    this transaction owes."""
    if not ats_user_ids:
        return {}
    await hold_holders(session, tenant_id)
    return await repository.members(session, tenant_id, ats_user_ids)
