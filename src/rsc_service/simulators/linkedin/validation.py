"""Field rules LinkedIn documents for synced records, as Rest.li-style validation messages."""

from __future__ import annotations

import re
from typing import Any

from .resource import missing
from .schemas import utf16_length

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INTERVIEW_TYPES = {"PHONE_SCREEN", "ONSITE"}
JOB_STATES = {"LISTED", "CLOSED"}
AVAILABILITIES = {"PUBLIC", "PRIVATE_TO_ATS_INTEGRATION"}  # the only two LinkedIn documents
JOB_TITLE_MAX = 200
JOB_DESCRIPTION_MAX = 25_000


def _message(path: str, text: str) -> str:
    return f"ERROR :: /{path} :: {text}"


def _timestamps(record: dict[str, Any], created: str, modified: str | None) -> list[str]:
    problems = []
    for name in (created, modified):
        if name is None or record.get(name) is None:
            continue
        value = record[name]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            problems.append(_message(name, f"{value!r} must be a positive epoch time in milliseconds"))
    if (
        modified
        and not problems
        and isinstance(record.get(created), int)
        and isinstance(record.get(modified), int)
        and record[modified] < record[created]
    ):
        problems.append(_message(modified, f"must not be earlier than {created}"))
    return problems


def _non_empty(record: dict[str, Any], *names: str) -> list[str]:
    return [
        _message(n, "length must be at least 1")
        for n in names
        if isinstance(record.get(n), str) and not record[n].strip()
    ]


def _actor(record: dict[str, Any], name: str) -> list[str]:
    actor = record.get(name)
    if actor is None:
        return []
    if not isinstance(actor, dict):
        return [_message(name, "must be an Actor record")]
    return [
        _message(f"{name}/{f}", "field is required but not found and has no default value")
        for f in ("firstName", "lastName")
        if not actor.get(f)
    ]


def candidate(record: dict[str, Any]) -> list[str]:
    problems = missing(record, "atsCreatedAt", "atsLastModifiedAt", "firstName", "addresses", "phoneNumbers")
    problems += _timestamps(record, "atsCreatedAt", "atsLastModifiedAt") + _non_empty(record, "firstName")
    emails = record.get("emailAddresses")
    # Required unless a person URN or profile link is given (docs/linkedin.md#candidates); an empty array
    # gives LinkedIn nothing to match by, so it counts as missing.
    if not emails and not record.get("linkedInProfileUrl") and not record.get("manualMatchedMember"):
        problems.append(
            _message("emailAddresses", "at least one is required when no person URN or profile URL is given")
        )
    for index, email in enumerate(emails or []):
        if not isinstance(email, str) or not EMAIL.match(email):
            problems.append(_message(f"emailAddresses/{index}", f"{email!r} is not a valid email address"))
    for name in ("addresses", "phoneNumbers"):
        if name in record and record[name] is not None and not isinstance(record[name], list):
            problems.append(_message(name, "must be an array"))
    return problems


def application(record: dict[str, Any]) -> list[str]:
    problems = missing(record, "atsCreatedAt", "atsLastModifiedAt", "atsJobPostingId", "atsJobPostingName")
    problems += _timestamps(record, "atsCreatedAt", "atsLastModifiedAt")
    problems += _non_empty(record, "atsJobPostingId", "atsJobPostingName", "firstName")
    email = record.get("candidateEmail")
    if email is not None and (not isinstance(email, str) or not EMAIL.match(email)):
        problems.append(_message("candidateEmail", f"{email!r} is not a valid email address"))
    return problems


def note(record: dict[str, Any]) -> list[str]:
    return _timestamps(record, "atsCreatedAt", None) + _actor(record, "author")


def interview_feedback(record: dict[str, Any]) -> list[str]:
    problems = _timestamps(record, "atsCreatedAt", None) + _actor(record, "interviewer")
    kind = record.get("interviewType")
    if kind is not None and kind not in INTERVIEW_TYPES:
        problems.append(_message("interviewType", f"{kind!r} is not one of {sorted(INTERVIEW_TYPES)}"))
    for index, evaluation in enumerate(record.get("evaluations") or []):
        if not isinstance(evaluation, dict):
            problems.append(_message(f"evaluations/{index}", "must be an InterviewEvaluation record"))
    return problems


def stage(record: dict[str, Any]) -> list[str]:
    problems = missing(record, "atsCreatedAt", "stage") + _timestamps(record, "atsCreatedAt", None)
    value = record.get("stage")
    if isinstance(value, str) and (not value.strip() or value.strip() == "Not Available"):
        problems.append(_message("stage", f"{value!r} is not an allowed stage name"))
    return problems


def job(record: dict[str, Any]) -> list[str]:
    """LinkedIn's rules for a job that passed the schema (schemas.JOB has the required fields)."""
    problems = []
    title = record.get("title")
    if isinstance(title, str) and (length := utf16_length(title)) > JOB_TITLE_MAX:
        problems.append(_message("title", f"length {length} is more than the maximum {JOB_TITLE_MAX}"))
    description = record.get("description")
    if isinstance(description, str) and (length := utf16_length(description)) > JOB_DESCRIPTION_MAX:
        problems.append(
            _message("description", f"length {length} is more than the maximum {JOB_DESCRIPTION_MAX}")
        )
    state = record.get("state")
    if state is not None and state not in JOB_STATES:
        problems.append(_message("state", f"{state!r} is not one of {sorted(JOB_STATES)}"))
    availability = record.get("availability")
    if availability is not None and availability not in AVAILABILITIES:
        problems.append(_message("availability", f"{availability!r} is not an allowed availability"))
    if not record.get("location") and not (record.get("countryCode") and record.get("postalCode")):
        problems.append(_message("location", "location, or countryCode and postalCode, is required"))
    listed = record.get("listedAt")
    if isinstance(listed, int) and listed <= 0:
        problems.append(_message("listedAt", f"{listed!r} must be a positive epoch time in milliseconds"))
    # Only basic jobs may be posted through RSC (docs/linkedin.md#jobs).
    if record.get("listingType") == "PREMIUM":
        problems.append(_message("listingType", "only BASIC (non-premium) jobs may be posted through RSC"))
    return problems
