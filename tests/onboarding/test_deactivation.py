"""Deactivation (PRODUCT A8) against the LinkedIn simulator and the fake ATS: what the service put at LinkedIn
is deleted (jobs closed), resumably and never twice, then the tenant's local data is purged; or LinkedIn keeps
its copy. Another tenant's data is never touched."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.types import Receive, Scope, Send

from rsc_service.app import create_app
from rsc_service.context import AppContext
from rsc_service.db.models import CandidateLink, OAuthState, ReconcileCursor, TenantIntegration
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.onboarding import deactivation
from rsc_service.onboarding import deactivation_repository as repository
from rsc_service.onboarding.models import SetupProgress
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.settings import Settings
from rsc_service.simulators.ats.app import create_app as create_ats_sim
from rsc_service.simulators.ats.config import AtsSimConfig
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.simulators.linkedin.defaults import DEFAULT_SEED
from rsc_service.simulators.linkedin.world import World as LinkedInWorld
from rsc_service.tenants.apps import TenantApps
from rsc_service.tenants.models import Stage, StageChange, Tenant, TenantWebhookSecret
from tests.conftest import ADMIN_TOKEN, FrozenClock
from tests.factories import Ats, application, candidate, job, make_tenant, note
from tests.flows.conftest import FakeAts, clocked_apps, clocked_dispatcher, drain, seed_every_kind

SIM_URL = "http://linkedin.test"
ATS_URL = "http://ats.test"
ATS_TOKEN = "ats-sim-token"  # the fake ATS's default API token
ORG_A = "urn:li:organization:1001"
ORG_B = "urn:li:organization:1002"
SUB_COLLECTIONS = ("candidateNotes", "applicationNotes", "interviewFeedback", "stages")
DELETED = ("atsCandidates", "atsApplications", *SUB_COLLECTIONS, "atsEntityAcls", "atsEntityAclAssignees")

# The simulator's default world, plus a second customer with its own organization, contract and child app.
TWO_CUSTOMERS: dict[str, Any] = {
    **DEFAULT_SEED,
    "organizations": [ORG_A, ORG_B],
    "contracts": [
        *DEFAULT_SEED["contracts"],
        {"urn": "urn:li:contract:2002", "organization": ORG_B, "type": "RECRUITER_CORPORATE"},
    ],
    "childApps": [
        *DEFAULT_SEED["childApps"],
        {
            "clientId": "sim-customer-b",
            "clientSecret": "sim-customer-b-secret",
            "appId": 102,
            "uniqueForeignId": "sim-customer-b",
            "name": "Sim ATS - Customer B",
            "organization": ORG_B,
            "contracts": ["urn:li:contract:2002"],
            "enabled": True,
        },
    ],
}


@dataclass(frozen=True)
class Tenancy:
    id: Any
    key: str
    api_key: str
    webhook_secret: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


async def register(ctx: AppContext, **fields: Any) -> Tenancy:
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(session, ctx, **fields)
    tenant = registered.tenant
    return Tenancy(tenant.id, tenant.key, registered.api_key, registered.webhook_secret)


class LateApp:
    """The service app, set once built: the fake ATS posts to it and it reads the fake ATS."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


@pytest.fixture
def linkedin_sim(clock: FrozenClock) -> FastAPI:
    config = SimConfig(
        task_completion_seconds=1,
        sync_records_per_window=None,
        sync_requests_per_day=None,
        seed=TWO_CUSTOMERS,
    )
    return create_linkedin_sim(config, clock=clock)


@pytest.fixture
async def linkedin_http(linkedin_sim: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=linkedin_sim), base_url=SIM_URL) as http:
        yield http


@pytest.fixture
async def tenant_a(ctx: AppContext) -> Tenancy:
    """The customer that leaves: its ATS is the fake ATS, its app the simulator's default customer."""
    return await register(
        ctx,
        ats_base_url=ATS_URL,
        ats_token=ATS_TOKEN,
        linkedin_client_id="sim-customer",
        linkedin_client_secret="sim-customer-secret",
        linkedin_app_urn="urn:li:developerApplication:101",
        linkedin_unique_foreign_id="sim-customer",
        linkedin_organization_urn=ORG_A,
    )


