"""One customer's whole journey, as the ATS and LinkedIn's admins drive it (tests/onboarding/
test_onboarding_to_active.py): the wired world with the LinkedIn simulator's throttles off, the seed of both
sides, and each step a test takes from activation to `active`, to deactivation and back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from rsc_service import bootstrap
from rsc_service.app import create_app
from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.linkedin_notifications import jobs as notification_jobs
from rsc_service.links.models import CandidateLink
from rsc_service.mirror.models import AtsRecord
from rsc_service.onboarding import deactivation
from rsc_service.onboarding.initial_sync_walk import JOB_HISTORY
from rsc_service.onboarding.jobs import advance_onboarding
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.outbox.models import OutboxMessage
from rsc_service.seats.models import Seat
from rsc_service.settings import Settings
from rsc_service.simulators.ats.app import create_app as create_ats_sim
from rsc_service.simulators.ats.config import AtsSimConfig
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.tenants.apps import TenantApps
from rsc_service.tenants.models import Stage, Tenant
from tests.conftest import FrozenClock
from tests.flows.conftest import drain
from tests.onboarding.conftest import ATS_URL, NOTHING_PROVISIONED, RSC_URL, SIM_URL, LateAsgi, World

ORG = "urn:li:organization:1001"
FIRST, SECOND = "urn:li:contract:2001", "urn:li:contract:2002"
OWNER_EMAIL = "olga@acme.example"  # the ATS owner who activates; she holds the admin seats (m1001)
# Seat holders who are recruiters in the ATS: the seed gives the first recruiter users these emails.
RECRUITER_EMAILS = ["rita@acme-robotics.example", "sam@acme-robotics.example", "tom@acme-robotics.example"]

# Nothing provisioned; organization 1001 has two Recruiter Corporate contracts. m1001 (Olga, who signs in)
# holds the admin seat of each; Rita and Sam hold seats of the first contract, Tom one of the second.
LINKEDIN_SEED: dict[str, Any] = NOTHING_PROVISIONED | {
    "organizations": [ORG],
    "contracts": [{"urn": FIRST, "organization": ORG}, {"urn": SECOND, "organization": ORG}],
    "members": [
        {"id": "m1001", "firstName": "Olga", "lastName": "Owner", "email": OWNER_EMAIL},
        {"id": "m1002", "firstName": "Rita", "lastName": "Recruiter", "email": RECRUITER_EMAILS[0]},
        {"id": "m1003", "firstName": "Sam", "lastName": "Sourcer", "email": RECRUITER_EMAILS[1]},
        {"id": "m1004", "firstName": "Tom", "lastName": "Talent", "email": RECRUITER_EMAILS[2]},
    ],
    "seats": [
        {"id": 3001, "contract": FIRST, "member": "m1001", "roles": ["ADMIN_SEAT"]},
        {"id": 3002, "contract": FIRST, "member": "m1002"},
        {"id": 3003, "contract": FIRST, "member": "m1003"},
        {"id": 3004, "contract": SECOND, "member": "m1001", "roles": ["ADMIN_SEAT"]},
        {"id": 3005, "contract": SECOND, "member": "m1004"},
    ],
    "authorizeMember": "m1001",
}
# LinkedIn's throttles are off (the service's own throttle still paces it, on the test clock); job tasks
# finish a second after they are posted.
SIM_CONFIG = SimConfig(
    task_completion_seconds=1,
    sync_records_per_window=None,
    sync_requests_per_day=None,
    integration_requests_per_day=None,
    job_task_requests_per_day=None,
    prospect_requests_per_day=None,
    seed=LINKEDIN_SEED,
    allow_insecure_local=True,
)
# What the LinkedIn simulator holds of a customer, by the collection's key field naming the ATS id.
HELD = {
    "candidate": ("atsCandidates", "atsCandidateId"),
    "application": ("atsApplications", "atsJobApplicationId"),
    "candidate_note": ("candidateNotes", "noteId"),
    "application_note": ("applicationNotes", "noteId"),
    "feedback": ("interviewFeedback", "interviewFeedbackId"),
}
# What else the service puts at LinkedIn for a customer, and deletes when it leaves.
ALSO_HELD = ("stages", "atsEntityAcls", "atsEntityAclAssignees")


@asynccontextmanager
async def wired_world(
    ctx: AppContext, settings: Settings, clock: FrozenClock, config: SimConfig = SIM_CONFIG
) -> AsyncIterator[World]:
    """As tests/onboarding/conftest.py's `world`, with `config` for the LinkedIn simulator."""
    to_service = LateAsgi()
    async with httpx.AsyncClient(transport=to_service, base_url=RSC_URL) as callbacks:
        linkedin_app = create_linkedin_sim(config, clock=clock, http=callbacks)
        ats_app = create_ats_sim(AtsSimConfig(), clock=clock)
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=linkedin_app), base_url=SIM_URL) as linkedin,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=ats_app), base_url=ATS_URL) as ats_http,
        ):
            wired = replace(
                ctx,
                linkedin=LinkedInClient(
                    linkedin, api_url=SIM_URL, oauth_url=f"{SIM_URL}/oauth/v2", clock=clock
                ),
                ats_http=ats_http,
            )
            app = create_app(settings, context=wired)
            to_service.app = app
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url=RSC_URL) as client:
                yield World(client, linkedin, ats_app, linkedin_app, wired)


