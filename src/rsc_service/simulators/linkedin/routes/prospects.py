"""Recruiter prospect interactions (CSA_API, contract-scoped): seats, InMails, mail stubs, prospect notes."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from starlette.responses import Response

from ..batch import page
from ..call import Call, routes
from ..errors import RestliError
from ..models import Seat

HOUR_MS = 3_600_000
# seats, seatsV2 (/v2 and /rest), conversationEvents, mailStubs and prospectNotes share one daily budget
# (docs/linkedin.md#throttles).
PROSPECT_GROUP = "prospect"
INTEGER = re.compile(r"-?[0-9]+")


def _contracts(call: Call, name: str) -> list[str]:
    contracts = call.query.values(name)
    if not contracts:
        raise RestliError(400, f"The {name} parameter is required")
    for contract in contracts:
        call.check_context(contract, "seats")
    return contracts


def _ms(call: Call, value: str | None, name: str) -> int | None:
    """A time parameter: epoch milliseconds (docs/linkedin.md#values), checked as time fields are."""
    if value is None or value == "":
        return None
    if not INTEGER.fullmatch(value):
        raise RestliError(400, f"Invalid value of parameter {name}: {value!r} is not epoch milliseconds")
    reason = call.world.config.times.reason(int(value))
    if reason:
        raise RestliError(400, f"Invalid value of parameter {name}: {reason}")
    return int(value)


def _seat_urn_ids(call: Call, name: str) -> list[int]:
    out = []
    for urn in call.query.values(name):
        if not urn.startswith("urn:li:seat:"):
            raise RestliError(400, f"{name} must be seat URNs")
        try:
            out.append(int(urn.rsplit(":", 1)[1]))
        except ValueError as exc:
            raise RestliError(400, f"{name} must be seat URNs") from exc
    return out


def _seat_v1(call: Call, seat: Seat) -> dict[str, Any]:
    member = call.world.members.get(seat.member)
    return {
        "id": seat.seat_id,
        "contract": seat.contract,
        "member": f"urn:li:person:{seat.member}",
        "active": seat.state == "ACTIVE",
        "admin": "ADMIN_SEAT" in seat.roles,
        "email": member.emails[0] if member and member.emails else None,
    }


def _seat_v2(call: Call, seat: Seat) -> dict[str, Any]:
    member = call.world.members.get(seat.member)
    return {
        "id": seat.seat_id,
        "firstName": member.first_name if member else None,
        "lastName": member.last_name if member else None,
        "contract": seat.contract,
        "member": f"urn:li:person:{seat.member}",
        "state": seat.state,
        "seatRoles": list(seat.roles),
        "created": {"time": seat.created_at},
    }


def _project(call: Call, element: dict[str, Any]) -> dict[str, Any]:
    fields = call.query.get("fields")
    if not fields:
        return element
    wanted = {f.strip() for f in fields.split(",")}
    return {k: v for k, v in element.items() if k in wanted}


@routes.add("v2", "seats", {"finder"})
async def seats(call: Call) -> Response:
    if call.query.get("q") != "seatsByAttributes":
        raise RestliError(400, "seats supports the finder q=seatsByAttributes")
    contracts = _contracts(call, "contracts")
    active = call.query.get("active")
    call.charge(PROSPECT_GROUP)
    found = [s for s in call.world.seats.values() if s.contract in contracts]
    if active is not None:
        found = [s for s in found if (s.state == "ACTIVE") == (active.lower() == "true")]
    return page(call, [_project(call, _seat_v1(call, s)) for s in found])


@routes.add("v2", "seatsV2", {"finder"})
@routes.add("rest", "seatsV2", {"finder"})
async def seats_v2(call: Call) -> Response:
    if call.query.get("q") != "attributes":
        raise RestliError(400, "seatsV2 supports the finder q=attributes")
    if call.query.get("start") is None:
        raise RestliError(400, "The start parameter is required")
    contracts = _contracts(call, "contracts")
    states = set(call.query.values("states"))
    call.charge(PROSPECT_GROUP)
    found = [
        s for s in call.world.seats.values() if s.contract in contracts and (not states or s.state in states)
    ]
    elements = [_seat_v2(call, s) for s in found]
    if call.versioned:
        for element in elements:
            element["seatId"] = element.pop("id")
            element["createdAt"] = {"actor": element["member"], "time": element.pop("created")["time"]}
    return page(call, [_project(call, e) for e in elements], call.world.config.seats_v2_default_count)


@routes.add("v2", "conversationEvents", {"finder"})
async def conversation_events(call: Call) -> Response:
    if call.query.get("q") != "criteria":
        raise RestliError(400, "conversationEvents supports the finder q=criteria")
    viewer = _seat_urn_ids(call, "viewer")
    if len(viewer) != 1:
        raise RestliError(400, "The viewer parameter (one seat URN) is required")
    seat = call.world.seats.get(viewer[0])
    if seat is None:
        raise RestliError(404, f"Seat {viewer[0]} not found")
    call.check_context(seat.contract, "conversationEvents")
    window = call.query.record("timeRange")
    start = _ms(call, window.get("start"), "timeRange.start")
    end = _ms(call, window.get("end"), "timeRange.end") or call.world.clock.now_ms()
    limit_ms = int(call.world.config.conversation_window_hours * HOUR_MS)
    if start is None:
        start = end - limit_ms
    if end - start > limit_ms:
        raise RestliError(
            400, f"The time range must not be longer than {call.world.config.conversation_window_hours} hours"
        )
    call.charge(PROSPECT_GROUP)
    events = [
        {
            "id": e.event_id,
            "thread": e.thread,
            "seat": f"urn:li:seat:{e.seat}",
            "member": f"urn:li:person:{e.member}",
            "direction": e.direction,
            "subject": e.subject,
            "body": e.body,
            "createdAt": e.at,
        }
        for e in call.world.conversation_events
        if e.seat == seat.seat_id and start <= e.at < end
    ]
    # 12 records per member per minute (docs/linkedin.md#throttles): the page returned is what counts,
    # per member the events are with; a page over the budget is answered 429 (see Throttle.charge_members).
    first, count = call.start_count()
    returned = Counter(str(e["member"]) for e in events[first : first + count])
    call.world.throttle.charge_members(call.caller.app.client_id, returned, call.world.now())
    return page(call, events)


@routes.add("v2", "mailStubs", {"finder"})
async def mail_stubs(call: Call) -> Response:
    if call.query.get("q") != "contract":
        raise RestliError(400, "mailStubs supports the finder q=contract")
    contract = _contracts(call, "contract")[0]
    owners = _seat_urn_ids(call, "owners")
    start = _ms(call, call.query.get("createdDateStart"), "createdDateStart")
    end = _ms(call, call.query.get("createdDateEnd"), "createdDateEnd")
    call.charge(PROSPECT_GROUP)
    found = [
        s
        for s in call.world.mail_stubs
        if s.contract == contract
        and (not owners or s.owner in owners)
        and (start is None or s.created_at >= start)
        and (end is None or s.created_at < end)
    ]
    if len(found) > call.world.config.mail_stub_result_ceiling:
        raise RestliError(400, "The query matches too many results; narrow the filters")
    elements = [
        {
            "id": s.stub_id,
            "contract": s.contract,
            "owner": f"urn:li:seat:{s.owner}",
            "member": f"urn:li:person:{s.member}",
            "firstName": s.first_name,
            "lastName": s.last_name,
            "emailAddress": s.email,
            "phoneNumbers": [{"number": s.phone}] if s.phone else [],
            "createdAt": s.created_at,
        }
        for s in found
    ]
    return page(call, elements)


@routes.add("v2", "prospectNotes", {"finder"})
async def prospect_notes(call: Call) -> Response:
    if call.query.get("q") != "criteria":
        raise RestliError(400, "prospectNotes supports the finder q=criteria")
    contract = _contracts(call, "contract")[0]
    owners = _seat_urn_ids(call, "owners")
    # beforeDate is the inclusive upper bound, cutoffDate the exclusive lower one, at most 12 hours apart
    # (docs/linkedin.md#retrieval). Defaults are not published; as for conversationEvents, a missing upper
    # bound is now and a missing lower bound the longest window before the upper one, so the window holds
    # whichever bounds are given.
    cutoff = _ms(call, call.query.get("cutoffDate"), "cutoffDate")
    before = _ms(call, call.query.get("beforeDate"), "beforeDate")
    limit_ms = int(call.world.config.prospect_notes_window_hours * HOUR_MS)
    if before is None:
        before = call.world.clock.now_ms()
    if cutoff is None:
        cutoff = before - limit_ms
    if before - cutoff > limit_ms:
        raise RestliError(
            400, f"The window must not be longer than {call.world.config.prospect_notes_window_hours} hours"
        )
    call.charge(PROSPECT_GROUP)
    found = [
        n
        for n in call.world.prospect_notes.values()
        if n.contract == contract and (not owners or n.owner in owners) and cutoff < n.last_modified <= before
    ]
    elements = [
        {
            "id": n.note_id,
            "contract": n.contract,
            "owner": f"urn:li:seat:{n.owner}",
            "prospect": f"urn:li:person:{n.member}",
            "note": n.note,
            "created": n.created,
            "lastModified": n.last_modified,
            "active": n.active,
        }
        for n in sorted(found, key=lambda n: n.last_modified)
    ]
    return page(call, elements)
