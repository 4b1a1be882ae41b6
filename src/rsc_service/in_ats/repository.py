"""What the In-ATS routes read: links by member joined to the live candidates of the mirror, and the
records under those candidates (docs/in-ats.md#what-is-read)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import Select, Uuid, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db.lookups import Lookup
from rsc_service.links.models import CandidateLink
from rsc_service.mirror.models import AtsRecord

# Whether the link's candidate is live in the mirror, asked of each link found (the mirror's unique key).
_LIVE_CANDIDATE = (
    select(AtsRecord.id)
    .where(
        AtsRecord.tenant_id == CandidateLink.tenant_id,
        AtsRecord.kind == "candidate",
        AtsRecord.ats_id == CandidateLink.ats_candidate_id,
        AtsRecord.deleted.is_(False),
    )
    .exists()
)

# Built once per dialect (db/lookups.py): a page of members binds one list, and on PostgreSQL one prepared
# statement serves every page. The links are the outer loop, found by ix_candidate_links_member, so the
# plan is the same with or without statistics (SQLite has none unless ANALYZE ran; a join let it walk every
# candidate of the tenant instead).
_BY_MEMBERS: Lookup[Select[str | None, str]] = Lookup(
    lambda among: select(CandidateLink.member_urn, CandidateLink.ats_candidate_id).where(
        CandidateLink.tenant_id == bindparam("tenant_id", type_=Uuid()),
        among(CandidateLink.member_urn, "members"),
        _LIVE_CANDIDATE,
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


def candidates_of_member_query(tenant_id: uuid.UUID, member: str) -> Select[AtsRecord]:
    """The live candidates linked to `member`: the member's links by ix_candidate_links_member, then each
    candidate by the mirror's unique key."""
    linked = select(CandidateLink.ats_candidate_id).where(
        CandidateLink.tenant_id == tenant_id, CandidateLink.member_urn == member
    )
    return select(AtsRecord).where(
        AtsRecord.tenant_id == tenant_id,
        AtsRecord.kind == "candidate",
        AtsRecord.ats_id.in_(linked),
        AtsRecord.deleted.is_(False),
    )


async def candidates_of_member(
    session: AsyncSession, *, tenant_id: uuid.UUID, member: str
) -> Sequence[AtsRecord]:
    return (await session.scalars(candidates_of_member_query(tenant_id, member))).all()


def records_under_query(tenant_id: uuid.UUID, candidate_ids: Collection[str]) -> Select[AtsRecord]:
    return (
        select(AtsRecord)
        .where(
            AtsRecord.tenant_id == tenant_id,
            AtsRecord.candidate_id.in_(sorted(candidate_ids)),
            AtsRecord.kind.in_(("application", "note", "interview_feedback")),
            AtsRecord.deleted.is_(False),
        )
        .order_by(AtsRecord.id)
    )


async def records_under(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_ids: Collection[str]
) -> Sequence[AtsRecord]:
    """The live applications, notes and interview feedback of these candidates (ix_ats_records_candidate)."""
    return (await session.scalars(records_under_query(tenant_id, candidate_ids))).all()


def records_by_id_query(
    tenant_id: uuid.UUID, kinds: Collection[str], ats_ids: Collection[str]
) -> Select[AtsRecord]:
    return select(AtsRecord).where(
        AtsRecord.tenant_id == tenant_id,
        AtsRecord.kind.in_(sorted(set(kinds))),
        AtsRecord.ats_id.in_(sorted(set(ats_ids))),
    )


async def records_by_id(
    session: AsyncSession, *, tenant_id: uuid.UUID, wanted: Collection[tuple[str, str]]
) -> dict[tuple[str, str], AtsRecord]:
    """The records (kind, ATS id) named, tombstones included (a deleted job still names its title), in one
    query by the mirror's unique key; keyed by (kind, ATS id)."""
    if not wanted:
        return {}
    found = await session.scalars(
        records_by_id_query(tenant_id, {kind for kind, _ in wanted}, {ats_id for _, ats_id in wanted})
    )
    return {(r.kind, r.ats_id): r for r in found if (r.kind, r.ats_id) in wanted}
