"""L1: LinkedIn's email match is read back after a candidate lands; a manual link is never overwritten."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service import bootstrap
from rsc_service.candidates import service as candidate_service
from rsc_service.context import AppContext
from rsc_service.links.models import CandidateLink, LinkSource
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage
from tests import observe
from tests.conftest import FrozenClock
from tests.factories import Ats, candidate, make_tenant
from tests.flows.conftest import drain

ORG = "urn:li:organization:1001"


async def _link(ctx: AppContext, ats_id: str) -> CandidateLink | None:
    async with ctx.sessionmaker() as session:
        return await session.scalar(select(CandidateLink).where(CandidateLink.ats_candidate_id == ats_id))


async def _read_back(ctx: AppContext) -> int:
    apps = bootstrap.tenant_apps(ctx)
    return await candidate_service.read_back_matches(ctx.sessionmaker, apps, now=ctx.db_now)


class TestMatchReadBack:
    async def test_email_match_is_recorded_after_the_candidate_lands(
        self, ats: Ats, dispatcher: Dispatcher, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        await ats.send("candidate.created", candidate(emails=[{"address": "dan@candidates.example"}]))
        await ats.send(
            "candidate.created", candidate("cand_2", emails=[{"address": "nobody@nowhere.example"}])
        )
        await drain(dispatcher, clock)

        assert await _read_back(ctx_li) == 2

        matched, unmatched = await _link(ctx_li, "cand_1"), await _link(ctx_li, "cand_2")
        assert matched is not None and matched.source == "email"
        assert matched.member_urn is not None and matched.member_urn.endswith("m1004")
        assert unmatched is not None and unmatched.member_urn is None
        assert await _read_back(ctx_li) == 0  # nothing new landed: nothing to read

    async def test_a_manual_link_is_sent_and_survives_the_next_read_back(
        self, ats: Ats, dispatcher: Dispatcher, ctx_li: AppContext, clock: FrozenClock, linkedin_sim: FastAPI
    ) -> None:
        await ats.send("candidate.created", candidate(emails=[{"address": "dan@candidates.example"}]))
        await drain(dispatcher, clock)
        await _read_back(ctx_li)

        async with ctx_li.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, ats.tenant_key)
            await candidate_service.link(
                session,
                tenant=tenant,
                ats_candidate_id="cand_1",
                member_urn="urn:li:person:m1005",
                source=LinkSource.MANUAL,
                now=clock(),
            )
        clock.advance(seconds=1)
        await drain(dispatcher, clock)
        await ats.send("candidate.updated", candidate(version=2, current_title="CTO"))
        await drain(dispatcher, clock)
        await _read_back(ctx_li)

        stored = linkedin_sim.state.world.record(
            "atsCandidates", atsCandidateId="cand_1", dataProvider="ATS", integrationContext=ORG
        )
        assert stored["manualMatchedMember"] == "urn:li:person:m1005"  # carried by the later full PUT too
        assert stored["currentJobTitle"] == "CTO"
        link = await _link(ctx_li, "cand_1")
        assert link is not None and (link.source, link.member_urn) == ("manual", "urn:li:person:m1005")


class TestReadBackCost:
    async def test_a_hundred_matches_are_written_in_a_few_statements(
        self, ats: Ats, dispatcher: Dispatcher, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        for n in range(100):
            address = "dan@candidates.example" if n == 0 else f"c{n}@nowhere.example"
            await ats.send("candidate.created", candidate(f"cand_{n:03d}", emails=[{"address": address}]))
        await drain(dispatcher, clock)
        with observe.statements(
            ctx_li.engine, lambda statement: "candidate_links" in statement
        ) as statements:
            read = await _read_back(ctx_li)

        assert read == 100
        assert len(statements) <= 5, statements  # one statement per candidate would be 100 and more
        matched = await _link(ctx_li, "cand_000")
        assert matched is not None and matched.member_urn is not None and matched.linked_at == clock()

    async def test_a_tenant_with_a_backlog_is_left_for_a_later_run(
        self, ats: Ats, dispatcher: Dispatcher, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        await ats.send("candidate.created", candidate("cand_1"))
        await drain(dispatcher, clock)  # landed: due for a read-back
        for n in range(100):  # then a backlog of owed pushes arrives
            await ats.send("candidate.created", candidate(f"cand_b{n:03d}"))

        while_behind = await _read_back(ctx_li)
        await drain(dispatcher, clock)
        caught_up = await _read_back(ctx_li)

        assert while_behind == 0  # the read would spend budget the pushes wait for
        assert caught_up == 101

    async def test_a_backlogged_tenant_does_not_hold_up_the_others(
        self,
        ats: Ats,
        client: httpx.AsyncClient,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        async with ctx_li.sessionmaker.begin() as session:
            registered = await make_tenant(
                session,
                ctx_li,
                linkedin_client_id="sim-customer",
                linkedin_client_secret="sim-customer-secret",
                linkedin_organization_urn=ORG,
            )
        other = Ats(client, clock, registered.tenant.key, registered.webhook_secret)
        for n in range(6):  # the busy tenant's candidates landed first: the oldest unchecked
            await ats.send("candidate.created", candidate(f"cand_a{n}"))
        await drain(dispatcher, clock)
        clock.advance(seconds=1)
        await other.send("candidate.created", candidate("cand_other"))
        await drain(dispatcher, clock)
        for n in range(100):  # then the busy tenant falls behind
            await ats.send("candidate.created", candidate(f"cand_b{n:03d}"))

        read = await candidate_service.read_back_matches(
            ctx_li.sessionmaker, bootstrap.tenant_apps(ctx_li), now=ctx_li.db_now, limit=5
        )

        assert read == 1  # the other tenant's candidate, though five of the busy one's are older
        checked = await _link(ctx_li, "cand_other")
        assert checked is not None and checked.checked_at is not None
        assert await _link(ctx_li, "cand_a0") is None

    async def test_a_tenant_that_no_longer_sends_is_not_read_back(
        self, ats: Ats, dispatcher: Dispatcher, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        await ats.send("candidate.created", candidate("cand_1"))
        await drain(dispatcher, clock)  # landed: due for a read-back
        async with ctx_li.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, ats.tenant_key)
            lifecycle.advance(
                session, tenant, Stage.DEACTIVATED, actor=lifecycle.OPERATOR, reason="t", now=clock()
            )

        assert await _read_back(ctx_li) == 0  # its data at LinkedIn is being deleted: nothing to read
        assert await _link(ctx_li, "cand_1") is None
