"""Candidate links, and landed candidates whose LinkedIn match has not been read back since they landed."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import Uuid, and_, bindparam, case, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db import locks
from rsc_service.db.lookups import Lookup
from rsc_service.db.session import insert_for
from rsc_service.links.models import CandidateLink, LinkSource
from rsc_service.outbox import service as outbox_service

_CHUNK = 400  # keys per statement, well inside both databases' limits on bound parameters

# Built once, so each batch of ingest only binds values.
_MANUAL = Lookup(
    lambda among: select(CandidateLink.ats_candidate_id, CandidateLink.member_urn).where(
        CandidateLink.tenant_id == bindparam("tenant_id", type_=Uuid()),
        among(CandidateLink.ats_candidate_id, "values"),
        CandidateLink.source != "email",
    )
)


async def find_link(
    session: AsyncSession, *, tenant_id: uuid.UUID, ats_candidate_id: str
) -> CandidateLink | None:
    return await session.scalar(
        select(CandidateLink).where(
            CandidateLink.tenant_id == tenant_id, CandidateLink.ats_candidate_id == ats_candidate_id
        )
    )


async def candidates_of_members(
    session: AsyncSession, *, tenant_id: uuid.UUID, member_urns: Sequence[str]
) -> dict[str, list[str]]:
    """The candidates linked to each member, first linked first (absent: none)."""
    found: dict[str, list[str]] = {}
    members = sorted(set(member_urns))
    for start in range(0, len(members), _CHUNK):
        rows = await session.execute(
            select(CandidateLink.member_urn, CandidateLink.ats_candidate_id)
            .where(
                CandidateLink.tenant_id == tenant_id,
                CandidateLink.member_urn.in_(members[start : start + _CHUNK]),
            )
            .order_by(CandidateLink.id)
        )
        for member, candidate in rows.all():
            found.setdefault(str(member), []).append(candidate)
    return found


async def manual_members(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_ids: Sequence[str]
) -> dict[str, str | None]:
    """The member linked to each candidate by anything but LinkedIn's email match (absent: none)."""
    found: dict[str, str | None] = {}
    for start in range(0, len(candidate_ids), _CHUNK):
        chunk = list(candidate_ids[start : start + _CHUNK])
        rows = await session.execute(_MANUAL.of(session), {"tenant_id": tenant_id, "values": chunk})
        found.update((candidate, member) for candidate, member in rows.all())
    return found


async def list_unchecked(
    session: AsyncSession, *, resource: str, limit: int, skip_tenants: Collection[uuid.UUID] = ()
) -> Sequence[tuple[uuid.UUID, str]]:
    """(tenant, candidate) pairs that landed on LinkedIn as `resource` after their match was last read (or
    never read), oldest first, leaving out `skip_tenants`."""
    landed = outbox_service.landed(resource).subquery()
    link = and_(CandidateLink.tenant_id == landed.c.tenant_id, CandidateLink.ats_candidate_id == landed.c.key)
    rows = await session.execute(
        select(landed.c.tenant_id, landed.c.key)
        .outerjoin(CandidateLink, link)
        .where(
            or_(CandidateLink.id.is_(None), CandidateLink.checked_at.is_(None),
                CandidateLink.checked_at < landed.c.updated_at),
            landed.c.tenant_id.not_in(list(skip_tenants)) if skip_tenants else true(),
        )
        .order_by(landed.c.updated_at)
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


async def record_email_matches(
    session: AsyncSession, *, tenant_id: uuid.UUID, members: dict[str, str | None], now: datetime
) -> None:
    """LinkedIn's email match for many candidates in a few statements: a link made otherwise (by hand, by
    export, from a stub) or unmade by hand is only marked checked; every other candidate's email link is
    written."""
    candidates = sorted(members)
    kept = set(
        await session.scalars(
            select(CandidateLink.ats_candidate_id).where(
                CandidateLink.tenant_id == tenant_id,
                CandidateLink.ats_candidate_id.in_(candidates),
                CandidateLink.source != LinkSource.EMAIL,
                or_(CandidateLink.member_urn.is_not(None), CandidateLink.source == LinkSource.MANUAL),
            )
        )
    )
    if kept:
        await session.execute(
            update(CandidateLink)
            .where(CandidateLink.tenant_id == tenant_id, CandidateLink.ats_candidate_id.in_(sorted(kept)))
            .values(checked_at=now)
            .execution_options(synchronize_session=False)
        )
    rows = [
        {
            "tenant_id": tenant_id,
            "ats_candidate_id": candidate,
            "member_urn": members[candidate],
            "source": LinkSource.EMAIL.value,
            "linked_at": now if members[candidate] else None,
            "checked_at": now,
        }
        for candidate in candidates
        if candidate not in kept
    ]
    if not rows:
        return
    statement = insert_for(session, CandidateLink)
    changed = or_(
        CandidateLink.member_urn.is_distinct_from(statement.excluded.member_urn),
        CandidateLink.source != LinkSource.EMAIL.value,
    )
    # `kept` was read before this statement: a link made otherwise since (by hand, at the same time) is
    # checked again against the row as it is when written, and is never replaced by the email match.
    still_automatic = or_(
        CandidateLink.source == LinkSource.EMAIL.value,
        and_(CandidateLink.member_urn.is_(None), CandidateLink.source != LinkSource.MANUAL.value),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "ats_candidate_id"],
            where=still_automatic,
            set_={
                "member_urn": statement.excluded.member_urn,
                "source": statement.excluded.source,
                "checked_at": statement.excluded.checked_at,
                "linked_at": case((changed, statement.excluded.linked_at), else_=CandidateLink.linked_at),
            },
        ),
        rows,
    )


async def hold(session: AsyncSession, tenant_id: uuid.UUID, candidate_ids: Iterable[str]) -> None:
    """Take turns, until the transaction ends, with any other transaction that links these candidates or
    reads their links to build their PUT (docs/in-ats.md#links-by-hand-l3).

    A mirror record read for the PUT is locked already; this covers a candidate not in the mirror yet, whose
    webhook may be applied while an export links it. Whichever goes second sees what the first committed: the
    webhook reads the link, or the link finds the candidate to owe LinkedIn. SQLite has one writer at a time.
    """
    await locks.hold(session, (locks.key(b"rsc-links", f"{tenant_id}/{c}".encode()) for c in candidate_ids))