@pytest.fixture
async def tenant_b(ctx: AppContext) -> Tenancy:
    """A customer that stays, with its own organization and child app."""
    return await register(
        ctx,
        ats_base_url="http://ats-b.test",
        linkedin_client_id="sim-customer-b",
        linkedin_client_secret="sim-customer-b-secret",
        linkedin_app_urn="urn:li:developerApplication:102",
        linkedin_unique_foreign_id="sim-customer-b",
        linkedin_organization_urn=ORG_B,
        contracts=["urn:li:contract:2002"],
    )


@pytest.fixture
def service_asgi() -> LateApp:
    return LateApp()


@pytest.fixture
async def fake_ats(clock: FrozenClock, tenant_a: Tenancy, service_asgi: LateApp) -> AsyncIterator[FakeAts]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service_asgi), base_url="http://rsc.test"
    ) as http:
        config = AtsSimConfig(
            webhook_url=f"http://rsc.test/v1/webhooks/ats/{tenant_a.key}",
            webhook_secret=tenant_a.webhook_secret,
            retry_schedule=[0, 0, 0],
            retry_scale=0,
        )
        sim = create_ats_sim(config, http=http, clock=clock)
        yield FakeAts(sim, tenant_a.key)
        await sim.state.webhooks.close()


@pytest.fixture
async def wired(
    ctx: AppContext, linkedin_http: httpx.AsyncClient, fake_ats: FakeAts, clock: FrozenClock
) -> AsyncIterator[AppContext]:
    """The service's context: LinkedIn is the simulator, the tenant's ATS API is the fake ATS."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake_ats.app), base_url=ATS_URL) as ats:
        linkedin = LinkedInClient(
            linkedin_http, api_url=SIM_URL, oauth_url=f"{SIM_URL}/oauth/v2", clock=clock
        )
        wired = replace(ctx, linkedin=linkedin, ats_http=ats)
        wired.settings.linkedin.records_per_minute = None
        wired.settings.linkedin.requests_per_day = None
        yield wired


@pytest.fixture
def app(settings: Settings, wired: AppContext, service_asgi: LateApp) -> FastAPI:
    app = create_app(settings, context=wired)
    service_asgi.app = app
    return app


@pytest.fixture
def dispatcher(wired: AppContext, clock: FrozenClock) -> Dispatcher:
    return clocked_dispatcher(wired, clock)


@pytest.fixture
def apps(wired: AppContext, clock: FrozenClock) -> TenantApps:
    return clocked_apps(wired, clock)


def li_world(sim: FastAPI) -> LinkedInWorld:
    world: LinkedInWorld = sim.state.world
    return world


def owner(fake: FakeAts, access_level: str = "owner") -> str:
    user = fake.world.create(
        "user",
        {
            "email": f"{access_level}@acme.example",
            "first_name": "Olga",
            "last_name": "Owner",
            "access_level": access_level,
        },
        emit=False,  # users owe LinkedIn nothing; the test sends what it means to
    )
    return str(user["id"])


def held(sim: FastAPI, organization: str) -> dict[str, int]:
    """Records of one customer at LinkedIn, per collection; jobs by state."""
    world = li_world(sim)
    counts = {
        name: sum(
            1 for key in world.collection(name).records if dict(key).get("integrationContext") == organization
        )
        for name in DELETED
    }
    for record in world.jobs.values():
        if record.get("integrationContext") == organization:
            state = f"simpleJobPostings:{record.get('state')}"
            counts[state] = counts.get(state, 0) + 1
    return {name: count for name, count in counts.items() if count}


def deletions(sim: FastAPI, *, since: int = 0) -> Counter[tuple[str, Any]]:
    """How often each key was named in a DELETE request (tunnelled ones too), from the simulator's log."""
    named: Counter[tuple[str, Any]] = Counter()
    for entry in list(li_world(sim).requests)[since:]:
        method = entry["method"]
        query = entry["query"]
        if method == "POST" and entry["headers"].get("x-http-method-override", "").upper() == "DELETE":
            method, query = "DELETE", entry["body"]
        if method != "DELETE":
            continue
        compound: dict[str, dict[str, str]] = {}
        for name, value in parse_qsl(query):
            if name == "ids":
                named[(entry["path"], value)] += 1
            elif name.startswith("ids["):
                index, _, field = name[4:].partition("].")
                compound.setdefault(index, {})[field] = value
        for fields in compound.values():
            named[(entry["path"], frozenset(fields.items()))] += 1
    return named


