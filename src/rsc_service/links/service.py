"""Who is who: ATS candidates linked to LinkedIn members, by LinkedIn's email match or otherwise.

A link made by a person, by an export or from an InMail stub is never replaced by LinkedIn's email match,
and rides on every candidate PUT (docs/architecture.md#7-links).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.links import repository
from rsc_service.links.models import CandidateLink, LinkSource


async def record_match(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    ats_candidate_id: str,
    matched: Sequence[str],
    now: datetime,
) -> CandidateLink:
    """Record LinkedIn's own email match. A link made by a person, an export or a stub is never replaced,
    nor is an unlink by a person."""
    link = await repository.find_link(session, tenant_id=tenant_id, ats_candidate_id=ats_candidate_id)
    by_hand = link is not None and link.source == LinkSource.MANUAL
    if link is not None and link.source != LinkSource.EMAIL and (link.member_urn is not None or by_hand):
        link.checked_at = now
        await session.flush()
        return link
    # One member is a match; none, or several (ambiguous), is no link.
    member = matched[0] if len(matched) == 1 else None
    return await repository.upsert_link(
        session,
        tenant_id=tenant_id,
        ats_candidate_id=ats_candidate_id,
        member_urn=member,
        source=LinkSource.EMAIL,
        now=now,
        checked=True,
    )


async def record_matches(
    session: AsyncSession, *, tenant_id: uuid.UUID, matched: Mapping[str, Sequence[str]], now: datetime
) -> None:
    """`record_match` for many candidates at once, in a few statements."""
    members = {candidate: found[0] if len(found) == 1 else None for candidate, found in matched.items()}
    if members:
        await repository.record_email_matches(session, tenant_id=tenant_id, members=members, now=now)


async def set_link(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    ats_candidate_id: str,
    member_urn: str | None,
    source: LinkSource,
    now: datetime,
) -> CandidateLink:
    """Link (or, with member None, unlink) by hand, export or stub."""
    return await repository.upsert_link(
        session,
        tenant_id=tenant_id,
        ats_candidate_id=ats_candidate_id,
        member_urn=member_urn,
        source=source,
        now=now,
        checked=False,
    )


async def manual_members(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_ids: Sequence[str]
) -> dict[str, str | None]:
    """The member each candidate was linked to other than by email match; absent: no such link."""
    return await repository.manual_members(session, tenant_id=tenant_id, candidate_ids=candidate_ids)


async def list_unchecked(
    session: AsyncSession, *, resource: str, limit: int, skip_tenants: Collection[uuid.UUID] = ()
) -> Sequence[tuple[uuid.UUID, str]]:
    return await repository.list_unchecked(session, resource=resource, limit=limit, skip_tenants=skip_tenants)


async def candidates_of_members(
    session: AsyncSession, *, tenant_id: uuid.UUID, member_urns: Sequence[str]
) -> dict[str, list[str]]:
    """Who each member is in the ATS: every candidate linked to it, however linked, first linked first."""
    return await repository.candidates_of_members(session, tenant_id=tenant_id, member_urns=member_urns)


async def hold(session: AsyncSession, tenant_id: uuid.UUID, candidate_ids: Collection[str]) -> None:
    """Take turns with any transaction linking these candidates or building their PUT (repository.hold)."""
    await repository.hold(session, tenant_id, candidate_ids)
