"""L3 on several replicas (PostgreSQL): two changes by hand of the same candidate's link at once. The second
takes the candidate's turn before it reads the link it replaces, so it sees what the first made: an unlink
that would leave an unmatchable candidate unlinked is refused (409 `unlink_unsendable`,
docs/in-ats.md#links-by-hand-l3), and each audit row names the member really replaced. Committed data on a
database of this test's own with the service's own pool, so the transactions are on two connections."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.links.models import CandidateLink
from rsc_service.links_api import service as links_api
from rsc_service.links_api.models import LinkChange
from rsc_service.tenants import service as tenant_service
from tests.committed import database_url, engine, sessionmaker, settings  # noqa: F401
from tests.conftest import FrozenClock
from tests.factories import Ats, candidate, make_tenant

FIRST, SECOND = "urn:li:person:first", "urn:li:person:second"
CANDIDATE = "cand_x"


async def _tenant(ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock) -> uuid.UUID:
    """A tenant whose candidate has no email and no LinkedIn profile URL: only its link lets LinkedIn match
    it, as for a candidate exported from Recruiter."""
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("replicas share the work on PostgreSQL; SQLite has one writer")
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(session, ctx)
    ats = Ats(client, clock, registered.tenant.key, registered.webhook_secret, registered.api_key)
    sent = await ats.send("candidate.created", candidate(CANDIDATE, emails=[], linkedin_url=None))
    assert sent.status_code == 202, sent.text
    return registered.tenant.id


async def _race(ctx: AppContext, clock: FrozenClock, tenant_id: uuid.UUID, second: str | None) -> str:
    """Links the candidate to FIRST in a transaction left open, then starts the change to `second` (None:
    unlink), which must wait for the first; commits the first. What the second did."""
    linking = ctx.sessionmaker()
    await linking.begin()
    tenant = await tenant_service.get(linking, tenant_id)
    await links_api.set_by_hand(
        linking, tenant=tenant, candidate_id=CANDIDATE, member_urn=FIRST, ats_user_id="u_1", now=clock()
    )

    async def change() -> str:
        async with ctx.sessionmaker.begin() as session:
            other = await tenant_service.get(session, tenant_id)
            try:
                await links_api.set_by_hand(
                    session, tenant=other, candidate_id=CANDIDATE, member_urn=second, ats_user_id="u_2",
                    now=clock(),
                )  # fmt: skip
            except links_api.UnlinkUnsendable:
                return "refused"
        return "changed"

    racing = asyncio.create_task(change())
    try:
        await asyncio.sleep(0.5)
        assert not racing.done()  # waiting for the candidate's turn
        await linking.commit()
    finally:
        await linking.close()
    return await asyncio.wait_for(racing, 10)


async def _outcome(
    ctx: AppContext, tenant_id: uuid.UUID
) -> tuple[str | None, list[tuple[str | None, str | None, str]]]:
    async with ctx.sessionmaker() as session:
        link = await session.scalar(select(CandidateLink).where(CandidateLink.tenant_id == tenant_id))
        changes = (
            await session.scalars(
                select(LinkChange).where(LinkChange.tenant_id == tenant_id).order_by(LinkChange.id)
            )
        ).all()
    assert link is not None
    return link.member_urn, [(c.member_before, c.member_after, c.actor) for c in changes]


async def test_an_unlink_racing_a_link_of_an_unmatchable_candidate_is_refused(
    ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    tenant_id = await _tenant(ctx, client, clock)

    outcome = await _race(ctx, clock, tenant_id, None)

    # As one after the other: the candidate is linked, and unmatchable without the link.
    assert (outcome, *await _outcome(ctx, tenant_id)) == ("refused", FIRST, [(None, FIRST, "ats_user:u_1")])


async def test_a_link_racing_a_link_records_the_member_it_replaced(
    ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    tenant_id = await _tenant(ctx, client, clock)

    outcome = await _race(ctx, clock, tenant_id, SECOND)

    assert (outcome, *await _outcome(ctx, tenant_id)) == (
        "changed",
        SECOND,
        [(None, FIRST, "ats_user:u_1"), (FIRST, SECOND, "ats_user:u_2")],
    )