# ---- the steps ----


async def enable(world: World, client_id: str, **body: Any) -> dict[str, Any]:
    """A Recruiter admin enables the customer's integrations; the notification reaches the service, and the
    notification job processes it."""
    enabled = await world.linkedin.post("/_sim/admin/enable", json={"clientId": client_id, **body})
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["delivery"]["delivered"] is True, enabled.json()["delivery"]
    await notification_jobs.process_pending_notifications(bootstrap.build(world.ctx))
    answer: dict[str, Any] = enabled.json()
    return answer


async def stage_of(ctx: AppContext, key: str) -> Stage:
    async with ctx.sessionmaker() as session:
        tenant = await session.scalar(
            select(Tenant).where(Tenant.key == key).execution_options(populate_existing=True)
        )
        assert tenant is not None
        return tenant.stage


async def tenant_id(ctx: AppContext, key: str) -> uuid.UUID:
    async with ctx.sessionmaker() as session:
        found = await session.scalar(select(Tenant.id).where(Tenant.key == key))
        assert found is not None
        return found


async def run_until_active(
    world: World, dispatcher: Dispatcher, clock: FrozenClock, key: str, *, runs: int = 30
) -> int:
    """The `advance_onboarding` job each minute and the dispatcher draining in between, until the tenant is
    active; returns how many runs of the job it took."""
    running = bootstrap.build(world.ctx)
    for run in range(1, runs + 1):
        await advance_onboarding(running)
        if await stage_of(world.ctx, key) is Stage.ACTIVE:
            return run
        await drain(dispatcher, clock, rounds=50)
        clock.advance(seconds=60)
    raise AssertionError(f"the tenant is {await stage_of(world.ctx, key)} after {runs} runs")


async def finish_deactivation(
    ctx: AppContext, apps: TenantApps, clock: FrozenClock, key: str, *, runs: int = 30
) -> int:
    """The `finish_deactivations` job each minute until the tenant's deactivation has finished."""
    for run in range(1, runs + 1):
        outcomes = await deactivation.finish_deactivations(ctx, apps)
        assert not any(o.error for o in outcomes), outcomes
        if [o.tenant_key for o in outcomes if o.finished] == [key]:
            return run
        clock.advance(seconds=60)
    raise AssertionError(f"the deactivation of {key} did not finish in {runs} runs")


# ---- what each side holds ----


def held(world: World, organization: str = ORG) -> dict[str, set[str]]:
    """The ATS ids of what the LinkedIn simulator holds for the organization, per kind; jobs by state."""
    found = {
        kind: {
            dict(key)[field]
            for key in world.li.collection(collection).records
            if dict(key).get("integrationContext") == organization
        }
        for kind, (collection, field) in HELD.items()
    }
    for key, record in world.li.jobs.items():
        job = dict(key) | record
        if job.get("integrationContext") == organization:
            found.setdefault(f"job:{job.get('state')}", set()).add(str(job["externalJobPostingId"]))
    return found


def records_in(world: World, collection: str, organization: str = ORG) -> int:
    return sum(
        1
        for key in world.li.collection(collection).records
        if dict(key).get("integrationContext") == organization
    )


def expected(world: World, now: datetime) -> dict[str, set[str]]:
    """What the initial sync should put at LinkedIn, from the fake ATS's own records: open jobs and those
    closed in the last two years, every candidate, and the applications (notes, feedback) of those."""
    jobs = {
        job["id"]
        for job in world.ats.stores["job"].live()
        if job["status"] == "open" or datetime.fromisoformat(job["updated_at"]) >= now - JOB_HISTORY
    }
    candidates = {c["id"] for c in world.ats.stores["candidate"].live()}
    applications = {
        a["id"]
        for a in world.ats.stores["application"].live()
        if a["job_id"] in jobs and a["candidate_id"] in candidates
    }
    notes = list(world.ats.stores["note"].live())
    return {
        "candidate": candidates,
        "application": applications,
        "candidate_note": {
            n["id"] for n in notes if not n.get("application_id") and n["candidate_id"] in candidates
        },
        "application_note": {n["id"] for n in notes if n.get("application_id") in applications},
        "feedback": {
            f["id"]
            for f in world.ats.stores["interview_feedback"].live()
            if f["application_id"] in applications
        },
        "job": jobs,
    }


def synced(found: dict[str, set[str]]) -> dict[str, set[str]]:
    """`held` with every job, whatever its state, under `job`."""
    jobs = set().union(*(ids for kind, ids in found.items() if kind.startswith("job:")))
    return {kind: ids for kind, ids in found.items() if not kind.startswith("job:")} | {"job": jobs}


async def rows_of(ctx: AppContext, key: str) -> dict[str, int]:
    """The tenant's rows in the mirror, the outbox, the candidate links and the seats."""
    tenant = await tenant_id(ctx, key)
    counts = {}
    async with ctx.sessionmaker() as session:
        for model in (AtsRecord, OutboxMessage, CandidateLink, Seat):
            found = await session.scalar(
                select(func.count()).select_from(model).where(model.tenant_id == tenant)
            )
            counts[model.__tablename__] = int(found or 0)
    return counts
