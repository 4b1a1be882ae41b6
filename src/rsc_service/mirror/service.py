"""apply_ats_changes(): the mirror rows for ATS changes, plus the outbox rows the changes cause."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.integrations.ats import wire as ats
from rsc_service.mirror import payloads, payloads_jobs, repository
from rsc_service.mirror.models import AtsRecord
from rsc_service.mirror.payloads_fields import STAGES
from rsc_service.mirror.repository import Change
from rsc_service.mirror.unit import MirrorUnit, NewRecord, ParentField, Record
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox.ops import Intent

_CASCADES = {"candidate": "candidate_id", "application": "application_id"}


def change_from_event(event: ats.WebhookEvent) -> Change:
    data = event.data
    return Change(
        kind=data.kind,
        ats_id=data.id,
        version=data.version,
        deleted=event.deleted,
        data=data.model_dump(mode="json"),
        occurred_at=event.occurred_at,
        candidate_id=getattr(data, "candidate_id", None),
        job_id=getattr(data, "job_id", None),
        application_id=getattr(data, "application_id", None),
    )


class TenantRef(Protocol):
    """What the mirror needs of a tenant: a Tenant row, or the snapshot ingest keeps of one."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def linkedin_organization_urn(self) -> str: ...


async def apply_ats_changes(
    session: AsyncSession, events: Sequence[tuple[TenantRef, ats.WebhookEvent]], *, now: datetime
) -> list[Record | None]:
    """Apply each change in order, as if one by one: per change the record stored, or None if nothing changed.

    What the changes will read is loaded first in a few statements (MirrorUnit); the outbox rows they owe
    are written together after the last one.
    """
    unit = MirrorUnit(session)
    changes = [(tenant, change_from_event(event)) for tenant, event in events]
    tenants = {tenant.id: tenant for tenant, _ in changes}
    for tenant_id in tenants:
        await _load_for(unit, tenant_id, [change for tenant, change in changes if tenant.id == tenant_id])
    owed: list[outbox_service.Owed] = []
    with session.no_autoflush:  # the unit answers from memory what this run changed
        stored = [
            await _apply(unit, owed, tenant=tenant, change=change, now=now) for tenant, change in changes
        ]
    await unit.write()
    await outbox_service.enqueue_all(session, owed, now=now)
    return stored


def _user_ids(data: Mapping[str, Any]) -> set[str]:
    found = {data.get(field) for field in ("author_user_id", "interviewer_user_id")}
    found |= {member.get("user_id") for member in data.get("hiring_team") or []}
    return {user for user in found if isinstance(user, str)}


async def _load_for(unit: MirrorUnit, tenant_id: uuid.UUID, changes: Sequence[Change]) -> None:
    """Read in bulk what applying `changes` looks up: the records, their parents, the applications that embed
    them, the children a deletion cascades to, the users they name and the candidates' links."""
    keys: set[tuple[str, str]] = set()
    under: dict[ParentField, set[str]] = {"candidate_id": set(), "job_id": set(), "application_id": set()}
    for change in changes:
        keys.add((change.kind, change.ats_id))
        keys |= {
            (kind, ats_id)
            for kind, ats_id in _parents(change.candidate_id, change.job_id, change.application_id)
        }
        keys |= {("user", user) for user in _user_ids(change.data)}
        if change.kind in ("candidate", "job"):
            under["candidate_id" if change.kind == "candidate" else "job_id"].add(change.ats_id)
        elif change.kind == "application" and change.deleted:
            under["application_id"].add(change.ats_id)
    await unit.load_records(tenant_id, keys)
    for field, values in under.items():
        await unit.load_related(tenant_id, field, values)
    around: set[tuple[str, str]] = set()
    for record in unit.loaded(tenant_id):
        around |= set(_parents(record.candidate_id, record.job_id, None))
        around |= {("user", user) for user in _user_ids(record.data)}
    await unit.load_records(tenant_id, around)
    await unit.load_links(tenant_id, [ats_id for kind, ats_id in keys if kind == "candidate"])


def _parents(
    candidate_id: str | None, job_id: str | None, application_id: str | None
) -> list[tuple[str, str]]:
    named = (("candidate", candidate_id), ("job", job_id), ("application", application_id))
    return [(kind, ats_id) for kind, ats_id in named if ats_id]


async def _apply(
    unit: MirrorUnit, owed: list[outbox_service.Owed], *, tenant: TenantRef, change: Change, now: datetime
) -> Record | None:
    if not change.deleted and await _parent_deleted(unit, tenant=tenant, change=change):
        # The ATS deletes children before their parent, so a live child of a deleted parent is an update the
        # deletion overtook: it keeps the newer version but must not bring the child back to LinkedIn.
        change = dataclasses.replace(change, deleted=True)
    record = await _store(unit, tenant_id=tenant.id, change=change, now=now)
    if record is None:  # we already hold this version or a newer one: nothing changes, nothing is sent
        return None
    child_keys: list[str] = []
    if record.deleted and record.kind in _CASCADES:
        child_keys = await _delete_children(unit, owed, tenant=tenant, parent=record, now=now)
    await _owe(unit, owed, tenant=tenant, record=record, extra_dependencies=child_keys)
    await _refresh_embedding_applications(unit, owed, tenant=tenant, record=record)
    return record