async def push_records_of_b(client: httpx.AsyncClient, clock: FrozenClock, b: Tenancy) -> None:
    ats = Ats(client=client, clock=clock, tenant_key=b.key, secret=b.webhook_secret)
    for event, data in (
        ("job.created", job()),
        ("candidate.created", candidate(emails=[{"address": "eve@candidates.example", "type": "home"}])),
        ("application.created", application()),
        ("note.created", note()),
    ):
        assert (await ats.send(event, data)).status_code == 202


async def finish(
    ctx: AppContext, apps: TenantApps, clock: FrozenClock, tenant: Tenancy, *, rounds: int = 30, **bound: Any
) -> list[deactivation.Progress]:
    """Run the job until the tenant's deactivation has finished; the progress seen after each run."""
    seen = []
    for _ in range(rounds):
        outcomes = await deactivation.finish_deactivations(ctx, apps, tenant_ids=[tenant.id], **bound)
        seen.append(await progress(ctx, tenant))
        if outcomes and outcomes[0].finished:
            return seen
        assert not any(o.error for o in outcomes), outcomes
        clock.advance(seconds=2)
    raise AssertionError(f"not finished after {rounds} runs: {seen[-1]}")


async def progress(ctx: AppContext, tenant: Tenancy) -> deactivation.Progress:
    async with ctx.sessionmaker() as session:
        found = await deactivation.progress(session, await session.get_one(Tenant, tenant.id))
    assert found is not None
    return found


async def tenant_rows(ctx: AppContext, tenant: Tenancy) -> dict[str, int]:
    """Rows of the tenant in every table that refers to it (purged or kept)."""
    counts = {}
    async with ctx.sessionmaker() as session:
        for table in [*repository.purged_tables(), SetupProgress.__table__, StageChange.__table__,
                      TenantWebhookSecret.__table__]:  # fmt: skip
            found = await session.scalar(
                select(func.count()).select_from(table).where(table.c.tenant_id == tenant.id)
            )
            counts[table.name] = int(found or 0)
    return counts


async def deactivate(
    client: httpx.AsyncClient, tenant: Tenancy, user: str, *, delete: bool = True
) -> httpx.Response:
    return await client.post(
        "/v1/integration/deactivation",
        json={"ats_user_id": user, "delete_linkedin_data": delete},
        headers=tenant.auth,
    )


async def plant_local_data(ctx: AppContext, tenant: Tenancy) -> None:
    """Rows of the tenant's other features: a link, a sign-in state, an integration, a reconcile cursor,
    the initial sync's progress."""
    now = ctx.clock()
    async with ctx.sessionmaker.begin() as session:
        session.add_all(
            [
                CandidateLink(tenant_id=tenant.id, ats_candidate_id="c-x", member_urn="urn:li:person:m1004",
                              source="manual", linked_at=now),
                OAuthState(state_hash=f"h-{tenant.key}", tenant_id=tenant.id, ats_user_id="u", created_at=now,
                           expires_at=now),
                TenantIntegration(tenant_id=tenant.id, integration_context=ORG_A,
                                  integration_type="IN_ATS_INDICATOR", status="ENABLED", updated_at=now),
                ReconcileCursor(tenant_id=tenant.id, kind="candidate", since=now),
                SetupProgress(tenant_id=tenant.id, task="initial_sync", kind="candidate", cursor="x", done=3,
                              finished=True, started_at=now, updated_at=now),
            ]
        )  # fmt: skip


