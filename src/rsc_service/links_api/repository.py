"""Reads and writes of the link routes: links of live candidates, the audit trail, and the member pulls
connect before alert owes."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db.session import insert_for
from rsc_service.links.models import CandidateLink
from rsc_service.links_api.models import LinkChange, MemberPullOwed
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


async def pull_owed(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: str
) -> MemberPullOwed | None:
    return await session.get(MemberPullOwed, (tenant_id, candidate_id))


async def owe_pull(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: str, member_urn: str | None, now: datetime
) -> None:
    """The candidate is owed its member's pull (member None: the candidate is not linked yet), unless it is
    already; a member named here is recorded on a pull owed already."""
    await _owed(session, tenant_id=tenant_id, candidate_id=candidate_id, member_urn=member_urn, now=now)


async def pull_failed(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    candidate_id: str,
    member_urn: str,
    error: str,
    now: datetime,
) -> None:
    """The member pull failed: still owed, with why (one row per candidate whichever connect failed last;
    ON CONFLICT DO UPDATE, so connects failing at once keep one row)."""
    await _owed(
        session, tenant_id=tenant_id, candidate_id=candidate_id, member_urn=member_urn, now=now, error=error
    )


async def _owed(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    candidate_id: str,
    member_urn: str | None,
    now: datetime,
    error: str | None = None,
) -> None:
    """One row per candidate owed a pull: a member named is recorded, a failure counted with its reason."""
    failed = error is not None
    statement = insert_for(session, MemberPullOwed).values(
        tenant_id=tenant_id,
        ats_candidate_id=candidate_id,
        member_urn=member_urn,
        owed_since=now,
        attempts=1 if failed else 0,
        error=error[:500] if error is not None else None,
        failed_at=now if failed else None,
    )
    changed: dict[str, Any] = {}
    if member_urn is not None:
        changed["member_urn"] = statement.excluded.member_urn
    if failed:
        changed |= {
            "error": statement.excluded.error,
            "failed_at": statement.excluded.failed_at,
            "attempts": MemberPullOwed.attempts + 1,
        }
    key = ["tenant_id", "ats_candidate_id"]
    if changed:
        await session.execute(statement.on_conflict_do_update(index_elements=key, set_=changed))
    else:
        await session.execute(statement.on_conflict_do_nothing(index_elements=key))


async def pull_done(session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: str) -> None:
    await session.execute(
        delete(MemberPullOwed).where(
            MemberPullOwed.tenant_id == tenant_id, MemberPullOwed.ats_candidate_id == candidate_id
        )
    )
