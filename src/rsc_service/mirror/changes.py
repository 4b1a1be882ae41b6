"""Change: one ATS record as it now stands, or its deletion — what the mirror is updated with. Pure.

The webhook route makes one from each event and reconcile from each record the ATS lists; from there on
both take the same path (docs/architecture.md#flows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import BaseModel

from rsc_service.db.base import LONE_SURROGATE, NUL
from rsc_service.integrations.ats import wire as ats

# What a deletion carries, per kind: the record's id and version and the ids of its parents.
_TOMBSTONES: Final[dict[str, type[BaseModel]]] = {
    "user": ats.UserTombstone,
    "job": ats.JobTombstone,
    "candidate": ats.CandidateTombstone,
    "application": ats.ApplicationTombstone,
    "note": ats.NoteTombstone,
    "interview_feedback": ats.InterviewFeedbackTombstone,
}

Listed = ats.User | ats.Job | ats.Candidate | ats.Application | ats.Note | ats.InterviewFeedback

# What the mirror's columns hold: ids up to 200 characters, versions in a 32-bit integer, a time whose UTC
# falls in the years 1 to 9999 (a timestamp column holds UTC; `9999-12-31T23:59:59-23:59` is a valid time
# past it); and no string anywhere may hold a NUL, which PostgreSQL cannot store in text or JSON.
MAX_ID: Final = 200
MAX_VERSION: Final = 2**31 - 1
EARLIEST: Final = datetime.min.replace(tzinfo=UTC)
LATEST: Final = datetime.max.replace(tzinfo=UTC)
# Ids the mirror stores or indexes: a note's author and a feedback's interviewer are found by them when the
# user changes (ix_ats_records_user), and an index entry has a size limit.
_IDS: Final = ("id", "candidate_id", "job_id", "application_id", "author_user_id", "interviewer_user_id")


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    ats_id: str
    version: int
    deleted: bool
    data: dict[str, Any]  # the record as JSON; for a deletion only its tombstone
    occurred_at: datetime
    candidate_id: str | None = None
    job_id: str | None = None
    application_id: str | None = None
    # Read from a webhook event (the record under "data", the time in "occurred_at") rather than from a
    # list (the time is the record's updated_at, or deleted_at): where unstorable() finds each value.
    in_event: bool = False

    @classmethod
    def of(
        cls, record: BaseModel, *, kind: str, deleted: bool, occurred_at: datetime, in_event: bool
    ) -> Change:
        data = record.model_dump(mode="json")
        return cls(
            kind=kind,
            ats_id=data["id"],
            version=data["version"],
            deleted=deleted,
            data=data,
            occurred_at=occurred_at,
            candidate_id=data.get("candidate_id"),
            job_id=data.get("job_id"),
            application_id=data.get("application_id"),
            in_event=in_event,
        )


def from_event(event: ats.WebhookEvent) -> Change:
    return Change.of(
        event.data, kind=event.data.kind, deleted=event.deleted, occurred_at=event.occurred_at, in_event=True
    )


def from_listed(record: Listed) -> Change:
    """A record as the ATS lists it: a deletion (with `include_deleted`) carries only its tombstone, as the
    `*.deleted` webhook would."""
    if record.deleted_at is None:
        return Change.of(
            record, kind=record.kind, deleted=False, occurred_at=record.updated_at, in_event=False
        )
    tombstone = _TOMBSTONES[record.kind].model_validate(record.model_dump())
    return Change.of(tombstone, kind=record.kind, deleted=True, occurred_at=record.deleted_at, in_event=False)


def storable_time(moment: datetime) -> bool:
    """Whether a timestamp column can hold `moment`: its UTC falls in the years 1 to 9999."""
    return EARLIEST <= moment <= LATEST


def unstorable(change: Change, *, nul: bool = True) -> list[tuple[str, str]]:
    """(field path, reason) for each value the mirror could not store; [] when it can.

    Paths are in what the change was read from: the webhook event (`occurred_at`, `data.id`) or the listed
    record (`updated_at` or `deleted_at`, `id`). `nul=False` skips the walk for NUL characters when the
    caller already knows there is none (the webhook route looks for the JSON escape in the raw body first).
    """
    within = "data." if change.in_event else ""  # where the record's own values are
    problems = [
        (within + name, f"longer than {MAX_ID} characters")
        for name in _IDS
        if isinstance(change.data.get(name), str) and len(change.data[name]) > MAX_ID
    ]
    if change.version > MAX_VERSION:
        problems.append((within + "version", f"larger than {MAX_VERSION}"))
    if not storable_time(change.occurred_at):
        reason = f"not a time from {EARLIEST.date()} to {LATEST.date()} in UTC"
        problems.append((_time_field(change), reason))
    if nul:
        problems += [(within + path, reason) for path, reason in _text_problems(change.data, "")]
    return problems


def _time_field(change: Change) -> str:
    """Where the change's time was read (`from_event`, `from_listed`)."""
    if change.in_event:
        return "occurred_at"
    return "deleted_at" if change.deleted else "updated_at"


def _text_problem(text: str) -> str | None:
    if NUL in text:
        return "contains a NUL character"
    if LONE_SURROGATE.search(text):  # JSON's escapes can carry one (an ATS's list did); UTF-8 cannot
        return "contains a lone surrogate, which is not text"
    return None


def text_problems(value: Any) -> list[tuple[str, str]]:
    """(dotted path, reason) of each string, or key, in a JSON value that no text column or JSON document
    can hold (a NUL, a lone surrogate)."""
    return _text_problems(value, "")


def _text_problems(value: Any, path: str) -> list[tuple[str, str]]:
    """(path, reason) of each string, or key, that no text column or JSON document can hold."""
    if isinstance(value, str):
        reason = _text_problem(value)
        return [(path, reason)] if reason else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            reason = _text_problem(str(key))
            found += [(where, reason)] if reason else []
            found += _text_problems(item, where)
        return found
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in _text_problems(item, f"{path}.{i}")]
    return []
