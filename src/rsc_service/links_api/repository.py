"""Reads and writes of the link routes: links of live candidates, and the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import Select, select
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


def linked_query(tenant_id: uuid.UUID, candidate_ids: Collection[str]) -> Select[CandidateLink]:
    """Links are the outer loop, by the (tenant, candidate) key; each is asked whether its candidate is live
    (the mirror's unique key), so no plan walks the tenant's candidates. Links without a member are left out
    by the caller: `member_urn IS NOT NULL` here would let SQLite range over the member index instead."""
    live = (
        select(AtsRecord.id)
        .where(
            AtsRecord.tenant_id == CandidateLink.tenant_id,
            AtsRecord.kind == "candidate",
            AtsRecord.ats_id == CandidateLink.ats_candidate_id,
            AtsRecord.deleted.is_(False),
        )
        .exists()
    )
    return select(CandidateLink).where(
        CandidateLink.tenant_id == tenant_id,
        CandidateLink.ats_candidate_id.in_(sorted(set(candidate_ids))),
        live,
    )


async def linked(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_ids: Collection[str]
) -> Sequence[CandidateLink]:
    """The links to a member of those of `candidate_ids` that are live candidates, in one query."""
    found = await session.scalars(linked_query(tenant_id, candidate_ids))
    return [link for link in found if link.member_urn is not None]


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
