"""Change: one ATS record as it now stands, or its deletion — what the mirror is updated with. Pure.

The webhook route makes one from each event and reconcile from each record the ATS lists; from there on
both take the same path (docs/architecture.md#flows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel

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

# What the mirror's columns hold: ids up to 200 characters, versions in a 32-bit integer; and no string
# anywhere may hold a NUL, which PostgreSQL cannot store in text or JSON.
MAX_ID: Final = 200
MAX_VERSION: Final = 2**31 - 1
_IDS: Final = ("id", "candidate_id", "job_id", "application_id")


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

    @classmethod
    def of(cls, record: BaseModel, *, kind: str, deleted: bool, occurred_at: datetime) -> Change:
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
        )


def from_event(event: ats.WebhookEvent) -> Change:
    return Change.of(event.data, kind=event.data.kind, deleted=event.deleted, occurred_at=event.occurred_at)


def from_listed(record: Listed) -> Change:
    """A record as the ATS lists it: a deletion (with `include_deleted`) carries only its tombstone, as the
    `*.deleted` webhook would."""
    if record.deleted_at is None:
        return Change.of(record, kind=record.kind, deleted=False, occurred_at=record.updated_at)
    tombstone = _TOMBSTONES[record.kind].model_validate(record.model_dump())
    return Change.of(tombstone, kind=record.kind, deleted=True, occurred_at=record.deleted_at)


def unstorable(change: Change, *, nul: bool = True) -> list[tuple[str, str]]:
    """(field path in the record, reason) for each value the mirror could not store; [] when it can.

    `nul=False` skips the walk for NUL characters when the caller already knows there is none (the webhook
    route looks for the JSON escape in the raw body first).
    """
    problems = [
        (name, f"longer than {MAX_ID} characters")
        for name in _IDS
        if isinstance(change.data.get(name), str) and len(change.data[name]) > MAX_ID
    ]
    if change.version > MAX_VERSION:
        problems.append(("version", f"larger than {MAX_VERSION}"))
    if nul:
        problems += [(path, "contains a NUL character") for path in _nul_paths(change.data, "")]
    return problems


def _nul_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        found = [path + "." + str(key) if path else str(key) for key in value if "\x00" in str(key)]
        for key, item in value.items():
            found += _nul_paths(item, f"{path}.{key}" if path else str(key))
        return found
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in _nul_paths(item, f"{path}.{i}")]
    return []
