"""What the In-ATS routes read: links by member joined to the live candidates of the mirror, and the
records under those candidates (docs/in-ats.md#what-is-read)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import Select, Uuid, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db.lookups import Lookup
from rsc_service.links.models import CandidateLink
from rsc_service.mirror.models import AtsRecord

_LIVE_CANDIDATE = and_(
    AtsRecord.tenant_id == CandidateLink.tenant_id,
    AtsRecord.kind == "candidate",
    AtsRecord.ats_id == CandidateLink.ats_candidate_id,
    AtsRecord.deleted.is_(False),
)

# Built once per dialect (db/lookups.py): a page of members binds one list, and on PostgreSQL one prepared
# statement serves every page. Each side is found by an index: ix_candidate_links_member, then the
# mirror's unique (tenant_id, kind, ats_id).
_BY_MEMBERS: Lookup[Select[str | None, str]] = Lookup(
    lambda among: (
        select(CandidateLink.member_urn, CandidateLink.ats_candidate_id)
        .join(AtsRecord, _LIVE_CANDIDATE)
        .where(
            CandidateLink.tenant_id == bindparam("tenant_id", type_=Uuid()),
            among(CandidateLink.member_urn, "members"),
        )
    )
)


async def candidates_of_members(
    session: AsyncSession, *, tenant_id: uuid.UUID, members: Collection[str]
) -> list[tuple[str, str]]:
    """(member, ATS candidate id) for each of `members` linked to a live candidate of the tenant: one
    query."""
    if not members:
        return []
    rows = await session.execute(
        _BY_MEMBERS.of(session), {"tenant_id": tenant_id, "members": sorted(set(members))}
    )
    return [(member, candidate) for member, candidate in rows.all() if member is not None]


async def candidate_records(
    session: AsyncSession, *, tenant_id: uuid.UUID, member: str
) -> Sequence[AtsRecord]:
    """The live candidate records linked to `member`."""
    return (
        await session.scalars(
            select(AtsRecord)
            .join(CandidateLink, _LIVE_CANDIDATE)
            .where(CandidateLink.tenant_id == tenant_id, CandidateLink.member_urn == member)
            .order_by(AtsRecord.updated_at.desc(), AtsRecord.ats_id)
        )
    ).all()


async def records_under(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_ids: Collection[str]
) -> Sequence[AtsRecord]:
    """The live applications, notes and interview feedback of these candidates (ix_ats_records_candidate)."""
    return (
        await session.scalars(
            select(AtsRecord)
            .where(
                AtsRecord.tenant_id == tenant_id,
                AtsRecord.candidate_id.in_(sorted(candidate_ids)),
                AtsRecord.kind.in_(("application", "note", "interview_feedback")),
                AtsRecord.deleted.is_(False),
            )
            .order_by(AtsRecord.id)
        )
    ).all()


async def records_by_id(
    session: AsyncSession, *, tenant_id: uuid.UUID, wanted: Collection[tuple[str, str]]
) -> Sequence[AtsRecord]:
    """The records (kind, ATS id) named, tombstones included (a deleted job still names its title)."""
    by_kind: dict[str, set[str]] = {}
    for kind, ats_id in wanted:
        by_kind.setdefault(kind, set()).add(ats_id)
    if not by_kind:
        return []
    return (
        await session.scalars(
            select(AtsRecord).where(
                AtsRecord.tenant_id == tenant_id,
                or_(
                    *(
                        and_(AtsRecord.kind == k, AtsRecord.ats_id.in_(sorted(ids)))
                        for k, ids in by_kind.items()
                    )
                ),
            )
        )
    ).all()
