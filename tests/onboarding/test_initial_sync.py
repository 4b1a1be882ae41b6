"""The initial sync (A4) from an `enabled` tenant to `active`: the walk of the fake ATS, the push to the
LinkedIn simulator, resuming after a crash, the pace, the two-year cutoff for jobs, records webhooked before
the organization was connected, the one activation email, the progress API, and the dry run (O8)."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service import scheduler
from rsc_service.context import AppContext
from rsc_service.mirror.models import AtsRecord
from rsc_service.onboarding import initial_sync
from rsc_service.onboarding.initial_sync_walk import JOB_HISTORY, KINDS
from rsc_service.onboarding.jobs import advance_all
from rsc_service.onboarding.models import SetupProgress
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.simulators.ats import seed
from rsc_service.simulators.ats.records import iso
from rsc_service.tenants import lifecycle
from rsc_service.tenants.models import Stage, StageChange, Tenant
from tests.conftest import FrozenClock
from tests.factories import Ats, make_tenant
from tests.flows.conftest import clocked_dispatcher, drain
from tests.onboarding.conftest import ATS_TOKEN, ATS_URL, World

ORGANIZATION = "urn:li:organization:1001"
SYNC_PATHS = ("/v2/", "/rest/")


@pytest.fixture
def linkedin_seed() -> dict[str, Any]:
    return {}  # LinkedIn's default world: child app sim-customer of organization 1001, integrations enabled


class Customer:
    def __init__(self, tenant: Tenant, api_key: str, webhook_secret: str) -> None:
        self.id, self.key = tenant.id, tenant.key
        self.api_key, self.webhook_secret = api_key, webhook_secret

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


async def registered(
    world: World, clock: FrozenClock, *, organization: str | None = ORGANIZATION, admin: str | None = None
) -> Customer:
    """A tenant with the simulator's child app, as registering one leaves it (`active`); `organization` None
    is a customer that has not connected its organization yet."""
    async with world.ctx.sessionmaker.begin() as session:
        made = await make_tenant(
            session,
            world.ctx,
            ats_base_url=ATS_URL,
            ats_token=ATS_TOKEN,
            linkedin_client_id="sim-customer",
            linkedin_client_secret="sim-customer-secret",
            linkedin_app_urn="urn:li:developerApplication:101",
            linkedin_unique_foreign_id="sim-customer",
            linkedin_organization_urn=ORGANIZATION,
        )
        made.tenant.linkedin_organization_urn = organization
        made.tenant.activated_by_user_id = admin
    return Customer(made.tenant, made.api_key, made.webhook_secret)


async def enable(
    world: World, clock: FrozenClock, customer: Customer, *, organization: str = ORGANIZATION
) -> None:
    """Move the tenant to `enabled` through the stages a returning customer takes, its organization set."""
    async with world.ctx.sessionmaker.begin() as session:
        tenant = await session.get(Tenant, customer.id)
        assert tenant is not None
        tenant.linkedin_organization_urn = organization
        for stage in (Stage.DEACTIVATED, Stage.REQUESTED, Stage.PARTNER_READY, Stage.ENABLED):
            lifecycle.advance(session, tenant, stage, actor=lifecycle.OPERATOR, reason="test", now=clock())


async def enabled_tenant(world: World, clock: FrozenClock, *, admin: str | None = None) -> Customer:
    customer = await registered(world, clock, admin=admin)
    await enable(world, clock, customer)
    return customer


def admin_user(world: World) -> str:
    user = world.ats.create(
        "user",
        {"email": "olga@acme.example", "first_name": "Olga", "last_name": "Owner", "access_level": "owner"},
    )
    return str(user["id"])


def old_job(world: World, clock: FrozenClock, *, status: str, years: float = 3) -> dict[str, Any]:
    """A job last changed `years` ago (created and, if closed, closed then)."""
    at = iso((clock() - timedelta(days=365 * years)).timestamp())
    job = world.ats.create(
        "job",
        {
            "title": f"Old {status} job",
            "description": "From long ago.",
            "status": status,
            "location": {"city": "Austin", "region": "TX", "country": "US"},
        },
        emit=False,
    )
    job |= {"created_at": at, "updated_at": at, "closed_at": at if status == "closed" else None}
    world.ats.store(job)
    return job


async def stage_of(ctx: AppContext, customer: Customer) -> Stage:
    async with ctx.sessionmaker() as session:
        tenant = await session.get(Tenant, customer.id, populate_existing=True)
        assert tenant is not None
        return tenant.stage


async def run_until_active(
    world: World,
    dispatcher: Dispatcher,
    clock: FrozenClock,
    customer: Customer,
    *,
    rounds: int = 20,
    bound: int | None = None,
) -> int:
    """The job every minute and the drain in between, until the tenant is active; returns the runs."""
    for run in range(1, rounds + 1):
        await advance_all(world.ctx, seconds=60, bound=bound)
        if await stage_of(world.ctx, customer) is Stage.ACTIVE:
            return run
        await drain(dispatcher, clock)
        clock.advance(seconds=60)
    raise AssertionError("the tenant never became active")


def linkedin_requests(world: World) -> list[dict[str, Any]]:
    return [r for r in world.li.requests if r["path"].startswith(SYNC_PATHS)]


async def outbox(ctx: AppContext, customer: Customer) -> list[OutboxMessage]:
    async with ctx.sessionmaker() as session:
        return list(
            (await session.scalars(select(OutboxMessage).where(OutboxMessage.tenant_id == customer.id))).all()
        )


def minimum_requests(rows: list[OutboxMessage]) -> int:
    """The fewest requests LinkedIn could take for these rows: a batch of 100 per resource, one per parent of
    a sub-collection, and for job postings one post and one read of their tasks per batch."""
    groups = Counter((row.resource, row.path_parent) for row in rows)
    total = sum(math.ceil(n / 100) for n in groups.values())
    jobs = sum(1 for row in rows if row.resource == "simpleJobPostings")
    return total + math.ceil(jobs / 100)


def expected_jobs(world: World, cutoff: datetime) -> set[str]:
    return {
        job["id"]
        for job in world.ats.stores["job"].live()
        if job["status"] == "open" or datetime.fromisoformat(job["updated_at"]) >= cutoff
    }


def expected(world: World, clock: FrozenClock) -> dict[str, set[str]]:
    """What the sync should push, from the fake ATS's own records."""
    jobs = expected_jobs(world, clock() - JOB_HISTORY)
    candidates = {c["id"] for c in world.ats.stores["candidate"].live()}
    applications = {
        a["id"]
        for a in world.ats.stores["application"].live()
        if a["job_id"] in jobs and a["candidate_id"] in candidates
    }
    notes = {
        n["id"]
        for n in world.ats.stores["note"].live()
        if (n.get("application_id") in applications)
        or (not n.get("application_id") and n["candidate_id"] in candidates)
    }
    feedback = {
        f["id"] for f in world.ats.stores["interview_feedback"].live() if f["application_id"] in applications
    }
    return {
        "job": jobs,
        "candidate": candidates,
        "application": applications,
        "note": notes,
        "feedback": feedback,
    }