class TestDeletingAtLinkedIn:
    async def test_every_record_is_deleted_jobs_closed_then_ours_purged_and_the_other_tenant_untouched(
        self,
        fake_ats: FakeAts,
        tenant_a: Tenancy,
        tenant_b: Tenancy,
        client: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        apps: TenantApps,
        wired: AppContext,
        clock: FrozenClock,
    ) -> None:
        fake_ats.world.create(
            "job",
            {"title": "Filled role", "description": "Filled long ago.", "status": "closed",
             "location": {"city": "Austin", "region": "TX", "country": "US"}},
        )  # fmt: skip
        await seed_every_kind(fake_ats)
        await push_records_of_b(client, clock, tenant_b)
        await drain(dispatcher, clock, rounds=20)
        await plant_local_data(wired, tenant_a)
        assert held(linkedin_sim, ORG_A) == {
            "atsCandidates": 1, "atsApplications": 1, "candidateNotes": 1, "applicationNotes": 1,
            "interviewFeedback": 1, "stages": 1, "simpleJobPostings:LISTED": 1, "simpleJobPostings:CLOSED": 1,
        }  # fmt: skip
        of_b = held(linkedin_sim, ORG_B)
        assert of_b["atsCandidates"] == 1 and of_b["simpleJobPostings:LISTED"] == 1
        rows_of_b = await tenant_rows(wired, tenant_b)
        logged = len(li_world(linkedin_sim).requests)
        user = owner(fake_ats)

        answer = await deactivate(client, tenant_a, user)

        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert (body["stage"], body["mode"], body["state"]) == ("deactivated", "delete", "deleting")
        assert [(k["kind"], k["action"], k["total"]) for k in body["kinds"]] == [
            ("atsCandidates/notes", "delete", 1),
            ("atsApplications/notes", "delete", 1),
            ("atsApplications/interviewFeedback", "delete", 1),
            ("atsApplications/stages", "delete", 1),
            ("atsEntityAcls", "delete", 0),
            ("atsEntityAclAssignees", "delete", 0),
            ("atsApplications", "delete", 1),
            ("atsCandidates", "delete", 1),
            ("simpleJobPostings", "close", 2),
            ("atsIntegrations/configurations", "delete", 1),
            ("local_data", "purge", None),
        ]
        await drain(dispatcher, clock)  # the outbox of a deactivated tenant is held
        assert len(li_world(linkedin_sim).requests) == logged

        await finish(wired, apps, clock, tenant_a)

        assert held(linkedin_sim, ORG_A) == {"simpleJobPostings:CLOSED": 2}
        assert held(linkedin_sim, ORG_B) == of_b
        posted = [
            e for e in list(li_world(linkedin_sim).requests)[logged:] if e["path"] == "/v2/simpleJobPostings"
        ]
        assert len(posted) == 1 and posted[0]["body"].count('"CLOSE"') == 1  # the closed job is left alone
        named = deletions(linkedin_sim, since=logged)
        assert named and max(named.values()) == 1, named
        # Children before parents: each note, stage and feedback went before its application.
        paths = [e["path"] for e in list(li_world(linkedin_sim).requests)[logged:] if e["method"] == "DELETE"]
        assert paths.index(next(p for p in paths if p == "/v2/atsApplications")) > max(
            i for i, p in enumerate(paths) if p.endswith(("/notes", "/stages", "/interviewFeedback"))
        )
        assert paths[-2:] == ["/v2/atsCandidates", next(p for p in paths if "configurations" in p)]

        rows = await tenant_rows(wired, tenant_a)
        kept = {"tenant_stage_changes": 2, "tenant_webhook_secrets": 1}
        assert {name: count for name, count in rows.items() if count} == {
            **kept,
            "setup_progress": 11,  # this deactivation's own progress, nothing else
        }
        assert await tenant_rows(wired, tenant_b) == rows_of_b
        async with wired.sessionmaker() as session:
            tenant = await session.get_one(Tenant, tenant_a.id)
            changes = (
                await session.scalars(
                    select(StageChange).where(StageChange.tenant_id == tenant_a.id).order_by(StageChange.id)
                )
            ).all()
        assert (tenant.linkedin_client_id, tenant.linkedin_client_secret_enc) == (None, None)
        assert (tenant.linkedin_organization_urn, tenant.linkedin_unique_foreign_id) == (None, None)
        assert tenant.linkedin_app_urn == "urn:li:developerApplication:101"  # which app served it
        assert tenant.deactivation_finished_at == clock()
        assert [(c.to_stage, c.actor) for c in changes] == [
            (Stage.ACTIVE, "operator"),
            (Stage.DEACTIVATED, f"ats_user:{user}"),
        ]
        shown = await client.get("/v1/integration/deactivation", headers=tenant_a.auth)
        assert shown.status_code == 200
        assert shown.json()["state"] == "finished"
        assert all(k["finished"] and k["failed"] == 0 for k in shown.json()["kinds"])
        assert [k["done"] for k in shown.json()["kinds"][:10]] == [1, 1, 1, 1, 0, 0, 1, 1, 2, 1]

    async def test_a_run_stopped_after_each_request_continues_and_deletes_no_key_twice(
        self,
        fake_ats: FakeAts,
        tenant_a: Tenancy,
        client: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        apps: TenantApps,
        wired: AppContext,
        clock: FrozenClock,
    ) -> None:
        records = await seed_every_kind(fake_ats)
        for n in range(3):
            person = fake_ats.world.create(
                "candidate",
                {
                    "first_name": f"C{n}",
                    "last_name": "X",
                    "emails": [{"address": f"c{n}@x.example", "type": "home"}],
                },
            )
            for body in ("One.", "Two."):
                fake_ats.world.create("note", {"candidate_id": person["id"], "body": body})
            fake_ats.world.create(
                "application", {"candidate_id": person["id"], "job_id": records["job"]["id"]}
            )
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)
        before = held(linkedin_sim, ORG_A)
        logged = len(li_world(linkedin_sim).requests)
        assert (await deactivate(client, tenant_a, owner(fake_ats))).status_code == 202

        seen = await finish(wired, apps, clock, tenant_a, rounds=80, max_requests=1)

        assert len(seen) > 10  # it really stopped, again and again
        for earlier, later in itertools.pairwise(seen):
            for was, now in zip(earlier.kinds, later.kinds, strict=True):
                assert now.done >= was.done, (was, now)
        assert held(linkedin_sim, ORG_A) == {"simpleJobPostings:CLOSED": 1}
        named = deletions(linkedin_sim, since=logged)
        assert max(named.values()) == 1, [key for key, n in named.items() if n > 1]
        final = seen[-1]
        expected = {
            "candidateNotes": "atsCandidates/notes",
            "applicationNotes": "atsApplications/notes",
            "stages": "atsApplications/stages",
            "atsApplications": "atsApplications",
            "atsCandidates": "atsCandidates",
            "interviewFeedback": "atsApplications/interviewFeedback",
        }
        done = {k.kind: k.done for k in final.kinds}
        for collection, kind in expected.items():
            assert done[kind] == before[collection], kind
        assert all(k.total == k.done for k in final.kinds if k.total is not None)

    async def test_a_worker_killed_between_send_and_settle_sends_only_that_page_again(
        self,
        fake_ats: FakeAts,
        tenant_a: Tenancy,
        client: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        wired: AppContext,
        clock: FrozenClock,
    ) -> None:
        await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)
        assert (await deactivate(client, tenant_a, owner(fake_ats))).status_code == 202
        logged = len(li_world(linkedin_sim).requests)

        class KilledAfterTheFirstDelete(httpx.AsyncBaseTransport):
            """LinkedIn applies the first DELETE; the worker dies before it hears the answer."""

            def __init__(self) -> None:
                self.inner = httpx.ASGITransport(app=linkedin_sim)
                self.armed = True

            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                response = await self.inner.handle_async_request(request)
                if self.armed and request.method == "DELETE":
                    self.armed = False
                    raise asyncio.CancelledError  # kill -9, as far as this worker can tell
                return response

        async with httpx.AsyncClient(transport=KilledAfterTheFirstDelete(), base_url=SIM_URL) as dying:
            linkedin = LinkedInClient(dying, api_url=SIM_URL, oauth_url=f"{SIM_URL}/oauth/v2", clock=clock)
            killed = replace(wired, linkedin=linkedin)
            with pytest.raises(asyncio.CancelledError):
                await deactivation.finish_one(killed, clocked_apps(killed, clock), tenant_a.id)

        first = (await progress(wired, tenant_a)).kinds[0]
        assert (first.kind, first.done, first.finished) == ("atsCandidates/notes", 0, False)
        fresh = clocked_apps(wired, clock)
        assert not await deactivation.finish_one(wired, fresh, tenant_a.id)  # the claim still holds
        assert len(deletions(linkedin_sim, since=logged)) == 1

        clock.advance(seconds=wired.settings.outbox.lease_seconds + 1)
        await finish(wired, fresh, clock, tenant_a)

        named = deletions(linkedin_sim, since=logged)
        twice = [key for key, n in named.items() if n > 1]
        assert len(twice) == 1 and twice[0][0].endswith("/notes"), named  # the killed page, sent again
        assert held(linkedin_sim, ORG_A) == {"simpleJobPostings:CLOSED": 1}
        assert (await progress(wired, tenant_a)).kinds[0].done == 1  # LinkedIn's "gone" counts as deleted

    async def test_sends_held_under_a_lease_at_deactivation_are_waited_for(
        self,
        fake_ats: FakeAts,
        tenant_a: Tenancy,
        client: httpx.AsyncClient,
        dispatcher: Dispatcher,
        apps: TenantApps,
        wired: AppContext,
        clock: FrozenClock,
    ) -> None:
        await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)
        async with wired.sessionmaker.begin() as session:  # a dispatcher's claim from just before
            row = (
                await session.scalars(select(OutboxMessage).where(OutboxMessage.tenant_id == tenant_a.id))
            ).first()
            assert row is not None
            row.state, row.leased_until = State.INFLIGHT, clock() + timedelta(seconds=60)
        assert (await deactivate(client, tenant_a, owner(fake_ats))).status_code == 202

        assert not await deactivation.finish_one(wired, apps, tenant_a.id)
        assert all(k.done == 0 for k in (await progress(wired, tenant_a)).kinds)

        clock.advance(seconds=61)
        await finish(wired, apps, clock, tenant_a)


