"""The initial sync survives `kill -9` (PRODUCT A4): the real `rsc-service backfill`, against both simulators
run standalone, is killed (SIGKILL to its process group) at about half way through the walk, started again,
and continues where it stopped. The tenant ends `active` with every record at the LinkedIn simulator,
LinkedIn takes at most 5 % more requests than the fewest those records need (only what the dead process had
in flight goes again), and the progress per kind, sampled all along, never goes down."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from rsc_service.db.session import create_engine, create_sessionmaker
from rsc_service.onboarding import initial_sync_progress as saved
from rsc_service.onboarding.initial_sync_walk import JOB_HISTORY, KINDS, job_synced
from rsc_service.onboarding.models import SetupProgress
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.tenants.models import Stage, Tenant
from tests import processes
from tests.conftest import make_settings
from tests.onboarding.test_initial_sync import SYNC_PATHS, minimum_requests
from tests.processes import Sims
from tests.test_cli_backfill import advance, env, partner_ready_tenant

# The fake ATS's world: enough candidates that the walk takes seconds, and fewer applications, notes and
# feedback, which LinkedIn takes one request per parent (an application's stages, a candidate's notes).
WORLD = {
    "seed": 7,
    "users": 5,
    "jobs": 20,
    "candidates": 1500,
    "applications": 400,
    "notes": 150,
    "interviews": 80,
}
KILL_AT = 0.5  # of the records the walk lists
# Each page read of the fake ATS takes this long, so the walk advances page by page at a pace the test can
# follow: the kill lands within a page or two of where it is aimed, however loaded the machine is.
READ_DELAY = {"seconds": 0.15}
# A killed process's claimed rows go out again once their lease ends; a short lease keeps the test short.
SHORT_LEASE = {"RSC_OUTBOX__LEASE_SECONDS": "5", "RSC_LINKEDIN__TIMEOUT_SECONDS": "2.5"}
WITHIN = 60.0  # seconds each process gets

Progress = dict[str, tuple[int, int]]  # kind → (walked, landed)
FreshDatabase = Callable[[bool], Awaitable[str]]


@pytest.fixture
def sims(tmp_path: Path) -> Iterator[Sims]:
    with processes.simulators(tmp_path) as sims:
        httpx.post(f"{sims.ats}/_sim/seed", json=WORLD, timeout=30).raise_for_status()
        httpx.put(f"{sims.ats}/_sim/read-delay", json=READ_DELAY, timeout=30).raise_for_status()
        yield sims


@pytest.fixture
async def database(fresh_database: FreshDatabase) -> str:
    return await fresh_database(True)


class Backfill(processes.Group):
    """`rsc-service backfill --tenant KEY --json` in a process group of its own, so all of it can be
    killed."""

    def __init__(self, key: str, environment: dict[str, str], log: Path) -> None:
        super().__init__(["backfill", "--tenant", key, "--json"], environment, log)


class Watch:
    """The saved progress per kind (records walked; LinkedIn records landed), sampled from the database as
    the progress route computes it (`initial_sync_progress.progress`)."""

    def __init__(self, database: str, key: str) -> None:
        self.engine = create_engine(make_settings(database).database)
        self.sessionmaker = create_sessionmaker(self.engine)
        self.key = key
        self.samples: list[tuple[str, Progress]] = []

    async def tenant(self) -> Tenant:
        async with self.sessionmaker() as session:
            found = await session.scalar(select(Tenant).where(Tenant.key == self.key))
        assert found is not None
        return found

    async def walked(self) -> int:
        """Records walked so far: one cheap read, so the kill lands close to where it is aimed."""
        tenant = await self.tenant()
        async with self.sessionmaker() as session:
            found = await session.scalar(
                select(func.coalesce(func.sum(SetupProgress.done), 0)).where(
                    SetupProgress.tenant_id == tenant.id,
                    SetupProgress.task == "initial_sync",
                    SetupProgress.kind.in_(KINDS),
                )
            )
        return int(found or 0)

    async def sample(self, moment: str) -> Progress:
        tenant = await self.tenant()
        async with self.sessionmaker() as session:
            kinds = await saved.progress(
                session, tenant.id, budgets=saved.Budgets(None, None, None, datetime.now(UTC))
            )
        found = {kind.kind: (kind.walked, kind.landed) for kind in kinds}
        self.samples.append((moment, found))
        return found

    def went_down(self) -> list[str]:
        """Every kind whose walked or landed count is lower than in the sample before."""
        found = []
        for (earlier, before), (later, after) in zip(self.samples, self.samples[1:], strict=False):
            for kind in KINDS:
                if after[kind][0] < before[kind][0] or after[kind][1] < before[kind][1]:
                    found.append(f"{kind}: {before[kind]} ({earlier}) then {after[kind]} ({later})")
        return found

    async def outbox(self) -> list[OutboxMessage]:
        tenant = await self.tenant()
        async with self.sessionmaker() as session:
            rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.tenant_id == tenant.id))
            return list(rows.all())

    async def cutoff(self) -> datetime:
        """The two-year cutoff of jobs, from when this sync started."""
        tenant = await self.tenant()
        async with self.sessionmaker() as session:
            started: datetime = (await saved.rows(session, tenant.id))["job"].started_at
        return started - JOB_HISTORY


@pytest.fixture
async def watch_of() -> AsyncIterator[Callable[[str, str], Watch]]:
    made: list[Watch] = []

    def make(database: str, key: str) -> Watch:
        made.append(Watch(database, key))
        return made[-1]

    yield make
    for watch in made:
        await watch.engine.dispose()


def ats_records(sims: Sims, kind: str) -> list[dict[str, Any]]:
    records = httpx.get(f"{sims.ats}/_sim/records/{kind}", timeout=30).json()
    return [record for record in records if "deleted_at" not in record]


def expected(sims: Sims, cutoff: datetime) -> dict[str, set[str]]:
    """What the sync should push, from the fake ATS's own records (as tests/onboarding/test_initial_sync.py
    computes it in process)."""
    jobs = {job["id"] for job in ats_records(sims, "job") if job_synced(job, cutoff)}
    candidates = {candidate["id"] for candidate in ats_records(sims, "candidate")}
    applications = {
        a["id"]
        for a in ats_records(sims, "application")
        if a["job_id"] in jobs and a["candidate_id"] in candidates
    }
    notes = {
        n["id"]
        for n in ats_records(sims, "note")
        if n.get("application_id") in applications
        or (not n.get("application_id") and n["candidate_id"] in candidates)
    }
    feedback = {
        f["id"] for f in ats_records(sims, "interview_feedback") if f["application_id"] in applications
    }
    return {
        "job": jobs,
        "candidate": candidates,
        "application": applications,
        "note": notes,
        "feedback": feedback,
    }


def at_linkedin(sims: Sims) -> dict[str, set[str]]:
    """The ATS ids of what the LinkedIn simulator holds, per kind."""

    def keys(collection: str, field: str) -> set[str]:
        found = httpx.get(f"{sims.linkedin}/_sim/records/{collection}", timeout=60).json()["elements"]
        return {element["fields"][field] for element in found}

    return {
        "job": keys("simpleJobPostings", "externalJobPostingId"),
        "candidate": keys("atsCandidates", "atsCandidateId"),
        "application": keys("atsApplications", "atsJobApplicationId"),
        "note": keys("candidateNotes", "noteId") | keys("applicationNotes", "noteId"),
        "feedback": keys("interviewFeedback", "interviewFeedbackId"),
    }


def sync_requests(sims: Sims) -> list[dict[str, Any]]:
    """What the LinkedIn simulator logged of the sync's resources (/v2 and /rest; not OAuth, not /_sim)."""
    logged = httpx.get(f"{sims.linkedin}/_sim/requests", timeout=60).json()["elements"]
    return [request for request in logged if request["path"].startswith(SYNC_PATHS)]


