"""Our copy of the ATS: each change stored unless we hold a newer version, deletions kept as tombstones.

The mirror says what changed and nothing about LinkedIn: `store()` returns the records a change touched
(the record, and the children a deletion took with it), and the push decides what LinkedIn is owed
(docs/architecture.md#2-the-mirror).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.mirror import repository
from rsc_service.mirror.changes import Change
from rsc_service.mirror.models import EMBEDDED_USER_FIELDS, AtsRecord
from rsc_service.mirror.unit import MirrorUnit, NewRecord, ParentField, Record

_CASCADES: dict[str, ParentField] = {"candidate": "candidate_id", "application": "application_id"}
_EMBEDDED: dict[str, ParentField] = {"job": "job_id", "candidate": "candidate_id"}
_NAMING_USERS = frozenset({"note", "interview_feedback"})
# How many of the notes and feedback a user wrote one change of the user owes again: a bound on the work of
# one webhook (docs/architecture.md#2-the-mirror).
EMBEDDING_USER_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Stored:
    """What one change did: the record as now stored, and the live children its deletion tombstoned."""

    record: Record
    cascaded: Sequence[Record] = ()


def user_ids(data: Mapping[str, Any]) -> set[str]:
    """The ATS users a record names (note authors, interviewers, a job's hiring team)."""
    found = {data.get(field) for field in EMBEDDED_USER_FIELDS}
    found |= {member.get("user_id") for member in data.get("hiring_team") or []}
    return {user for user in found if isinstance(user, str)}


async def load_for(unit: MirrorUnit, tenant_id: uuid.UUID, changes: Sequence[Change]) -> None:
    """Read in bulk what storing `changes` and describing them looks up: the records, their parents, the
    applications that embed them, the children a deletion cascades to, and the users they name."""
    keys: set[tuple[str, str]] = set()
    under: dict[ParentField, set[str]] = {"candidate_id": set(), "job_id": set(), "application_id": set()}
    for change in changes:
        keys.add((change.kind, change.ats_id))
        keys |= set(_parents(change.candidate_id, change.job_id, change.application_id))
        keys |= {("user", user) for user in user_ids(change.data)}
        if change.kind in _EMBEDDED:
            under[_EMBEDDED[change.kind]].add(change.ats_id)
        elif change.kind == "application" and change.deleted:
            under["application_id"].add(change.ats_id)
    await unit.load(tenant_id, keys, under)
    around: set[tuple[str, str]] = set()
    for record in unit.loaded(tenant_id):
        around |= set(_parents(record.candidate_id, record.job_id, None))
        around |= {("user", user) for user in user_ids(record.data)}
    await unit.load(tenant_id, around)


def _parents(
    candidate_id: str | None, job_id: str | None, application_id: str | None
) -> list[tuple[str, str]]:
    named = (("candidate", candidate_id), ("job", job_id), ("application", application_id))
    return [(kind, ats_id) for kind, ats_id in named if ats_id]


async def store(unit: MirrorUnit, tenant_id: uuid.UUID, change: Change, *, now: datetime) -> Stored | None:
    """Apply one change; None when we already hold this version or a newer one (nothing changed)."""
    if not change.deleted and await _parent_deleted(unit, tenant_id, change):
        # The ATS deletes children before their parent, so a live child of a deleted parent is an update the
        # deletion overtook: it keeps the newer version but must not bring the child back to LinkedIn.
        change = dataclasses.replace(change, deleted=True)
    record = await _store(unit, tenant_id, change, now=now)
    if record is None:
        return None
    if record.deleted and record.kind in _CASCADES:
        return Stored(record, await _delete_children(unit, tenant_id, parent=record, now=now))
    return Stored(record)


async def _store(unit: MirrorUnit, tenant_id: uuid.UUID, change: Change, *, now: datetime) -> Record | None:
    """Store `change` unless we hold a newer version; None when it changed nothing.

    A deletion wins over an update of the same version, and an older update never undoes a tombstone. A
    tombstone keeps the last known record, so later deletions can still find its parents.
    """
    record = await unit.find(tenant_id, change.kind, change.ats_id)
    if record is None:
        record = NewRecord(
            tenant_id=tenant_id,
            kind=change.kind,
            ats_id=change.ats_id,
            version=change.version,
            deleted=change.deleted,
            candidate_id=change.candidate_id,
            job_id=change.job_id,
            application_id=change.application_id,
            data=change.data,
            occurred_at=change.occurred_at,
            updated_at=now,
        )
        unit.add(record)
        return record
    newer = change.version > record.version or (
        change.version == record.version and change.deleted and not record.deleted
    )
    if not newer:
        return None
    record.version = change.version
    record.deleted = change.deleted
    record.occurred_at = change.occurred_at
    record.updated_at = now
    if not change.deleted:
        record.data = change.data
        record.candidate_id = change.candidate_id
        record.job_id = change.job_id
        record.application_id = change.application_id
        unit.moved(record)
    return record


async def _parent_deleted(unit: MirrorUnit, tenant_id: uuid.UUID, change: Change) -> bool:
    for kind, ats_id in (("candidate", change.candidate_id), ("application", change.application_id)):
        if ats_id and change.kind != kind:
            parent = await unit.find(tenant_id, kind, ats_id)
            if parent is not None and parent.deleted and not _changed_after(change.data, parent.occurred_at):
                return True
    return False


def _changed_after(data: Mapping[str, Any], moment: datetime) -> bool:
    """Whether the ATS changed this record after `moment` (a parent's deletion).

    Then the parent was re-created meanwhile and the record belongs to it. ATS timestamps are whole seconds,
    so a tie counts as before: the deletion wins.
    """
    stamp = data.get("updated_at")
    if not isinstance(stamp, str):
        return False
    changed = datetime.fromisoformat(stamp)
    return changed > (moment if moment.tzinfo else moment.replace(tzinfo=UTC))


async def _delete_children(
    unit: MirrorUnit, tenant_id: uuid.UUID, *, parent: Record, now: datetime
) -> list[Record]:
    """Tombstone the parent's live children, oldest first (docs/architecture.md#8-deleting)."""
    field = _CASCADES[parent.kind]
    children = [
        r
        for r in await unit.related(tenant_id, field, parent.ats_id)
        if not r.deleted and r.kind != parent.kind
    ]
    stored: list[Record] = []
    for child in children:
        if _changed_after(child.data, parent.occurred_at):
            continue  # changed after this deletion: a child of the parent as the ATS re-created it
        tombstone = Change(
            kind=child.kind,
            ats_id=child.ats_id,
            version=child.version,  # a deletion wins over an update of the same version
            deleted=True,
            data=child.data,
            occurred_at=parent.occurred_at,
        )
        record = await _store(unit, tenant_id, tombstone, now=now)
        if record is not None:
            stored.append(record)
    return stored


async def embedding(unit: MirrorUnit, tenant_id: uuid.UUID, record: Record) -> list[Record]:
    """The live records that embed `record`: applications (their job's title, their candidate's names and
    email), and the notes and feedback a user wrote (their author's or interviewer's name), at most
    `EMBEDDING_USER_LIMIT` of those, the newest (docs/architecture.md#2-the-mirror)."""
    if record.kind == "user" and not record.deleted:
        named = await unit.naming_user(tenant_id, record.ats_id, limit=EMBEDDING_USER_LIMIT)
        return [r for r in named if r.kind in _NAMING_USERS and not r.deleted]
    field = _EMBEDDED.get(record.kind)
    if field is None or record.deleted:
        return []
    return [
        application
        for application in await unit.related(tenant_id, field, record.ats_id)
        if application.kind == "application" and not application.deleted
    ]


async def find(session: AsyncSession, *, tenant_id: uuid.UUID, kind: str, ats_id: str) -> AtsRecord | None:
    return await repository.find(session, tenant_id=tenant_id, kind=kind, ats_id=ats_id)


async def list_records(
    session: AsyncSession, *, tenant_id: uuid.UUID, kind: str | None = None
) -> Sequence[AtsRecord]:
    return await repository.list_records(session, tenant_id=tenant_id, kind=kind)


async def candidates_named(
    session: AsyncSession, *, tenant_id: uuid.UUID, first_name: str, last_name: str, limit: int = 20
) -> Sequence[AtsRecord]:
    """Live candidates of the tenant with this first and last name (case aside), oldest first."""
    return await repository.candidates_named(
        session, tenant_id=tenant_id, first_name=first_name, last_name=last_name, limit=limit
    )


async def has_application(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: str, job_id: str
) -> bool:
    """Whether the candidate has a live application on the job."""
    return await repository.has_application(
        session, tenant_id=tenant_id, candidate_id=candidate_id, job_id=job_id
    )