class TestKeepingLinkedInsCopy:
    async def test_nothing_is_sent_to_linkedin_and_our_copy_is_purged_at_once(
        self,
        fake_ats: FakeAts,
        tenant_a: Tenancy,
        client: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        apps: TenantApps,
        wired: AppContext,
        clock: FrozenClock,
    ) -> None:
        await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)
        await plant_local_data(wired, tenant_a)
        before = held(linkedin_sim, ORG_A)
        logged = len(li_world(linkedin_sim).requests)

        answer = await deactivate(client, tenant_a, owner(fake_ats), delete=False)

        assert answer.status_code == 202, answer.text
        assert [k["kind"] for k in answer.json()["kinds"]] == ["local_data"]
        seen = await finish(wired, apps, clock, tenant_a)
        assert len(seen) == 1
        assert held(linkedin_sim, ORG_A) == before
        assert len(li_world(linkedin_sim).requests) == logged
        rows = await tenant_rows(wired, tenant_a)
        assert {name: count for name, count in rows.items() if count} == {
            "tenant_stage_changes": 2,
            "tenant_webhook_secrets": 1,
            "setup_progress": 1,
        }
        (purge,) = seen[-1].kinds
        assert purge.finished and purge.done > 10  # mirror, outbox, inbox, and the planted rows
        async with wired.sessionmaker() as session:
            tenant = await session.get_one(Tenant, tenant_a.id)
        assert tenant.linkedin_client_secret_enc is None and tenant.deactivation_mode == "keep"


