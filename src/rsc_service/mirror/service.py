"""apply_ats_change(): the mirror row for an ATS change, plus the outbox rows the change causes."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.integrations.ats import wire as ats
from rsc_service.mirror import payloads, payloads_jobs, repository
from rsc_service.mirror.models import AtsRecord
from rsc_service.mirror.payloads_fields import STAGES
from rsc_service.mirror.repository import Change
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox.ops import Intent, Op
from rsc_service.tenants.models import Tenant

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


async def apply_ats_change(
    session: AsyncSession, *, tenant: Tenant, event: ats.WebhookEvent, now: datetime
) -> AtsRecord | None:
    change = change_from_event(event)
    if not change.deleted and await _parent_deleted(session, tenant=tenant, change=change):
        # The ATS deletes children before their parent, so a live child of a deleted parent is an update the
        # deletion overtook: it keeps the newer version but must not bring the child back to LinkedIn.
        change = dataclasses.replace(change, deleted=True)
    record = await repository.apply(session, tenant_id=tenant.id, change=change, now=now)
    if record is None:  # we already hold this version or a newer one: nothing changes, nothing is sent
        return None
    child_keys: list[str] = []
    if record.deleted and record.kind in _CASCADES:
        child_keys = await _delete_children(session, tenant=tenant, parent=record, now=now)
    await _enqueue(session, tenant=tenant, record=record, extra_dependencies=child_keys, now=now)
    await _refresh_embedding_applications(session, tenant=tenant, record=record, now=now)
    return record


async def _parent_deleted(session: AsyncSession, *, tenant: Tenant, change: Change) -> bool:
    for kind, ats_id in (("candidate", change.candidate_id), ("application", change.application_id)):
        if ats_id and change.kind != kind:
            parent = await repository.find(session, tenant_id=tenant.id, kind=kind, ats_id=ats_id)
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
    session: AsyncSession, *, tenant: Tenant, parent: AtsRecord, now: datetime
) -> list[str]:
    """Tombstone the parent's live children and owe LinkedIn their deletes first (Decisions 7)."""
    children = await repository.list_live_children(
        session, tenant_id=tenant.id, **{_CASCADES[parent.kind]: parent.ats_id}
    )
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
        stored = await repository.apply(session, tenant_id=tenant.id, change=tombstone, now=now)
        if stored is not None:
            keys += [
                f"{i.resource}:{i.key}"
                for i in await _enqueue(session, tenant=tenant, record=stored, now=now)
            ]
    return keys


async def _enqueue(
    session: AsyncSession,
    *,
    tenant: Tenant,
    record: AtsRecord,
    now: datetime,
    extra_dependencies: Sequence[str] = (),
) -> list[Intent]:
    context = await _context_for(session, tenant=tenant, record=record)
    intents: list[Intent] = payloads.intents_for(
        record.kind, record.data, deleted=record.deleted, ctx=context
    )
    for intent in intents:
        if extra_dependencies:
            intent = dataclasses.replace(intent, depends_on=(*intent.depends_on, *extra_dependencies))
        await outbox_service.enqueue(
            session, tenant_id=tenant.id, intent=intent, source_version=record.version, now=now
        )
    if record.kind == "application" and not record.deleted:
        kept = {intent.key for intent in intents if intent.resource == STAGES}
        await _forget_dropped_stages(session, tenant=tenant, record=record, kept=kept, now=now)
    return intents


async def _forget_dropped_stages(
    session: AsyncSession, *, tenant: Tenant, record: AtsRecord, kept: set[str], now: datetime
) -> None:
    """A stage whose entry left the application's history is deleted on LinkedIn too (RSC-503)."""
    for row in await outbox_service.list_children(
        session, tenant_id=tenant.id, resource=STAGES, path_parent=record.ats_id
    ):
        if row.key in kept or row.op is Op.DELETE:
            continue
        gone = Intent(STAGES, row.key, Op.DELETE, None, path_parent=record.ats_id)
        await outbox_service.enqueue(
            session, tenant_id=tenant.id, intent=gone, source_version=record.version, now=now
        )


async def _context_for(session: AsyncSession, *, tenant: Tenant, record: AtsRecord) -> payloads.PushContext:
    """What the record's LinkedIn payloads embed from other mirror records (names, titles, authors)."""
    job = candidate = None
    if record.kind == "application":
        job = await repository.find(session, tenant_id=tenant.id, kind="job", ats_id=record.job_id or "")
        candidate = await repository.find(
            session, tenant_id=tenant.id, kind="candidate", ats_id=record.candidate_id or ""
        )
    user_ids = {record.data.get(field) for field in ("author_user_id", "interviewer_user_id")}
    user_ids |= {member.get("user_id") for member in record.data.get("hiring_team") or []}
    users = await repository.list_by_ids(
        session, tenant_id=tenant.id, kind="user", ats_ids=[u for u in user_ids if isinstance(u, str)]
    )
    return payloads.PushContext(
        integration_context=tenant.linkedin_organization_urn,
        manual_matched_member=await repository.manual_member(session, tenant_id=tenant.id, record=record),
        job=job.data if job else None,
        candidate=candidate.data if candidate else None,
        users={user.ats_id: user.data for user in users if not user.deleted},
    )


async def _refresh_embedding_applications(
    session: AsyncSession, *, tenant: Tenant, record: AtsRecord, now: datetime
) -> None:
    """Applications embed their job's title and their candidate's names and email: re-owe them."""
    field = {"job": "job_id", "candidate": "candidate_id"}.get(record.kind)
    if field is None or record.deleted:
        return
    for application in await repository.list_live(
        session, tenant_id=tenant.id, kind="application", **{field: record.ats_id}
    ):
        await _enqueue(session, tenant=tenant, record=application, now=now)


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
    session: AsyncSession, *, tenant: Tenant, resource: str, key: str, path_parent: str | None, now: datetime
) -> AtsRecord | None:
    """Re-owe LinkedIn what the mirror holds now for this row's record (replay reads the current version)."""
    kind, ats_id = origin_of(resource, key, path_parent)
    record = await repository.find(session, tenant_id=tenant.id, kind=kind, ats_id=ats_id)
    if record is not None:
        await _enqueue(session, tenant=tenant, record=record, now=now)
    return record
