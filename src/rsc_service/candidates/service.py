"""Candidates across the two systems: LinkedIn's email match read back, and links made by hand, by an
export or from a stub, after which the candidate is owed to LinkedIn again (docs/architecture.md#7-links)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rsc_service.integrations.linkedin import MAX_BATCH
from rsc_service.integrations.linkedin import wire as li
from rsc_service.links import service as link_service
from rsc_service.links.models import CandidateLink, LinkSource
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox import tenant_rows
from rsc_service.push import service as push_service
from rsc_service.push.candidates import CANDIDATES
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.apps import TenantApps


async def _unchecked_without_backlog(
    sessionmaker: async_sessionmaker[AsyncSession], *, limit: int, now: datetime
) -> dict[uuid.UUID, list[str]]:
    """The oldest unchecked candidates by tenant, of tenants that send and have no backlog. Other tenants
    are left out of the query itself, so one with `limit` unchecked candidates cannot hold up the rest."""
    async with sessionmaker() as session:
        # Paused, not yet sending, or deactivated (whose data at LinkedIn is being deleted): not read.
        skip = await tenant_service.paused_ids(session, now=now)
        while True:
            unchecked = await link_service.list_unchecked(
                session, resource=CANDIDATES.name, limit=limit, skip_tenants=skip
            )
            by_tenant: dict[uuid.UUID, list[str]] = {}
            for tenant_id, ats_candidate_id in unchecked:
                by_tenant.setdefault(tenant_id, []).append(ats_candidate_id)
            behind = {
                tenant_id
                for tenant_id in by_tenant
                if await outbox_service.has_backlog(session, tenant_id=tenant_id, rows=MAX_BATCH)
            }
            if not behind:
                return by_tenant
            skip |= behind  # grows every round: the loop ends once every tenant was looked at


async def read_back_matches(
    sessionmaker: async_sessionmaker[AsyncSession],
    apps: TenantApps,
    *,
    now: Callable[[], Awaitable[datetime]],
    limit: int = 500,
) -> int:
    """After candidates land, read LinkedIn's email match and record the link. Returns candidates read.

    One transaction per batch read, written in a few statements, so a failure loses at most that batch's
    answers (read again next time) and the database is held briefly. A tenant with a backlog of owed rows
    is left for a later run: its reads would spend the LinkedIn budget its pushes are waiting for.
    """
    by_tenant = await _unchecked_without_backlog(sessionmaker, limit=limit, now=await now())
    read = 0
    for tenant_id, ids in by_tenant.items():
        tenant = await apps.for_tenant(tenant_id)
        for start in range(0, len(ids), MAX_BATCH):
            keys = [
                li.CandidateKey(ats_candidate_id=i, integration_context=tenant.integration_context)
                for i in ids[start : start + MAX_BATCH]
            ]
            result = await tenant.app.get_candidates(keys)
            at = await now()
            async with sessionmaker.begin() as session:
                await link_service.record_matches(
                    session,
                    tenant_id=tenant_id,
                    matched={key.ats_candidate_id: match.matched_members for key, match in result.ok.items()},
                    now=at,
                )
            read += len(result.ok)
    return read


async def link(
    session: AsyncSession,
    *,
    tenant: push_service.TenantRef,
    ats_candidate_id: str,
    member_urn: str | None,
    source: LinkSource,
    now: datetime,
) -> CandidateLink:
    """Link (or, with member None, unlink) by hand, export or stub; the candidate is owed to LinkedIn again,
    its PUT now carrying the link. A candidate the mirror does not hold yet is owed by its webhook, which
    waits for this transaction to end, and then reads the link (links.repository.hold)."""
    await link_service.hold(session, tenant.id, [ats_candidate_id])
    made = await link_service.set_link(
        session,
        tenant_id=tenant.id,
        ats_candidate_id=ats_candidate_id,
        member_urn=member_urn,
        source=source,
        now=now,
    )
    await push_service.owe_again(session, tenant=tenant, kind="candidate", ats_id=ats_candidate_id, now=now)
    return made


# ---- one candidate, now: connect before alert (docs/in-ats.md#connect-before-alert) ---------------------


async def owe_unless_held(
    session: AsyncSession, *, tenant: push_service.TenantRef, ats_candidate_id: str, now: datetime
) -> bool:
    """Owe LinkedIn the candidate unless the outbox holds a row for it already (its webhook usually made one,
    and the drain sends it at once). Returns whether it was owed here."""
    if await tenant_rows.present(session, tenant.id, [f"{CANDIDATES.name}:{ats_candidate_id}"]):
        return False
    owed = await push_service.owe_again(
        session, tenant=tenant, kind="candidate", ats_id=ats_candidate_id, now=now
    )
    return owed is not None


async def read_back_match(
    sessionmaker: async_sessionmaker[AsyncSession],
    apps: TenantApps,
    *,
    tenant_id: uuid.UUID,
    ats_candidate_id: str,
    now: Callable[[], Awaitable[datetime]],
    deadline: float | None = None,
) -> bool:
    """`read_back_matches` for one candidate, at once: LinkedIn's email match read and recorded the same way
    (a link made otherwise is kept). False while the candidate's newest write has not landed on LinkedIn, or
    when LinkedIn could not answer for it: there was nothing to read yet.

    With a `deadline` (the event loop's clock), TimeoutError if LinkedIn has not answered by then. Only the
    wait for LinkedIn is bounded: a statement cut off half-way would cost its connection, and an answer
    that arrived in time is recorded."""
    landed = outbox_service.landed(CANDIDATES.name).subquery()
    async with sessionmaker() as session:
        held = await session.scalar(
            select(landed.c.key).where(landed.c.tenant_id == tenant_id, landed.c.key == ats_candidate_id)
        )
    if held is None:
        return False
    tenant = await apps.for_tenant(tenant_id)
    key = li.CandidateKey(ats_candidate_id=ats_candidate_id, integration_context=tenant.integration_context)
    async with asyncio.timeout_at(deadline):
        result = await tenant.app.get_candidates([key])
    match = result.ok.get(key)
    if match is None:
        return False
    async with sessionmaker.begin() as session:
        await link_service.record_matches(
            session, tenant_id=tenant_id, matched={ats_candidate_id: match.matched_members}, now=await now()
        )
    return True
