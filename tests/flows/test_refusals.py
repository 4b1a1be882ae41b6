"""Whole-request refusals and lost leases: a 403 pauses the tenant, a 429 waits, a stale settle is void."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import structlog.testing
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.tenants.models import Tenant
from tests.conftest import FrozenClock
from tests.factories import Ats, candidate
from tests.flows.conftest import (
    HeldAnswers,
    add_fault,
    clocked_dispatcher,
    linkedin_world,
    outbox_rows,
    two_replicas,
)

ORG = "urn:li:organization:1001"


def stored_title(sim: FastAPI, ats_id: str) -> str | None:
    record = linkedin_world(sim).record(
        "atsCandidates", atsCandidateId=ats_id, dataProvider="ATS", integrationContext=ORG
    )
    return None if record is None else record.get("currentJobTitle")


class TestRefusals:
    async def test_a_403_for_the_whole_request_pauses_the_tenant_and_kills_nothing(
        self,
        ats: Ats,
        linkedin_http: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        dispatcher = clocked_dispatcher(ctx_li, clock)
        await ats.send("candidate.created", candidate("cand_1"))
        await ats.send("candidate.created", candidate("cand_2"))
        disabled = await linkedin_http.post("/_sim/admin/enable", json={"enabled": False})
        assert disabled.status_code == 200, disabled.text

        counts = await dispatcher.drain_once()

        assert counts.dead == 0
        async with ctx_li.sessionmaker() as session:
            tenant = (await session.scalars(select(Tenant))).one()
        assert tenant.sending_paused_until is not None and tenant.sending_paused_until > clock()
        assert tenant.sending_paused_reason is not None and "403" in tenant.sending_paused_reason
        rows = await outbox_rows(ctx_li)
        assert {row.state for row in rows.values()} == {"pending"}
        assert all(row.attempts == 0 for row in rows.values())
        # Paused: nothing is even claimed until the pause ends, not even a change due at once.
        await ats.send("candidate.created", candidate("cand_3"))
        assert (await dispatcher.drain_once()).claimed == 0

        await linkedin_http.post("/_sim/admin/enable", json={"enabled": True})
        clock.advance(minutes=6)
        resumed = await dispatcher.drain_once()

        assert resumed.sent == 3
        assert stored_title(linkedin_sim, "cand_1") == "Engineer"

    async def test_a_429_with_retry_after_waits_without_counting_an_attempt(
        self,
        ats: Ats,
        linkedin_http: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        dispatcher = clocked_dispatcher(ctx_li, clock)
        await ats.send("candidate.created", candidate("cand_1"))
        await add_fault(
            linkedin_http, kind="throttle", retryAfter=30, count=1, pathPrefix="/v2/atsCandidates"
        )
        started = clock()

        counts = await dispatcher.drain_once()

        assert (counts.sent, counts.dead) == (0, 0)
        row = (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")]
        assert row.state == "pending" and row.attempts == 0
        assert row.next_attempt_at.replace(tzinfo=started.tzinfo) == started + timedelta(seconds=30)
        assert (await dispatcher.drain_once()).claimed == 0  # not due before LinkedIn's Retry-After

        clock.advance(seconds=30)
        later = await dispatcher.drain_once()

        assert later.sent == 1
        assert stored_title(linkedin_sim, "cand_1") == "Engineer"

    async def test_a_stale_workers_settle_changes_nothing(
        self,
        ats: Ats,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        held = HeldAnswers(httpx.ASGITransport(app=linkedin_sim))
        async with two_replicas(ctx_li, clock, held) as (stale, fresh):
            await ats.send("candidate.created", candidate("cand_1", current_title="v1"))

            first = asyncio.create_task(stale.drain_once())
            await asyncio.wait_for(held.held.wait(), 5)
            # The first worker's answer is late past its lease; the row is taken over with a newer version.
            clock.advance(seconds=121)
            await ats.send("candidate.updated", candidate("cand_1", version=2, current_title="v2"))
            taken_over = await fresh.drain_once()
            assert taken_over.sent == 1
            settled = (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")]
            before = (
                settled.state,
                settled.revision,
                settled.sent_revision,
                settled.attempts,
                settled.landed_at,
            )

            held.release.set()
            with structlog.testing.capture_logs() as logged:
                late = await asyncio.wait_for(first, 5)

        assert (late.sent, late.retried, late.dead) == (0, 0, 0)
        row = (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")]
        assert (row.state, row.revision, row.sent_revision, row.attempts, row.landed_at) == before
        assert row.state == "done" and row.lease_token is None
        assert stored_title(linkedin_sim, "cand_1") == "v2"
        assert [entry["event"] for entry in logged] == ["outbox.stale_settle"]