class TestInAtsCredential:
    async def test_a_finished_deactivation_clears_it_and_linkedins_side_is_refused(
        self,
        fake_ats: FakeAts,
        tenant_a: Tenancy,
        client: httpx.AsyncClient,
        apps: TenantApps,
        wired: AppContext,
        clock: FrozenClock,
    ) -> None:
        """Else LinkedIn's In-ATS calls with the old credential work again once the customer reactivates."""
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        read = await client.get(f"/v1/admin/tenants/{tenant_a.key}/in-ats/credential", headers=admin)
        assert read.status_code == 200, read.text
        credential = read.json()["credential"]

        assert (await deactivate(client, tenant_a, owner(fake_ats), delete=False)).status_code == 202
        await finish(wired, apps, clock, tenant_a)

        async with wired.sessionmaker() as session:
            tenant = await session.get_one(Tenant, tenant_a.id)
        assert tenant.deactivation_finished_at is not None and tenant.in_ats_credential_enc is None
        again = await client.get(f"/v1/admin/tenants/{tenant_a.key}/in-ats/credential", headers=admin)
        assert again.status_code == 404 and again.json()["code"] == "no_in_ats_credential"
        refused = await client.get(
            f"/v1/in-ats/{tenant_a.key}/past-applicants",
            params={"member": "urn:li:person:m1001"},
            headers={"authorization": f"Bearer {credential}"},
        )
        assert refused.status_code == 401, refused.text


