"""Candidate links, and landed candidates whose LinkedIn match has not been read back since they landed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.mirror.models import CandidateLink
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State


async def find_link(
    session: AsyncSession, *, tenant_id: uuid.UUID, ats_candidate_id: str
) -> CandidateLink | None:
    return await session.scalar(
        select(CandidateLink).where(
            CandidateLink.tenant_id == tenant_id, CandidateLink.ats_candidate_id == ats_candidate_id
        )
    )


async def list_unchecked(session: AsyncSession, *, limit: int) -> Sequence[tuple[uuid.UUID, str]]:
    """(tenant, candidate) pairs that landed on LinkedIn after their match was last read (or never read)."""
    link = and_(
        CandidateLink.tenant_id == OutboxMessage.tenant_id,
        CandidateLink.ats_candidate_id == OutboxMessage.key,
    )
    rows = await session.execute(
        select(OutboxMessage.tenant_id, OutboxMessage.key)
        .outerjoin(CandidateLink, link)
        .where(
            OutboxMessage.resource == "atsCandidates",
            OutboxMessage.state == State.DONE,
            OutboxMessage.op == Op.UPSERT,
            or_(CandidateLink.id.is_(None), CandidateLink.checked_at.is_(None),
                CandidateLink.checked_at < OutboxMessage.updated_at),
        )
        .order_by(OutboxMessage.updated_at)
        .limit(limit)
    )  # fmt: skip
    return [(tenant_id, key) for tenant_id, key in rows.all()]


async def upsert_link(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    ats_candidate_id: str,
    member_urn: str | None,
    source: str,
    now: datetime,
    checked: bool,
) -> CandidateLink:
    link = await find_link(session, tenant_id=tenant_id, ats_candidate_id=ats_candidate_id)
    if link is None:
        link = CandidateLink(tenant_id=tenant_id, ats_candidate_id=ats_candidate_id, source=source)
        session.add(link)
    if link.member_urn != member_urn or link.source != source:
        link.linked_at = now if member_urn else None
    link.member_urn, link.source = member_urn, source
    if checked:
        link.checked_at = now
    await session.flush()
    return link
