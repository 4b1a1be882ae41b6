"""What an ATS user sees of a candidate's notes and emails: content only with a seat on the contract (R7)."""

from __future__ import annotations

from typing import Any

from rsc_service.simulators.ats.records import Record
from rsc_service.simulators.ats.world import World

_CONTENT = ("body", "subject")


def activity_as_seen_by(world: World, user_id: str, candidate_id: str) -> list[dict[str, Any]]:
    """The candidate's notes and emails, oldest first, with restricted content hidden from this user."""
    world.get("user", user_id)
    world.get("candidate", candidate_id)
    contracts = world.seats.get(user_id, set())
    items = [
        record
        for kind in ("note", "email")
        for record in world.stores[kind].live()
        if record["candidate_id"] == candidate_id
    ]
    items.sort(key=lambda record: (record.get("written_at") or record.get("sent_at") or "", record["id"]))
    return [_visible(record, contracts) for record in items]


def _visible(record: Record, contracts: set[str]) -> dict[str, Any]:
    visibility = record.get("visibility")
    if not visibility or visibility["linkedin_contract"] in contracts:
        return record | {"redacted": False}
    # Users without a seat still see that the item exists and who wrote it, nothing more.
    return record | dict.fromkeys(_CONTENT) | {"redacted": True}
