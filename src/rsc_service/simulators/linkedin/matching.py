"""LinkedIn's side of candidate matching: synced candidates to members by e-mail, overridden by hand."""

from __future__ import annotations

from typing import Any

from .restli import Key
from .world import World


def algorithmic_matches(world: World, record: dict[str, Any]) -> list[str]:
    """Members whose e-mail address equals one of the candidate's (case-insensitive)."""
    found: list[str] = []
    for email in record.get("emailAddresses") or []:
        member = world.member_by_email(str(email)) if isinstance(email, str) else None
        if member and not member.closed and member.urn not in found:
            found.append(member.urn)
    return found


def linked_member(world: World, record: dict[str, Any]) -> str | None:
    """The member a candidate is linked to: the manual match if set, else the first e-mail match."""
    manual = record.get("manualMatchedMember")
    if isinstance(manual, str) and manual:
        return manual
    matches = algorithmic_matches(world, record)
    return matches[0] if matches else None


def decorate_candidate(world: World, key: Key, record: dict[str, Any]) -> dict[str, Any]:
    """What batch_get answers: the stored record plus the match data."""
    record["matchedMembers"] = algorithmic_matches(world, record)
    record.setdefault("manualMatchedMember", None)
    return record


def candidates_of_member(
    world: World, member_urn: str, organization: str | None = None
) -> list[tuple[Key, dict[str, Any]]]:
    out = []
    for key, record in world.collection("atsCandidates").records.items():
        if organization and dict(key).get("integrationContext") != organization:
            continue
        if linked_member(world, record) == member_urn:
            out.append((key, record))
    return out