def at_linkedin(world: World) -> dict[str, set[str]]:
    """The ATS ids of what the LinkedIn simulator holds, per kind."""

    def keys(collection: str, field: str) -> set[str]:
        return {dict(key)[field] for key in world.li.collection(collection).records}

    return {
        "job": keys("simpleJobPostings", "externalJobPostingId"),
        "candidate": keys("atsCandidates", "atsCandidateId"),
        "application": keys("atsApplications", "atsJobApplicationId"),
        "note": keys("candidateNotes", "noteId") | keys("applicationNotes", "noteId"),
        "feedback": keys("interviewFeedback", "interviewFeedbackId"),
    }


class TestInitialSync:
    async def test_an_enabled_tenant_is_synced_made_active_and_its_admin_emailed_once(
        self, world: World, clock: FrozenClock
    ) -> None:
        admin = admin_user(world)
        seed.generate(world.ats, users=5, jobs=12, candidates=250, seed=7)
        kept, dropped = old_job(world, clock, status="open"), old_job(world, clock, status="closed")
        candidate = next(iter(world.ats.stores["candidate"].live()))
        orphan = world.ats.create("application", {"candidate_id": candidate["id"], "job_id": dropped["id"]})
        world.ats.create(
            "note", {"candidate_id": candidate["id"], "application_id": orphan["id"], "body": "Old news."}
        )
        unmatchable = world.ats.create("candidate", {"first_name": "Nemo", "last_name": "Nobody"})
        customer = await enabled_tenant(world, clock, admin=admin)
        dispatcher = clocked_dispatcher(world.ctx, clock)

        await run_until_active(world, dispatcher, clock, customer)

        want = expected(world, clock)
        assert kept["id"] in want["job"] and dropped["id"] not in want["job"]
        assert orphan["id"] not in want["application"]
        want["candidate"].discard(unmatchable["id"])  # refused as built: a dead letter, reported
        assert at_linkedin(world) == want
        rows = await outbox(world.ctx, customer)
        assert {(row.resource, row.key) for row in rows if row.state is not State.DONE} == {
            ("atsCandidates", unmatchable["id"])
        }
        async with world.ctx.sessionmaker() as session:
            changes = (
                await session.scalars(
                    select(StageChange).where(StageChange.tenant_id == customer.id).order_by(StageChange.id)
                )
            ).all()
        assert [(c.from_stage, c.to_stage, c.actor) for c in changes][-2:] == [
            (Stage.ENABLED, Stage.INITIAL_SYNC, "service"),
            (Stage.INITIAL_SYNC, Stage.ACTIVE, "service"),
        ]
        emails = list(world.ats.stores["user_email"].records.values())
        assert [(e["user_id"], e["to"], e["subject"]) for e in emails] == [
            (admin, "olga@acme.example", initial_sync.SUBJECT)
        ]
        assert f"{len(want['candidate']) + 1:,} candidates" in emails[0]["body"]
        assert "1 records could not be sent" in emails[0]["body"]

        progress = await world.client.get("/v1/integration/initial-sync", headers=customer.auth)
        assert progress.status_code == 200, progress.text
        body = progress.json()
        assert body["stage"] == "active" and body["walked"] and body["email_sent"] is True
        assert body["eta_seconds"] == 0 and body["eta_partial"] is False
        kinds = {k["kind"]: k for k in body["kinds"]}
        assert list(kinds) == list(KINDS)
        assert kinds["candidate"]["walked"] == kinds["candidate"]["total"] == len(want["candidate"]) + 1
        assert kinds["candidate"]["dead"] == 1
        assert kinds["application"]["walked"] == len(want["application"])
        assert kinds["application"]["skipped"] >= 1 and kinds["note"]["skipped"] >= 1
        assert kinds["job"]["walked"] == len(want["job"]) == kinds["job"]["landed"]
        assert all(k["remaining"] == 0 and k["finished"] for k in body["kinds"])
        assert sum(k["dead"] for k in body["kinds"]) == 1

        requests = len(linkedin_requests(world))
        assert requests <= 1.05 * minimum_requests(rows), (requests, minimum_requests(rows))

        await advance_all(world.ctx, seconds=5)  # later runs change nothing and send nothing again
        assert len(world.ats.stores["user_email"].records) == 1
        assert len(linkedin_requests(world)) == requests


