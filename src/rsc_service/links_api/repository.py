"""Reads and writes of the link routes: links of live candidates, and the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.links.models import CandidateLink
from rsc_service.links_api.models import LinkChange
from rsc_service.mirror.models import AtsRecord


async def find(session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: str) -> CandidateLink | None:
    return await session.scalar(
        select(CandidateLink).where(
            CandidateLink.tenant_id == tenant_id, CandidateLink.ats_candidate_id == candidate_id
        )
    )


async def linked(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_ids: Collection[str]
) -> Sequence[CandidateLink]:
    """The links to a member of those of `candidate_ids` that are live candidates, in one query."""
    return (
        await session.scalars(
            select(CandidateLink)
            .join(
                AtsRecord,
                and_(
                    AtsRecord.tenant_id == CandidateLink.tenant_id,
                    AtsRecord.kind == "candidate",
                    AtsRecord.ats_id == CandidateLink.ats_candidate_id,
                    AtsRecord.deleted.is_(False),
                ),
            )
            .where(
                CandidateLink.tenant_id == tenant_id,
                CandidateLink.ats_candidate_id.in_(sorted(set(candidate_ids))),
                CandidateLink.member_urn.is_not(None),
            )
        )
    ).all()


def add_change(session: AsyncSession, change: LinkChange) -> None:
    session.add(change)


async def changes(session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: str) -> Sequence[LinkChange]:
    return (
        await session.scalars(
            select(LinkChange)
            .where(LinkChange.tenant_id == tenant_id, LinkChange.ats_candidate_id == candidate_id)
            .order_by(LinkChange.id)
        )
    ).all()
