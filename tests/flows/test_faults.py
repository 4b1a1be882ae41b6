"""A large push through 5xx, 429 (with and without Retry-After) and resets: nothing missing, stale or dead."""

from __future__ import annotations

import os
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from rsc_service.context import AppContext
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox.dispatcher import Counts, Dispatcher
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.push.fields import PushContext
from rsc_service.push.registry import RESOURCES
from rsc_service.tenants.models import Tenant
from tests.conftest import FrozenClock
from tests.factories import Ats, candidate
from tests.flows.conftest import add_fault, clocked_dispatcher, linkedin_world, outbox_rows

ORG = "urn:li:organization:1001"
RECORDS = int(os.environ.get("RSC_FAULT_TEST_RECORDS", "5000"))
UPDATED = RECORDS // 5  # changed again while the push is under way


def title(ats_id: str, version: int) -> str:
    return f"{ats_id} v{version}"


async def owe(ctx: AppContext, clock: FrozenClock, records: list[dict[str, Any]], *, bulk: bool) -> None:
    """The outbox rows the mirror would owe for these candidates (the webhook hop is covered elsewhere).

    `bulk` writes first revisions in one go, as enqueue() would create them; otherwise enqueue() runs.
    """
    now = clock()
    async with ctx.sessionmaker.begin() as session:
        tenant = (await session.scalars(select(Tenant))).one()
        push_ctx = PushContext(integration_context=tenant.linkedin_organization_urn)
        for data in records:
            (intent,) = RESOURCES.intents_for("candidate", data, deleted=False, ctx=push_ctx)
            if not bulk:
                owed = outbox_service.Owed(tenant.id, [intent], data["version"])
                await outbox_service.enqueue(session, [owed], now=now)
                continue
            session.add(
                OutboxMessage(
                    tenant_id=tenant.id,
                    resource=intent.resource,
                    key=intent.key,
                    path_parent=None,
                    depends_on=[],
                    op=intent.op,
                    payload=intent.payload,
                    revision=1,
                    source_version=data["version"],
                    state=State.PENDING,
                    task_ids=[],
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )


async def unsettled(ctx: AppContext) -> int:
    async with ctx.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).where(OutboxMessage.state.not_in([State.DONE, State.DEAD]))
        )
    return int(count or 0)


async def next_due(ctx: AppContext) -> Any:
    async with ctx.sessionmaker() as session:
        return await session.scalar(
            select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.state == State.PENDING)
        )


async def drain_all(
    dispatcher: Dispatcher, ctx: AppContext, clock: FrozenClock, *, limit: int = 400
) -> Counts:
    """Drain until every row is settled, moving the clock to the next due row whenever none is due."""
    total = Counts()
    for _ in range(limit):
        counts = await dispatcher.drain_once()
        total.add(counts)
        if counts.claimed == 0:
            if await unsettled(ctx) == 0:
                return total
            due = await next_due(ctx)
            # A second past the next due row, so the retries that jitter spread out go together again.
            if due is not None and due.replace(tzinfo=clock().tzinfo) > clock():
                clock.now = due.replace(tzinfo=clock().tzinfo)
            clock.advance(seconds=1)
    async with ctx.sessionmaker() as session:
        left = (
            await session.execute(
                select(OutboxMessage.state, func.count(), func.min(OutboxMessage.next_attempt_at))
                .where(OutboxMessage.state.not_in([State.DONE, State.DEAD]))
                .group_by(OutboxMessage.state)
            )
        ).all()
    raise AssertionError(f"unsettled after {limit} rounds at {clock()}: {left}; {total}")


class TestTransientFaults:
    async def test_large_push_through_5xx_429_and_resets(
        self,
        ats: Ats,
        linkedin_http: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        ids = [f"cand_{n:05d}" for n in range(RECORDS)]
        await owe(ctx_li, clock, [candidate(i, current_title=title(i, 1)) for i in ids], bulk=True)
        prefix = "/v2/atsCandidates"
        # Rules are tried in order, each on the requests the ones before let through: of all requests about
        # 20% get a 503, 5% a 429 with Retry-After, 5% a 429 without, 5% a reset, and 6.5% a 500.
        await add_fault(linkedin_http, kind="error", status=503, share=0.2, pathPrefix=prefix)
        await add_fault(linkedin_http, kind="throttle", retryAfter=3, share=0.0625, pathPrefix=prefix)
        await add_fault(linkedin_http, kind="throttle", share=0.0667, pathPrefix=prefix)
        await add_fault(linkedin_http, kind="reset", share=0.0714, pathPrefix=prefix)
        await add_fault(linkedin_http, kind="error", status=500, share=0.1, pathPrefix=prefix)
        dispatcher = clocked_dispatcher(ctx_li, clock, seed=7)

        first = await dispatcher.drain_once()
        await owe(
            ctx_li, clock, [candidate(i, 2, current_title=title(i, 2)) for i in ids[:UPDATED]], bulk=False
        )
        total = await drain_all(dispatcher, ctx_li, clock)
        total.add(first)

        faults = (await linkedin_http.get("/_sim/faults")).json()["elements"]
        hits = {(rule["kind"], rule["status"], rule["retryAfter"]): rule["hits"] for rule in faults}
        assert all(count > 0 for count in hits.values()), hits  # every kind of fault did happen
        assert total.retried > 0
        rows = await outbox_rows(ctx_li)
        assert {row.state for row in rows.values()} == {"done"}, total
        world = linkedin_world(linkedin_sim)
        assert len(world.collection("atsCandidates").records) == RECORDS  # 0 missing
        stale = [
            ats_id
            for n, ats_id in enumerate(ids)
            if (
                world.record(
                    "atsCandidates", atsCandidateId=ats_id, dataProvider="ATS", integrationContext=ORG
                )
                or {}
            ).get("currentJobTitle")
            != title(ats_id, 2 if n < UPDATED else 1)
        ]
        assert stale == []
