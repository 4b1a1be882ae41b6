"""A link by hand and LinkedIn's email match read back at the same time (docs/architecture.md#7-links): a
link made by a person is never replaced by the email match. Committed data on a database of this test's own
with the service's own pool, so the two transactions are on two connections, as in production."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.integrations.ats.events import parse_event
from rsc_service.links import service as link_service
from rsc_service.links.models import CandidateLink
from rsc_service.links_api import service as links_api
from rsc_service.mirror.changes import from_event
from rsc_service.push import service as push_service
from tests.committed import database_url, engine, sessionmaker, settings  # noqa: F401
from tests.factories import candidate, make_tenant

BY_HAND, BY_EMAIL = "urn:li:person:Race1", "urn:li:person:ByEmail"


async def test_a_link_by_hand_made_while_linkedins_match_is_read_back_is_not_overwritten(
    ctx: AppContext,
) -> None:
    """A user links a candidate to the right member by hand while the read-back records LinkedIn's email
    match of the wrong one: the user's link must stay, not silently revert to the email match."""
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: the read-back's transaction waits for the link's")
    async with ctx.sessionmaker.begin() as session:
        tenant = (await make_tenant(session, ctx)).tenant
    event = {
        "type": "candidate.created",
        "id": "evt_race_1",
        "occurred_at": "2026-11-20T09:01:00Z",
        "data": candidate("cand_1", 1, updated_at="2026-11-20T09:01:00Z"),
    }
    async with ctx.sessionmaker.begin() as session:
        change = from_event(parse_event(json.dumps(event)))
        await push_service.apply_ats_changes(session, [(tenant, change)], now=ctx.clock())
    async with ctx.sessionmaker.begin() as session:  # an earlier read-back: LinkedIn matched it by email
        await link_service.record_matches(
            session, tenant_id=tenant.id, matched={"cand_1": [BY_EMAIL]}, now=ctx.clock()
        )

    by_hand = ctx.sessionmaker()
    await by_hand.begin()
    await links_api.set_by_hand(
        by_hand, tenant=tenant, candidate_id="cand_1", member_urn=BY_HAND, ats_user_id="u1", now=ctx.clock()
    )

    async def read_back() -> None:
        async with ctx.sessionmaker.begin() as session:
            await link_service.record_matches(
                session, tenant_id=tenant.id, matched={"cand_1": [BY_EMAIL]}, now=ctx.clock()
            )

    reading = asyncio.create_task(read_back())
    await asyncio.sleep(0.5)
    assert not reading.done()  # it read no link made otherwise, and waits for the link's row
    await by_hand.commit()
    await by_hand.close()
    await asyncio.wait_for(reading, timeout=30)

    async with ctx.sessionmaker() as session:
        link = await session.scalar(select(CandidateLink).where(CandidateLink.ats_candidate_id == "cand_1"))
    assert link is not None and (link.member_urn, link.source) == (BY_HAND, "manual")
