"""A link recorded while the new candidate's webhook is applied (docs/exports.md step 5: the export's
candidate's webhook "comes back like any other and its PUT carries `manualMatchedMember`"). Committed data on
a database of this module's own with a real pool, so the two transactions run on two connections, as in
production."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from rsc_service.candidates import service as candidate_service
from rsc_service.context import AppContext
from rsc_service.integrations.ats.events import parse_event
from rsc_service.links.models import CandidateLink, LinkSource
from rsc_service.mirror.changes import Change, from_event
from rsc_service.outbox.models import OutboxMessage
from rsc_service.push import service as push_service
from tests.committed import database_url, engine, sessionmaker, settings  # noqa: F401
from tests.factories import candidate, make_tenant

MEMBER = "urn:li:person:Race1"


def created() -> Change:
    event = {
        "type": "candidate.created",
        "id": "evt_race_1",
        "occurred_at": "2026-11-20T09:01:00Z",
        "data": candidate("cand_1", 1, current_title="Engineer", updated_at="2026-11-20T09:01:00Z"),
    }
    return from_event(parse_event(json.dumps(event)))


async def test_an_exports_link_recorded_while_the_new_candidates_webhook_is_applied_reaches_linkedin(
    ctx: AppContext,
) -> None:
    """The export's link was committed after the webhook had read the links and before it had stored the
    candidate: the candidate's PUT went without `manualMatchedMember` and nothing owed it again, so LinkedIn
    never learnt the link (and a candidate without an email address was a dead letter)."""
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: the webhook's transaction waits for the export's")
    async with ctx.sessionmaker.begin() as session:
        tenant = (await make_tenant(session, ctx)).tenant

    recording = ctx.sessionmaker()
    await recording.begin()
    # The export's recording transaction links the new candidate (exports/service.py process()); the
    # candidate is not in the mirror yet, so nothing is owed to LinkedIn here.
    await candidate_service.link(
        recording,
        tenant=tenant,
        ats_candidate_id="cand_1",
        member_urn=MEMBER,
        source=LinkSource.EXPORT,
        now=ctx.clock(),
    )

    async def webhook() -> None:  # the fake ATS sends it as soon as it has created the candidate
        async with ctx.sessionmaker.begin() as session:
            await push_service.apply_ats_changes(session, [(tenant, created())], now=ctx.clock())

    applying = asyncio.create_task(webhook())
    await asyncio.sleep(0.5)
    await recording.commit()
    await recording.close()
    await asyncio.wait_for(applying, timeout=30)

    async with ctx.sessionmaker() as session:
        link = await session.scalar(select(CandidateLink).where(CandidateLink.ats_candidate_id == "cand_1"))
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.tenant_id == tenant.id, OutboxMessage.key == "cand_1")
        )
    assert link is not None and (link.member_urn, link.source) == (MEMBER, "export")
    assert row is not None and row.payload is not None, row.refused if row else None
    assert row.payload.get("manualMatchedMember") == MEMBER, (row.state, row.revision, row.payload)


async def test_a_link_recorded_while_the_new_candidates_webhook_is_being_committed_reaches_linkedin(
    ctx: AppContext,
) -> None:
    """The other way round: the webhook's transaction stored the candidate but had not committed when the
    export linked it, so the link found no candidate to owe LinkedIn, and the webhook had read no link."""
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: the export's transaction waits for the webhook's")
    async with ctx.sessionmaker.begin() as session:
        tenant = (await make_tenant(session, ctx)).tenant

    applying = ctx.sessionmaker()
    await applying.begin()
    await push_service.apply_ats_changes(applying, [(tenant, created())], now=ctx.clock())

    async def export() -> None:
        async with ctx.sessionmaker.begin() as session:
            await candidate_service.link(
                session,
                tenant=tenant,
                ats_candidate_id="cand_1",
                member_urn=MEMBER,
                source=LinkSource.EXPORT,
                now=ctx.clock(),
            )

    recording = asyncio.create_task(export())
    await asyncio.sleep(0.5)
    await applying.commit()
    await applying.close()
    await asyncio.wait_for(recording, timeout=30)

    async with ctx.sessionmaker() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.tenant_id == tenant.id, OutboxMessage.key == "cand_1")
        )
    assert row is not None and row.payload is not None, row.refused if row else None
    assert row.payload.get("manualMatchedMember") == MEMBER, (row.state, row.revision, row.payload)