async def follow(watch: Watch, backfill: Backfill, moment: str, *, until_walked: int | None = None) -> None:
    """Sample the progress until the process exits or, with `until_walked`, until that many are walked."""
    deadline = time.monotonic() + WITHIN
    while until_walked is not None and backfill.running() and await watch.walked() < until_walked:
        assert time.monotonic() < deadline, f"{moment}: {until_walked} not walked within {WITHIN:.0f} s"
        await asyncio.sleep(0.005)
    while True:
        progress = await watch.sample(moment)
        if until_walked is not None:
            return
        if not backfill.running():
            return
        assert time.monotonic() < deadline, f"{moment}: not done within {WITHIN:.0f} s; at {progress}"
        await asyncio.sleep(0.05)


class TestKilledHalfWay:
    async def test_kill_9_at_half_way_then_the_restarted_sync_continues_and_finishes(
        self, database: str, sims: Sims, tmp_path: Path, watch_of: Callable[[str, str], Watch]
    ) -> None:
        environment = env(database, sims) | SHORT_LEASE
        key = await partner_ready_tenant(database, sims, environment)
        await advance(database, key, (Stage.ENABLED,))
        listed = sum(len(ats_records(sims, kind)) for kind in KINDS)
        watch = watch_of(database, key)
        first = Backfill(key, environment, tmp_path / "first")
        second: Backfill | None = None
        try:
            await follow(watch, first, "before the kill", until_walked=round(KILL_AT * listed))
            assert first.running(), f"the sync ended before half way:\n{first.stderr()}"

            assert first.kill() == -signal.SIGKILL
            killed = await watch.sample("after the kill")

            second = Backfill(key, environment, tmp_path / "second")
            await follow(watch, second, "after the restart")
        finally:
            for backfill in (first, second):
                if backfill is not None:
                    backfill.kill()
        await watch.sample("finished")

        assert second is not None
        assert second.process.returncode == 0, second.stderr()
        outcome = json.loads(second.out.read_text())
        assert outcome["stage"] == "active" and outcome["email_sent"] is True, outcome
        walked_at_kill = sum(walked for walked, _ in killed.values())
        assert 0.4 * listed <= walked_at_kill <= 0.8 * listed, (walked_at_kill, listed, killed)
        landed_at_kill = sum(landed for _, landed in killed.values())
        assert landed_at_kill > 0, killed  # it was sending too when it died
        assert watch.went_down() == []
        assert len({moment for moment, _ in watch.samples}) == 4  # sampled before, at, after and at the end

        assert (await watch.tenant()).stage is Stage.ACTIVE
        rows = await watch.outbox()
        assert {row.state for row in rows} == {State.DONE}
        assert at_linkedin(sims) == expected(sims, await watch.cutoff())
        assert httpx.get(f"{sims.ats}/_sim/state").json()["counts"]["user_email"] == 1
        requests, least = len(sync_requests(sims)), minimum_requests(rows)
        assert requests <= 1.05 * least, (requests, least)