class TestResume:
    async def test_a_walk_killed_after_some_pages_continues_without_redoing_any(
        self, world: World, clock: FrozenClock
    ) -> None:
        seed.generate(world.ats, users=3, jobs=8, candidates=320, seed=3)
        customer = await enabled_tenant(world, clock)
        dispatcher = clocked_dispatcher(world.ctx, clock)
        pages: list[tuple[str, str]] = []  # (path, query): the same page read twice would repeat one

        async def count(request: httpx.Request) -> None:
            if request.method == "GET":
                pages.append((request.url.path, str(sorted(request.url.params.multi_items()))))

        world.ctx.ats_http.event_hooks["request"].append(count)
        await start(world, clock, customer)

        walked: list[int] = []
        for _ in range(40):  # one page at a time, as if the process died after each committed page
            step = await initial_sync.continue_initial_sync(world.ctx, customer.id, max_pages=1)
            walked.append(await done(world.ctx, customer))
            if step.state != "stopped":
                break
            if len(walked) % 3 == 0:
                await drain(dispatcher, clock)
        assert walked == sorted(walked), walked  # `done` never goes down
        assert len(pages) == len(set(pages)), Counter(pages).most_common(3)  # no page read twice

        await run_until_active(world, dispatcher, clock, customer)

        assert len(pages) == len(set(pages))
        assert at_linkedin(world) == expected(world, clock)
        rows = await outbox(world.ctx, customer)
        requests = len(linkedin_requests(world))
        assert requests <= 1.05 * minimum_requests(rows), (requests, minimum_requests(rows))

    async def test_two_walkers_of_one_tenant_never_apply_a_page_twice(
        self, world: World, clock: FrozenClock
    ) -> None:
        seed.generate(world.ats, users=4, jobs=3, candidates=10, seed=5)
        customer = await enabled_tenant(world, clock)
        await start(world, clock, customer)
        held, release = asyncio.Event(), asyncio.Event()

        async def slow_first_read(request: httpx.Request) -> None:
            if request.method == "GET" and not held.is_set():
                held.set()
                await release.wait()  # the first walker's page is on its way while the second walks

        world.ctx.ats_http.event_hooks["request"].append(slow_first_read)
        first = asyncio.create_task(initial_sync.continue_initial_sync(world.ctx, customer.id, max_pages=1))
        await held.wait()
        second = await initial_sync.continue_initial_sync(world.ctx, customer.id, max_pages=1)
        release.set()
        await first

        assert second.pages == 1 and first.result().pages == 1  # the first dropped the page it read
        async with world.ctx.sessionmaker() as session:
            rows = await progress_rows(session, customer)
        assert rows["user"].done == world.ats.count("user") and rows["user"].finished
        assert rows["job"].done > 0

    async def test_the_job_and_the_cli_starting_one_tenant_move_it_once_and_never_reset_the_walk(
        self, world: World, clock: FrozenClock
    ) -> None:
        """Else the slower starter writes a second `enabled -> initial_sync` and the walk starts over."""
        seed.generate(world.ats, users=4, jobs=3, candidates=10, seed=5)
        customer = await enabled_tenant(world, clock)
        async with world.ctx.sessionmaker.begin() as cli:
            late = await cli.get_one(Tenant, customer.id)  # the CLI reads the tenant: `enabled`
            assert late.stage is Stage.ENABLED
            await start(world, clock, customer)  # meanwhile the job starts it and walks a page
            assert (await initial_sync.continue_initial_sync(world.ctx, customer.id, max_pages=1)).pages == 1
            async with world.ctx.sessionmaker() as session:
                walked = (await progress_rows(session, customer))["user"].done
            assert walked > 0

            started = await initial_sync.start_initial_sync(cli, late, now=clock())

        assert not started
        async with world.ctx.sessionmaker() as session:
            moves = (
                await session.scalars(
                    select(StageChange.to_stage).where(
                        StageChange.tenant_id == customer.id, StageChange.from_stage == Stage.ENABLED
                    )
                )
            ).all()
            assert (await progress_rows(session, customer))["user"].done == walked
        assert moves == [Stage.INITIAL_SYNC]

    async def test_a_tenant_that_leaves_the_sync_mid_walk_stops_it(
        self, world: World, clock: FrozenClock
    ) -> None:
        seed.generate(world.ats, users=2, jobs=2, candidates=30, seed=19)
        customer = await enabled_tenant(world, clock)
        await start(world, clock, customer)

        async def deactivate_meanwhile(request: httpx.Request) -> None:
            if request.method == "GET":
                world.ctx.ats_http.event_hooks["request"].clear()
                async with world.ctx.sessionmaker.begin() as session:
                    tenant = await session.get(Tenant, customer.id)
                    assert tenant is not None
                    lifecycle.advance(
                        session,
                        tenant,
                        Stage.DEACTIVATED,
                        actor=lifecycle.OPERATOR,
                        reason="test",
                        now=clock(),
                    )

        world.ctx.ats_http.event_hooks["request"].append(deactivate_meanwhile)

        step = await initial_sync.continue_initial_sync(world.ctx, customer.id)

        assert step == initial_sync.Step("not_syncing", 0)
        assert await done(world.ctx, customer) == 0