async def _store(unit: MirrorUnit, *, tenant_id: uuid.UUID, change: Change, now: datetime) -> Record | None:
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
    return record


async def _parent_deleted(unit: MirrorUnit, *, tenant: TenantRef, change: Change) -> bool:
    for kind, ats_id in (("candidate", change.candidate_id), ("application", change.application_id)):
        if ats_id and change.kind != kind:
            parent = await unit.find(tenant.id, kind, ats_id)
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
    unit: MirrorUnit, owed: list[outbox_service.Owed], *, tenant: TenantRef, parent: Record, now: datetime
) -> list[str]:
    """Tombstone the parent's live children and owe LinkedIn their deletes first (Decisions 7)."""
    field: ParentField = "candidate_id" if parent.kind == "candidate" else "application_id"
    children = [
        r
        for r in await unit.related(tenant.id, field, parent.ats_id)
        if not r.deleted and r.kind != parent.kind
    ]
    keys: list[str] = []
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
        stored = await _store(unit, tenant_id=tenant.id, change=tombstone, now=now)
        if stored is not None:
            keys += [f"{i.resource}:{i.key}" for i in await _owe(unit, owed, tenant=tenant, record=stored)]
    return keys


async def _owe(
    unit: MirrorUnit,
    owed: list[outbox_service.Owed],
    *,
    tenant: TenantRef,
    record: Record,
    extra_dependencies: Sequence[str] = (),
) -> list[Intent]:
    context = await _context_for(unit, tenant=tenant, record=record)
    intents: list[Intent] = payloads.intents_for(
        record.kind, record.data, deleted=record.deleted, ctx=context
    )
    if extra_dependencies:
        intents = [dataclasses.replace(i, depends_on=(*i.depends_on, *extra_dependencies)) for i in intents]
    # An application's stage whose entry left its history is deleted on LinkedIn too (RSC-503).
    prune = (STAGES, record.ats_id) if record.kind == "application" and not record.deleted else None
    owed.append(outbox_service.Owed(tenant.id, intents, record.version, prune=prune))
    return intents


async def _context_for(unit: MirrorUnit, *, tenant: TenantRef, record: Record) -> payloads.PushContext:
    """What the record's LinkedIn payloads embed from other mirror records (names, titles, authors)."""
    job = candidate = None
    if record.kind == "application":
        job = await unit.find(tenant.id, "job", record.job_id or "")
        candidate = await unit.find(tenant.id, "candidate", record.candidate_id or "")
    users = await unit.find_many(tenant.id, "user", _user_ids(record.data))
    manual = await unit.manual_member(tenant.id, record.ats_id) if record.kind == "candidate" else None
    return payloads.PushContext(
        integration_context=tenant.linkedin_organization_urn,
        manual_matched_member=manual,
        job=job.data if job else None,
        candidate=candidate.data if candidate else None,
        users={user.ats_id: user.data for user in users if not user.deleted},
    )


async def _refresh_embedding_applications(
    unit: MirrorUnit, owed: list[outbox_service.Owed], *, tenant: TenantRef, record: Record
) -> None:
    """Applications embed their job's title and their candidate's names and email: re-owe them."""
    field: ParentField | None = {"job": "job_id", "candidate": "candidate_id"}.get(record.kind)  # type: ignore[assignment]
    if field is None or record.deleted:
        return
    for application in await unit.related(tenant.id, field, record.ats_id):
        if application.kind == "application" and not application.deleted:
            await _owe(unit, owed, tenant=tenant, record=application)


async def find(session: AsyncSession, *, tenant_id: uuid.UUID, kind: str, ats_id: str) -> AtsRecord | None:
    return await repository.find(session, tenant_id=tenant_id, kind=kind, ats_id=ats_id)


async def list_records(
    session: AsyncSession, *, tenant_id: uuid.UUID, kind: str | None = None
) -> Sequence[AtsRecord]:
    return await repository.list_records(session, tenant_id=tenant_id, kind=kind)


_ORIGIN_KIND = {
    "simpleJobPostings": "job",
    "atsCandidates": "candidate",
    "atsApplications": "application",
    "atsCandidates/notes": "note",
    "atsApplications/notes": "note",
    "atsApplications/interviewFeedback": "interview_feedback",
}


def origin_of(resource: str, key: str, path_parent: str | None) -> tuple[str, str]:
    """The mirror record whose payloads include the outbox row (resource, key)."""
    if resource in _ORIGIN_KIND:
        return _ORIGIN_KIND[resource], key
    if resource == "atsApplications/stages" and path_parent is not None:
        return "application", path_parent
    if resource == "atsEntityAcls":
        return "job", payloads_jobs.split_acl_key(key)[1]
    raise ValueError(f"no mirror record builds {resource} rows")


async def rebuild(
    session: AsyncSession,
    *,
    tenant: TenantRef,
    resource: str,
    key: str,
    path_parent: str | None,
    now: datetime,
) -> Record | None:
    """Re-owe LinkedIn what the mirror holds now for this row's record (replay reads the current version)."""
    kind, ats_id = origin_of(resource, key, path_parent)
    unit = MirrorUnit(session)
    record = await unit.find(tenant.id, kind, ats_id)
    if record is not None:
        owed: list[outbox_service.Owed] = []
        await _owe(unit, owed, tenant=tenant, record=record)
        await outbox_service.enqueue_all(session, owed, now=now)
    return record
