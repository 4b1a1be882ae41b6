"""Who is who: LinkedIn's email match read back (L1), and links made by hand, by export or from a stub."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.candidates import repository
from rsc_service.mirror import service as mirror_service
from rsc_service.mirror.models import CandidateLink
from rsc_service.tenants.models import Tenant


class LinkSource(StrEnum):
    EMAIL = "email"
    EXPORT = "export"
    MANUAL = "manual"
    INMAIL_STUB = "inmail_stub"


async def record_match(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    ats_candidate_id: str,
    matched: Sequence[str],
    now: datetime,
) -> CandidateLink:
    """Record LinkedIn's own email match. A link made by a person, an export or a stub is never replaced."""
    link = await repository.find_link(session, tenant_id=tenant_id, ats_candidate_id=ats_candidate_id)
    if link is not None and link.source != LinkSource.EMAIL and link.member_urn is not None:
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


async def link(
    session: AsyncSession,
    *,
    tenant: Tenant,
    ats_candidate_id: str,
    member_urn: str | None,
    source: LinkSource,
    now: datetime,
) -> CandidateLink:
    """Link (or, with member None, unlink) by hand, export or stub; the candidate is re-owed to LinkedIn."""
    created = await repository.upsert_link(
        session,
        tenant_id=tenant.id,
        ats_candidate_id=ats_candidate_id,
        member_urn=member_urn,
        source=source,
        now=now,
        checked=False,
    )
    await mirror_service.rebuild(
        session, tenant=tenant, resource="atsCandidates", key=ats_candidate_id, path_parent=None, now=now
    )
    return created


async def find_link(
    session: AsyncSession, *, tenant_id: uuid.UUID, ats_candidate_id: str
) -> CandidateLink | None:
    return await repository.find_link(session, tenant_id=tenant_id, ats_candidate_id=ats_candidate_id)


async def list_unchecked(session: AsyncSession, *, limit: int) -> Sequence[tuple[uuid.UUID, str]]:
    return await repository.list_unchecked(session, limit=limit)