class TestJob:
    async def test_the_job_starts_an_enabled_tenant_at_once_and_is_a_minutely_singleton(
        self, world: World, clock: FrozenClock
    ) -> None:
        seed.generate(world.ats, users=2, jobs=2, candidates=30, seed=23)
        customer = await enabled_tenant(world, clock)

        [outcome] = await advance_all(world.ctx, seconds=30)

        assert outcome.tenant_key == customer.key and outcome.error is None
        assert outcome.step is not None and outcome.step.pages > 0
        assert await stage_of(world.ctx, customer) is Stage.INITIAL_SYNC
        assert await done(world.ctx, customer) > 0
        [job] = [job for job in scheduler.JOBS if job.name == "advance_onboarding"]
        assert job.singleton and job.interval == timedelta(minutes=1)


class TestPace:
    async def test_pages_are_read_only_while_the_tenant_owes_less_than_the_bound(
        self, world: World, clock: FrozenClock
    ) -> None:
        seed.generate(world.ats, users=2, jobs=2, candidates=300, seed=11)
        customer = await enabled_tenant(world, clock)
        dispatcher = clocked_dispatcher(world.ctx, clock)
        await start(world, clock, customer)

        step = await initial_sync.continue_initial_sync(world.ctx, customer.id, bound=150)

        assert step.state == "paced"
        unsent = [r for r in await outbox(world.ctx, customer) if r.state in (State.PENDING, State.INFLIGHT)]
        assert 150 <= len(unsent) <= 150 + 100  # it stopped at the first page that reached the bound
        progress = await world.client.get("/v1/integration/initial-sync", headers=customer.auth)
        body = progress.json()
        assert body["stage"] == "initial_sync" and body["walked"] is False and body["eta_partial"] is True
        assert body["eta_seconds"] > 0
        kinds = {k["kind"]: k for k in body["kinds"]}
        assert kinds["candidate"]["walked"] > 0 and kinds["candidate"]["total"] is None
        assert kinds["candidate"]["remaining"] > 0 and kinds["candidate"]["eta_seconds"] > 0

        runs = await run_until_active(world, dispatcher, clock, customer, bound=150)

        assert runs > 2
        assert at_linkedin(world) == expected(world, clock)


