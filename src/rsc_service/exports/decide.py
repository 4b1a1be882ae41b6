"""What an export becomes, from what LinkedIn's export and our mirror say; no I/O (docs/exports.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

DEFAULT_SOURCE: Final = "LinkedIn (Prospecting)"
# LinkedIn's allowance: 300 One-Click Exports per seat per calendar month (docs/linkedin.md#retrieval).
PER_SEAT_PER_MONTH: Final = 300
EXTERNAL_ID_PREFIX: Final = "linkedin-export:"

# "Staff Engineer at Acme Robotics", "Staff Engineer @ Acme Robotics": the title, then the employer.
_AT = re.compile(r"\s+(?:at|@)\s+", re.IGNORECASE)


def month_of(at: datetime) -> str:
    """The calendar month (UTC) an export counts against."""
    return at.astimezone(UTC).strftime("%Y-%m")


def title_and_company(headline: str | None) -> tuple[str | None, str | None]:
    """The current title and employer a member's headline names; the headline as title when it names no
    employer."""
    text = " ".join((headline or "").split())
    if not text:
        return None, None
    parts = _AT.split(text, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0][:200], parts[1][:200]
    return text[:200], None


def _same(left: object, right: object) -> bool:
    return (
        isinstance(left, str)
        and isinstance(right, str)
        and left.strip().casefold() == right.strip().casefold()
    )


def likely_same_person(
    first_name: str, last_name: str, title: str | None, company: str | None, candidate: Mapping[str, Any]
) -> bool:
    """An ATS candidate with the same name and the same current employer or title: likely the member, for a
    person to merge (never merged here)."""
    if not (_same(first_name, candidate.get("first_name")) and _same(last_name, candidate.get("last_name"))):
        return False
    return (company is not None and _same(company, candidate.get("current_company"))) or (
        title is not None and _same(title, candidate.get("current_title"))
    )


def visible_to(job: Mapping[str, Any], ats_user_id: str | None) -> bool:
    """Whether the exporting user may see the job: any user an unrestricted one, the hiring team a
    restricted one."""
    if not job.get("restricted"):
        return True
    team = {member.get("user_id") for member in job.get("hiring_team") or [] if isinstance(member, Mapping)}
    return ats_user_id is not None and ats_user_id in team


def external_id(request_id: str) -> str:
    """What the ATS keys the export's writes by, so a repeated try writes nothing twice."""
    return f"{EXTERNAL_ID_PREFIX}{request_id}"[:200]
