"""When the push gives up, and on what: by time (a day of failures), never on our own configuration, never
on a huge Retry-After; and children of a dead letter become dead letters naming it, released with it."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy import select, update

from rsc_service import bootstrap
from rsc_service.context import AppContext
from rsc_service.crypto import Cipher
from rsc_service.outbox.dispatcher import Dispatcher, DispatchSettings
from rsc_service.push import service as push_service
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Tenant
from tests.conftest import FrozenClock
from tests.factories import Ats, application, candidate, job
from tests.flows.conftest import add_fault, clocked_dispatcher, drain, linkedin_world, outbox_rows


async def _run_for(dispatcher: Dispatcher, clock: FrozenClock, *, hours: float, step: float = 300) -> None:
    """Drain every `step` seconds of test time for `hours`."""
    for _ in range(int(hours * 3600 / step)):
        await dispatcher.drain_once()
        clock.advance(seconds=step)


class TestGivingUpByTime:
    async def test_an_hour_long_linkedin_outage_kills_nothing_and_everything_lands_after(
        self, ats: Ats, linkedin_http: httpx.AsyncClient, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        dispatcher = clocked_dispatcher(ctx_li, clock)
        for ats_id in ("cand_1", "cand_2"):
            await ats.send("candidate.created", candidate(ats_id))
        await add_fault(linkedin_http, kind="error", status=503, seconds=3600, pathPrefix="/v2/atsCandidates")

        await _run_for(dispatcher, clock, hours=1)
        rows = await outbox_rows(ctx_li)
        during = {key: (row.state, row.failing_since is not None) for key, row in rows.items()}
        clock.advance(minutes=15)  # the longest backoff
        await drain(dispatcher, clock)
        after = {key: (row.state, row.failing_since) for key, row in (await outbox_rows(ctx_li)).items()}

        assert set(during.values()) == {("pending", True)}  # an hour of failures, still trying
        assert set(after.values()) == {("done", None)}

    async def test_a_day_of_failures_is_a_dead_letter_saying_so(
        self, ats: Ats, linkedin_http: httpx.AsyncClient, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        dispatcher = clocked_dispatcher(ctx_li, clock)
        await ats.send("candidate.created", candidate())
        await add_fault(linkedin_http, kind="error", status=503, pathPrefix="/v2/atsCandidates")

        await _run_for(dispatcher, clock, hours=23.5, step=900)
        still = (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")].state
        await _run_for(dispatcher, clock, hours=1, step=900)
        row = (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")]

        assert still == "pending"
        assert row.state == "dead"
        assert row.last_error is not None and row.last_error.startswith("gave up after 24 h of failures")

    async def test_linkedin_not_configured_pauses_the_tenant_and_spends_no_attempt(
        self, ats: Ats, ctx: AppContext, clock: FrozenClock
    ) -> None:
        assert ctx.linkedin is None  # RSC_LINKEDIN__API_URL unset
        dispatcher = bootstrap.build(ctx, dispatch=DispatchSettings(concurrency=1)).dispatcher
        await ats.send("candidate.created", candidate())

        counts = await dispatcher.drain_once()

        row = (await outbox_rows(ctx))[("atsCandidates", "cand_1")]
        async with ctx.sessionmaker() as session:
            tenant = (await session.scalars(select(Tenant))).one()
        assert (counts.dead, row.state, row.attempts, row.failing_since) == (0, "pending", 0, None)
        assert tenant.sending_paused_until is not None and tenant.sending_paused_until > clock()
        assert tenant.sending_paused_reason is not None and "LinkedIn is not configured" in (
            tenant.sending_paused_reason
        )

    async def test_an_unreadable_linkedin_secret_pauses_the_tenant_and_spends_no_attempt(
        self, ats: Ats, ctx_li: AppContext, clock: FrozenClock, linkedin_sim: FastAPI
    ) -> None:
        # An old key retired before `rotate-keys` re-sealed the secret: no configured key opens it.
        async with ctx_li.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, ats.tenant_key)
            readable = tenant.linkedin_client_secret_enc
            lost_key = Cipher([Fernet.generate_key().decode()])
            sealed = lost_key.encrypt(
                "sim-customer-secret", tenant_id=str(tenant.id), column="linkedin_client_secret"
            )
            await session.execute(
                update(Tenant).where(Tenant.id == tenant.id).values(linkedin_client_secret_enc=sealed)
            )
        dispatcher = clocked_dispatcher(ctx_li, clock)
        await ats.send("candidate.created", candidate())

        started = clock()
        await _run_for(dispatcher, clock, hours=25, step=900)  # longer than a day of failures would last
        row = (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")]
        async with ctx_li.sessionmaker() as session:
            paused = await tenant_service.get_by_key(session, ats.tenant_key)
        async with ctx_li.sessionmaker.begin() as session:  # the key is found again
            await session.execute(
                update(Tenant).where(Tenant.id == tenant.id).values(linkedin_client_secret_enc=readable)
            )
        clock.advance(minutes=5)  # the pause
        await drain(dispatcher, clock)
        after = (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")]

        assert (row.state, row.attempts, row.failing_since) == ("pending", 0, None)
        # Paused again after each pause, all day long.
        assert paused.sending_paused_until is not None
        assert paused.sending_paused_until > started + timedelta(hours=24)
        reason = paused.sending_paused_reason or ""
        assert "linkedin_client_secret cannot be decrypted with the configured keys" in reason, reason
        assert "sim-customer-secret" not in reason and sealed not in reason
        assert row.last_error is not None and "sim-customer-secret" not in row.last_error
        assert after.state == "done"
        candidates = linkedin_world(linkedin_sim).collection("atsCandidates")
        assert candidates.where(atsCandidateId="cand_1")

    @pytest.mark.parametrize(
        ("retry_after", "wait"),
        [(999_999_999, timedelta(days=1)), (0, timedelta(seconds=1)), (-5, timedelta(seconds=1))],
        ids=["huge", "nothing", "negative"],
    )
    async def test_a_retry_after_outside_a_second_to_a_day_waits_the_nearer_bound_without_an_attempt(
        self,
        ats: Ats,
        linkedin_http: httpx.AsyncClient,
        ctx_li: AppContext,
        clock: FrozenClock,
        retry_after: int,
        wait: timedelta,
    ) -> None:
        dispatcher = clocked_dispatcher(ctx_li, clock)
        await ats.send("candidate.created", candidate("cand_1"))
        await add_fault(
            linkedin_http, kind="throttle", retryAfter=retry_after, count=1, pathPrefix="/v2/atsCandidates"
        )

        counts = await dispatcher.drain_once()

        row = (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")]
        assert counts.dead == 0
        assert (row.state, row.attempts, row.failing_since) == ("pending", 0, None)
        assert row.next_attempt_at == clock() + wait


class TestChildrenOfADeadLetter:
    async def test_they_become_dead_letters_naming_it_and_a_fixed_parent_releases_them(
        self, ats: Ats, dispatcher: Dispatcher, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        await ats.send("job.created", job())
        # LinkedIn refuses a candidate without a first name (docs/linkedin.md#candidates).
        await ats.send("candidate.created", candidate(first_name=""))
        await ats.send("application.created", application())

        await drain(dispatcher, clock)
        blocked = await outbox_rows(ctx_li)
        await ats.send("candidate.updated", candidate(version=2, first_name="Ada"))
        await drain(dispatcher, clock)
        fixed = await outbox_rows(ctx_li)

        assert blocked[("atsCandidates", "cand_1")].state == "dead"
        child = blocked[("atsApplications", "app_1")]
        assert (child.state, child.blocked_by) == ("dead", "atsCandidates:cand_1")
        assert child.last_error is not None and child.last_error.startswith(
            "waits for atsCandidates:cand_1, a dead letter"
        )
        stage = blocked[("atsApplications/stages", "app_1-0")]  # waits for the application, in turn
        assert (stage.state, stage.blocked_by) == ("dead", "atsApplications:app_1")
        assert {key: row.state for key, row in fixed.items() if row.state != "done"} == {}

    async def test_replaying_the_parent_releases_them(
        self,
        ats: Ats,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
        linkedin_http: httpx.AsyncClient,
    ) -> None:
        await ats.send("job.created", job())
        await ats.send("candidate.created", candidate())
        await ats.send("application.created", application())
        # LinkedIn refuses the candidate this once (a per-key 4xx makes it a dead letter at once).
        await add_fault(linkedin_http, kind="error", status=400, count=1, pathPrefix="/v2/atsCandidates")
        await drain(dispatcher, clock)
        before = {key: row.state for key, row in (await outbox_rows(ctx_li)).items() if row.state == "dead"}

        async with ctx_li.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, ats.tenant_key)
            parent = (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")]
            replayed = await push_service.replay_dead_letters(
                session, tenant=tenant, ids=[parent.id], replay_all=False, now=clock()
            )
        await drain(dispatcher, clock)
        after = await outbox_rows(ctx_li)

        assert set(before) == {
            ("atsCandidates", "cand_1"),
            ("atsApplications", "app_1"),
            ("atsApplications/stages", "app_1-0"),
        }
        assert replayed.replayed == [parent.id]
        assert {key: row.state for key, row in after.items() if row.state != "done"} == {}


class TestAParentNeverReceived:
    async def test_the_child_says_what_it_waits_for_gives_up_in_a_day_and_the_parent_releases_it(
        self, ats: Ats, dispatcher: Dispatcher, ctx_li: AppContext, clock: FrozenClock, linkedin_sim: FastAPI
    ) -> None:
        # The job's webhook was lost: the application names a job the service never receives.
        await ats.send("candidate.created", candidate())
        await ats.send("application.created", application(job_id="job_never"))

        await _run_for(dispatcher, clock, hours=1)
        waiting = await outbox_rows(ctx_li)
        await _run_for(dispatcher, clock, hours=25, step=900)
        gave_up = await outbox_rows(ctx_li)
        await ats.send("job.created", job("job_never"))  # the ATS sends it again at last
        await drain(dispatcher, clock, rounds=20)
        after = await outbox_rows(ctx_li)

        child = waiting[("atsApplications", "app_1")]
        assert (child.state, child.attempts, child.blocked_by) == ("pending", 0, None)
        assert child.last_error == "waiting for simpleJobPostings:job_never, which was never received"
        stage = waiting[("atsApplications/stages", "app_1-0")]
        assert (stage.state, stage.last_error) == ("pending", "waiting for atsApplications:app_1 to land")
        child = gave_up[("atsApplications", "app_1")]
        assert (child.state, child.blocked_by) == ("dead", "simpleJobPostings:job_never")
        assert child.last_error == (
            "gave up after 24 h waiting for simpleJobPostings:job_never, which was never received"
        )
        stage = gave_up[("atsApplications/stages", "app_1-0")]
        assert (stage.state, stage.blocked_by) == ("dead", "atsApplications:app_1")
        assert {key: (row.state, row.last_error) for key, row in after.items() if row.state != "done"} == {}
        applications = linkedin_world(linkedin_sim).collection("atsApplications")
        assert applications.where(atsJobApplicationId="app_1")