class TestBeforeTheOrganization:
    async def test_records_webhooked_before_the_organization_was_connected_are_pushed(
        self, world: World, clock: FrozenClock
    ) -> None:
        customer = await registered(world, clock, organization=None)
        job = world.ats.create(
            "job",
            {"title": "Welder", "description": "Join us.", "location": {"city": "Austin", "region": "TX"}},
        )
        candidate = world.ats.create(
            "candidate",
            {"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "ada@x.example"}]},
        )
        application = world.ats.create("application", {"candidate_id": candidate["id"], "job_id": job["id"]})
        sender = Ats(
            client=world.client, clock=clock, tenant_key=customer.key, secret=customer.webhook_secret
        )
        for record in (job, candidate, application):
            delivered = await sender.send(f"{record['kind']}.created", record)
            assert delivered.status_code == 202, delivered.text
        async with world.ctx.sessionmaker() as session:
            stored = (
                await session.scalars(select(AtsRecord).where(AtsRecord.tenant_id == customer.id))
            ).all()
        assert {(r.kind, r.ats_id, r.version) for r in stored} == {
            (r["kind"], r["id"], r["version"]) for r in (job, candidate, application)
        }
        assert await outbox(world.ctx, customer) == []  # no organization: nothing owed yet

        await enable(world, clock, customer)
        await run_until_active(world, clocked_dispatcher(world.ctx, clock), clock, customer)

        assert at_linkedin(world) == {
            "job": {job["id"]},
            "candidate": {candidate["id"]},
            "application": {application["id"]},
            "note": set(),
            "feedback": set(),
        }


class TestEmail:
    async def test_the_email_goes_out_once_though_the_process_died_after_sending_it(
        self, world: World, clock: FrozenClock
    ) -> None:
        admin = admin_user(world)
        seed.generate(world.ats, users=2, jobs=2, candidates=5, seed=13)
        customer = await enabled_tenant(world, clock, admin=admin)
        dispatcher = clocked_dispatcher(world.ctx, clock)
        await start(world, clock, customer)
        await initial_sync.continue_initial_sync(world.ctx, customer.id)
        await drain(dispatcher, clock)

        async def die_after_the_ats_answered(response: httpx.Response) -> None:
            if response.request.method == "POST" and response.request.url.path.endswith("/emails"):
                raise RuntimeError("killed before the commit")

        world.ctx.ats_http.event_hooks["response"].append(die_after_the_ats_answered)
        with pytest.raises(RuntimeError):
            await initial_sync.continue_initial_sync(world.ctx, customer.id)
        world.ctx.ats_http.event_hooks["response"].clear()
        assert await stage_of(world.ctx, customer) is Stage.INITIAL_SYNC
        assert len(world.ats.stores["user_email"].records) == 1  # the ATS sent it before we died

        step = await initial_sync.continue_initial_sync(world.ctx, customer.id)

        assert step.state == "activated"
        assert await stage_of(world.ctx, customer) is Stage.ACTIVE
        assert len(world.ats.stores["user_email"].records) == 1
        assert [d["operation"] for d in world.ats.duplicates] == ["send_user_email"]


class TestStranded:
    async def test_more_than_a_thousand_rows_waiting_for_a_job_the_sync_left_out_do_not_delay_activation(
        self, world: World, clock: FrozenClock
    ) -> None:
        """Else the tenant stays `initial_sync` while a thousand rows wait for a parent that never comes."""
        customer = await enabled_tenant(world, clock)
        dropped = old_job(world, clock, status="closed")  # closed more than two years ago: not synced
        candidate = world.ats.create(
            "candidate",
            {"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "ada@x.example"}]},
            emit=False,
        )
        await start(world, clock, customer)
        # During the sync the ATS reports applications to the old job (a bulk import): each waits for it.
        ats = Ats(client=world.client, clock=clock, tenant_key=customer.key, secret=customer.webhook_secret)
        for _ in range(1_010):
            application = world.ats.create(
                "application", {"candidate_id": candidate["id"], "job_id": dropped["id"]}, emit=False
            )
            assert (await ats.send("application.created", application)).status_code == 202

        await run_until_active(world, clocked_dispatcher(world.ctx, clock), clock, customer, rounds=6)

        assert await stage_of(world.ctx, customer) is Stage.ACTIVE
        waiting = Counter(
            row.resource for row in await outbox(world.ctx, customer) if row.state is State.PENDING
        )
        assert waiting["atsApplications"] == 1_010, waiting


class TestDryRun:
    async def test_the_dry_run_writes_nothing_and_names_what_linkedin_would_refuse(
        self, world: World, clock: FrozenClock
    ) -> None:
        seed.generate(world.ats, users=2, jobs=3, candidates=120, seed=17)
        unmatchable = world.ats.create("candidate", {"first_name": "Nemo", "last_name": "Nobody"})
        dropped = old_job(world, clock, status="closed")
        orphan = world.ats.create("application", {"candidate_id": unmatchable["id"], "job_id": dropped["id"]})
        customer = await enabled_tenant(world, clock)

        answer = await world.client.post("/v1/integration/initial-sync/dry-run", headers=customer.auth)

        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert [r for r in body["refusals"] if r["ats_id"] == unmatchable["id"]] == [
            {
                "kind": "candidate",
                "ats_id": unmatchable["id"],
                "resource": "atsCandidates",
                "key": unmatchable["id"],
                "reason": f"atsCandidates {unmatchable['id']} cannot be sent: /emailAddresses :: empty, and "
                "neither manualMatchedMember nor linkedInProfileUrl is known",
            }
        ]
        kinds = {k["kind"]: k for k in body["kinds"]}
        want = expected(world, clock)
        assert kinds["candidate"]["listed"] == kinds["candidate"]["synced"] == world.ats.count("candidate")
        assert kinds["candidate"]["refused"] == 1
        assert kinds["job"]["synced"] == len(want["job"]) and dropped["id"] not in want["job"]
        assert kinds["application"]["synced"] == len(want["application"])
        assert kinds["application"]["listed"] == world.ats.count("application")
        assert {"kind": "application", "reason": SKIPPED_JOB, "records": 1} in body["skipped"]
        assert orphan["id"] not in want["application"]
        # Nothing written anywhere: the mirror, the outbox, the progress, the stage, LinkedIn.
        async with world.ctx.sessionmaker() as session:
            for model in (AtsRecord, OutboxMessage, SetupProgress):
                assert await session.scalar(select(func.count()).select_from(model)) == 0
        assert await stage_of(world.ctx, customer) is Stage.ENABLED
        assert linkedin_requests(world) == []

    async def test_the_dry_run_needs_the_tenant_key(self, world: World) -> None:
        assert (await world.client.post("/v1/integration/initial-sync/dry-run")).status_code == 401
        assert (await world.client.get("/v1/integration/initial-sync")).status_code == 401


SKIPPED_JOB = "its job is not synced (closed more than two years ago, or unknown)"


async def start(world: World, clock: FrozenClock, customer: Customer) -> None:
    async with world.ctx.sessionmaker.begin() as session:
        tenant = await session.get(Tenant, customer.id)
        assert tenant is not None
        assert await initial_sync.start_initial_sync(session, tenant, now=clock())


async def done(ctx: AppContext, customer: Customer) -> int:
    async with ctx.sessionmaker() as session:
        return sum(
            row.done for kind, row in (await progress_rows(session, customer)).items() if kind in KINDS
        )


async def progress_rows(session: AsyncSession, customer: Customer) -> dict[str, SetupProgress]:
    rows = await session.scalars(select(SetupProgress).where(SetupProgress.tenant_id == customer.id))
    return {row.kind: row for row in rows}