class TestForcingTheStage:
    async def test_the_operator_cannot_move_a_running_deactivation_back_to_requested(
        self,
        fake_ats: FakeAts,
        tenant_a: Tenancy,
        client: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        apps: TenantApps,
        wired: AppContext,
        clock: FrozenClock,
    ) -> None:
        """Else the job stops: nothing is deleted at LinkedIn and nothing purged."""
        await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)
        assert (await deactivate(client, tenant_a, owner(fake_ats))).status_code == 202

        forced = await client.post(
            f"/v1/admin/tenants/{tenant_a.key}/stage",
            json={"stage": "requested", "reason": "the customer wants back"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )

        assert forced.status_code == 409, forced.text
        assert forced.json()["code"] == "deactivation_running"
        await finish(wired, apps, clock, tenant_a)
        assert held(linkedin_sim, ORG_A) == {"simpleJobPostings:CLOSED": 1}
        async with wired.sessionmaker() as session:
            tenant = await session.get_one(Tenant, tenant_a.id)
        assert tenant.stage is Stage.DEACTIVATED and tenant.deactivation_finished_at is not None


class TestLongAtsUserIds:
    async def test_an_owner_with_a_200_character_id_deactivates_and_is_named_in_the_audit_trail(
        self, fake_ats: FakeAts, tenant_a: Tenancy, client: httpx.AsyncClient, wired: AppContext
    ) -> None:
        longest = "u" * 200  # as long as the route takes it
        user = dict(fake_ats.world.get("user", owner(fake_ats)))
        user["id"] = longest  # the same Owner, as an ATS whose ids are long names them
        fake_ats.world.store(user)

        answer = await deactivate(client, tenant_a, longest, delete=False)

        assert answer.status_code == 202, answer.text
        async with wired.sessionmaker() as session:
            actors = (
                await session.scalars(select(StageChange.actor).where(StageChange.tenant_id == tenant_a.id))
            ).all()
        assert f"ats_user:{longest}" in actors


def test_every_table_of_a_tenant_is_purged_but_the_audit_trail_and_the_ats_secrets() -> None:
    purged = {table.name for table in repository.purged_tables()}
    assert {
        "ats_records", "outbox_messages", "candidate_links", "seats", "linkedin_notifications",
        "oauth_states", "tenant_integrations", "tenant_contracts", "reconcile_cursors",
        "ats_webhook_events", "setup_progress",
    } <= purged  # fmt: skip
    assert set(repository.KEPT) == {"tenant_stage_changes", "tenant_webhook_secrets"}
    assert not purged & set(repository.KEPT)
    assert "tenants" not in purged
