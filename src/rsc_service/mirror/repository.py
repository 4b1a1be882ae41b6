"""apply(): the version-guarded upsert of a mirror record, atomic on both databases; child look-ups."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db.session import insert_for
from rsc_service.mirror.models import AtsRecord, CandidateLink


@dataclass(frozen=True)
class Change:
    kind: str
    ats_id: str
    version: int
    deleted: bool
    data: dict[str, Any]
    occurred_at: datetime
    candidate_id: str | None = None
    job_id: str | None = None
    application_id: str | None = None


async def apply(
    session: AsyncSession, *, tenant_id: uuid.UUID, change: Change, now: datetime
) -> AtsRecord | None:
    """Store `change` unless we hold a newer version; None when it changed nothing.

    A deletion wins over an update of the same version, and an older update never undoes a tombstone.
    """
    values = {
        "tenant_id": tenant_id,
        "kind": change.kind,
        "ats_id": change.ats_id,
        "version": change.version,
        "deleted": change.deleted,
        "candidate_id": change.candidate_id,
        "job_id": change.job_id,
        "application_id": change.application_id,
        "data": change.data,
        "occurred_at": change.occurred_at,
        "updated_at": now,
    }
    insert = insert_for(session, AtsRecord).values(**values)
    newer = or_(
        insert.excluded.version > AtsRecord.version,
        and_(insert.excluded.version == AtsRecord.version, insert.excluded.deleted, not_(AtsRecord.deleted)),
    )
    updates = {name: insert.excluded[name] for name in values if name not in {"tenant_id", "kind", "ats_id"}}
    if change.deleted:
        # A tombstone keeps the last known record, so later deletions can still find its parents.
        for name in ("data", "candidate_id", "job_id", "application_id"):
            updates.pop(name)
    statement = insert.on_conflict_do_update(
        index_elements=["tenant_id", "kind", "ats_id"], set_=updates, where=newer
    ).returning(AtsRecord.id)
    record_id = await session.scalar(statement)
    if record_id is None:
        return None
    return await session.get(AtsRecord, record_id, populate_existing=True)


async def find(session: AsyncSession, *, tenant_id: uuid.UUID, kind: str, ats_id: str) -> AtsRecord | None:
    return await session.scalar(
        select(AtsRecord).where(
            AtsRecord.tenant_id == tenant_id, AtsRecord.kind == kind, AtsRecord.ats_id == ats_id
        )
    )


async def list_live_children(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    candidate_id: str | None = None,
    application_id: str | None = None,
) -> Sequence[AtsRecord]:
    query = select(AtsRecord).where(AtsRecord.tenant_id == tenant_id, not_(AtsRecord.deleted))
    if candidate_id is not None:
        query = query.where(AtsRecord.candidate_id == candidate_id, AtsRecord.kind != "candidate")
    if application_id is not None:
        query = query.where(AtsRecord.application_id == application_id, AtsRecord.kind != "application")
    return (await session.scalars(query.order_by(AtsRecord.id))).all()


async def list_by_ids(
    session: AsyncSession, *, tenant_id: uuid.UUID, kind: str, ats_ids: Sequence[str]
) -> Sequence[AtsRecord]:
    if not ats_ids:
        return []
    return (
        await session.scalars(
            select(AtsRecord).where(
                AtsRecord.tenant_id == tenant_id, AtsRecord.kind == kind, AtsRecord.ats_id.in_(ats_ids)
            )
        )
    ).all()


async def list_live(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    kind: str,
    job_id: str | None = None,
    candidate_id: str | None = None,
) -> Sequence[AtsRecord]:
    query = select(AtsRecord).where(
        AtsRecord.tenant_id == tenant_id, AtsRecord.kind == kind, not_(AtsRecord.deleted)
    )
    if job_id is not None:
        query = query.where(AtsRecord.job_id == job_id)
    if candidate_id is not None:
        query = query.where(AtsRecord.candidate_id == candidate_id)
    return (await session.scalars(query.order_by(AtsRecord.id))).all()


async def list_records(
    session: AsyncSession, *, tenant_id: uuid.UUID, kind: str | None = None
) -> Sequence[AtsRecord]:
    query = select(AtsRecord).where(AtsRecord.tenant_id == tenant_id)
    if kind is not None:
        query = query.where(AtsRecord.kind == kind)
    return (await session.scalars(query.order_by(AtsRecord.id))).all()


async def manual_member(session: AsyncSession, *, tenant_id: uuid.UUID, record: AtsRecord) -> str | None:
    """The member linked by hand, export or stub; LinkedIn's own email match is not sent back."""
    if record.kind != "candidate":
        return None
    return await session.scalar(
        select(CandidateLink.member_urn).where(
            CandidateLink.tenant_id == tenant_id,
            CandidateLink.ats_candidate_id == record.ats_id,
            CandidateLink.source != "email",
        )
    )
