"""Jobs as LinkedIn's job-postings pages describe them: each post names its operation (CREATE, UPDATE,
CLOSE), a close re-posts the whole job, every final task state ends the row, and an expired task is sent
again (docs/linkedin.md#jobs)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.simulators.linkedin.config import SimConfig
from tests.conftest import FrozenClock
from tests.factories import Ats, job, tombstone
from tests.flows.conftest import choose_availability, drain, linkedin_world, outbox_rows

ORG = "urn:li:organization:1001"


def _posts(sim: FastAPI, job_id: str = "job_1") -> list[dict[str, Any]]:
    """What LinkedIn applied to the job, oldest first."""
    history = linkedin_world(sim).history(
        "simpleJobPostings", integrationContext=ORG, externalJobPostingId=job_id
    )
    return [entry.record for entry in history if entry.record is not None]


class TestOperations:
    async def test_create_then_update_then_a_whole_close(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        await ats.send("job.created", job())
        await drain(dispatcher, clock)
        await ats.send("job.updated", job(version=2, title="Staff Engineer"))
        await drain(dispatcher, clock)
        await ats.send("job.deleted", tombstone("job", "job_1", 3))
        await drain(dispatcher, clock)

        posts = _posts(linkedin_sim)
        assert [post["jobPostingOperationType"] for post in posts] == ["CREATE", "UPDATE", "CLOSE"]
        assert {post["listingType"] for post in posts} == {"BASIC"}
        closing = posts[-1]
        assert closing["state"] == "CLOSED"
        assert closing["title"] == "Staff Engineer"  # the whole last-known job, not just its id
        assert closing["description"] == job()["description"]

    async def test_a_job_closed_before_it_was_ever_sent_is_created_closed(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        await ats.send("job.created", job(status="closed"))
        await drain(dispatcher, clock)

        [post] = _posts(linkedin_sim)
        assert (post["jobPostingOperationType"], post["state"]) == ("CREATE", "CLOSED")

    async def test_processed_without_an_error_has_landed(
        self,
        ats: Ats,
        dispatcher: Dispatcher,
        linkedin_http: httpx.AsyncClient,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        fed = await linkedin_http.put("/_sim/jobs/feed", json={"organization": ORG, "feed": True})
        assert fed.status_code == 200, fed.text
        await ats.send("job.created", job())

        await drain(dispatcher, clock)

        row = (await outbox_rows(ctx_li))[("simpleJobPostings", "job_1")]
        assert (row.state, row.last_error) == ("done", None)


PUBLIC, PRIVATE = "PUBLIC", "PRIVATE_TO_ATS_INTEGRATION"


@dataclass
class Jobs:
    """The ATS posting jobs and the customer choosing their availability, each step drained to LinkedIn."""

    ats: Ats
    client: httpx.AsyncClient
    dispatcher: Dispatcher
    sim: FastAPI
    clock: FrozenClock

    async def choose(self, availability: str) -> None:
        chosen = await choose_availability(self.client, self.ats, availability)
        assert chosen.status_code == 200, chosen.text
        await drain(self.dispatcher, self.clock, rounds=30)

    async def send(self, event: str, record: dict[str, Any]) -> None:
        await self.ats.send(event, record)
        await drain(self.dispatcher, self.clock, rounds=30)

    def operations(self, job_id: str = "job_1") -> list[tuple[str, str, str]]:
        """(operation, state, availability) of each post LinkedIn applied to the job, oldest first."""
        return [
            (post["jobPostingOperationType"], post["state"], post["availability"])
            for post in _posts(self.sim, job_id)
        ]


@pytest.fixture
def jobs(
    ats: Ats, client: httpx.AsyncClient, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
) -> Jobs:
    return Jobs(ats, client, dispatcher, linkedin_sim, clock)


class TestAvailabilityChanges:
    """LinkedIn's update page: an UPDATE may not move a basic job from PUBLIC to PRIVATE_TO_ATS_INTEGRATION;
    the job is closed, then posted again. The other direction goes the same way (docs/linkedin.md#jobs)."""

    async def test_a_public_job_the_ats_makes_private_is_closed_then_posted_again(
        self, jobs: Jobs, ctx_li: AppContext
    ) -> None:
        await jobs.choose(PUBLIC)
        await jobs.send("job.created", job())

        await jobs.send("job.updated", job(version=2, privacy="private", title="Staff Engineer"))

        assert jobs.operations() == [
            ("CREATE", "LISTED", PUBLIC),
            ("CLOSE", "CLOSED", PUBLIC),  # closed as LinkedIn holds it: the close changes nothing else
            ("CREATE", "LISTED", PRIVATE),
        ]
        assert _posts(jobs.sim)[-1]["title"] == "Staff Engineer"
        assert not [t.failure for t in linkedin_world(jobs.sim).tasks.values() if t.failure]
        row = (await outbox_rows(ctx_li))[("simpleJobPostings", "job_1")]
        assert (row.state, row.held, row.held_after_task, row.last_error) == ("done", PRIVATE, None, None)

        await jobs.send("job.updated", job(version=3, privacy="private", title="Principal Engineer"))
        assert jobs.operations()[-1] == ("UPDATE", "LISTED", PRIVATE)  # a plain update again

    async def test_the_customer_switching_every_job_back_to_private(self, jobs: Jobs) -> None:
        await jobs.choose(PUBLIC)
        await jobs.send("job.created", job())
        await jobs.send("job.created", job("job_2", privacy="private"))

        await jobs.choose(PRIVATE)

        posted = {post["externalJobPostingId"]: post for post in linkedin_world(jobs.sim).jobs.values()}
        assert {(job_id, post["state"], post["availability"]) for job_id, post in posted.items()} == {
            ("job_1", "LISTED", PRIVATE),
            ("job_2", "LISTED", PRIVATE),
        }
        assert [op for op, _, _ in jobs.operations()] == ["CREATE", "CLOSE", "CREATE"]
        # The job that was private all along is not closed: its payload did not change, so nothing is owed.
        assert [op for op, _, _ in jobs.operations("job_2")] == ["CREATE"]

    async def test_a_private_job_made_public_goes_the_same_way(self, jobs: Jobs) -> None:
        await jobs.send("job.created", job())

        await jobs.choose(PUBLIC)

        assert jobs.operations() == [
            ("CREATE", "LISTED", PRIVATE),
            ("CLOSE", "CLOSED", PRIVATE),
            ("CREATE", "LISTED", PUBLIC),
        ]

    async def test_a_job_closed_while_made_private_is_closed_as_linkedin_holds_it(self, jobs: Jobs) -> None:
        await jobs.choose(PUBLIC)
        await jobs.send("job.created", job())

        await jobs.send("job.updated", job(version=2, privacy="private", status="closed"))
        await jobs.send("job.updated", job(version=3, privacy="private", status="open"))

        assert jobs.operations() == [
            ("CREATE", "LISTED", PUBLIC),
            ("CLOSE", "CLOSED", PUBLIC),
            # Reopened private: what LinkedIn holds is public, so the job is closed again, then posted again.
            ("CLOSE", "CLOSED", PUBLIC),
            ("CREATE", "LISTED", PRIVATE),
        ]


class TestExpiredTasks:
    @pytest.fixture
    def sim_config(self) -> SimConfig:
        # LinkedIn forgets the task before it ends: the job must be sent again, not waited for forever.
        return SimConfig(
            task_completion_seconds=600,
            task_lifetime_days=30 / 86_400,
            sync_records_per_window=None,
            sync_requests_per_day=None,
        )

    async def test_a_task_linkedin_no_longer_knows_is_sent_again(
        self, ats: Ats, dispatcher: Dispatcher, ctx_li: AppContext, clock: FrozenClock, linkedin_sim: FastAPI
    ) -> None:
        await ats.send("job.created", job())
        await dispatcher.drain_once()
        first = (await outbox_rows(ctx_li))[("simpleJobPostings", "job_1")]
        first_task = list(first.task_ids)

        clock.advance(seconds=45)  # past the task's life
        counts = await dispatcher.drain_once()  # asks after it (unknown now), and posts the job again

        again = (await outbox_rows(ctx_li))[("simpleJobPostings", "job_1")]
        assert first.state == "awaiting_task" and first_task
        assert counts.claimed == 1  # the same drain sent it again
        assert again.state == "awaiting_task" and list(again.task_ids) != first_task
        assert list(again.task_ids) == list(linkedin_world(linkedin_sim).tasks)  # the task LinkedIn knows now
        [task] = linkedin_world(linkedin_sim).tasks.values()
        # LinkedIn accepted the first post, and a task lives 30 days: by then the job was long processed.
        assert task.element["jobPostingOperationType"] == "UPDATE"


def _task_reads(sim: FastAPI) -> list[int]:
    """When the service asked LinkedIn after its job tasks (ms), oldest first."""
    return [r["at"] for r in linkedin_world(sim).requests if "simpleJobPostingTasks" in r["path"]]


class TestSlowTasks:
    @pytest.fixture
    def sim_config(self) -> SimConfig:
        # LinkedIn takes an hour over the task: the service asks less and less often, never every 2 s.
        return SimConfig(
            task_completion_seconds=3600, sync_records_per_window=None, sync_requests_per_day=None
        )

    async def test_polling_a_slow_task_backs_off_to_every_five_minutes(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        await ats.send("job.created", job())
        await dispatcher.drain_once()
        for _ in range(400):  # 20 minutes of drains, a poll whenever one is due
            clock.advance(seconds=3)
            await dispatcher.drain_once()

        reads = _task_reads(linkedin_sim)
        gaps = [(b - a) / 1000 for a, b in itertools.pairwise(reads)]
        assert gaps[0] <= 6, gaps  # a young task is asked after soon
        assert gaps == sorted(gaps) or max(gaps[-3:]) >= 240, gaps  # then half its age, growing
        assert max(gaps) >= 240, gaps  # up to every five minutes
        assert len(reads) <= 20, len(reads)  # not one every 2 s: 600 of them in 20 minutes

    async def test_tasks_posted_apart_are_asked_after_together(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        for number in range(20):  # jobs edited one at a time, about 12 s apart
            await ats.send("job.created", job(f"job_{number}"))
            for _ in range(4):
                clock.advance(seconds=3)
                await dispatcher.drain_once()
        for _ in range(800):  # then 40 minutes of drains, every 3 s, while LinkedIn works on every task
            clock.advance(seconds=3)
            await dispatcher.drain_once()

        reads = [r for r in linkedin_world(linkedin_sim).requests if "simpleJobPostingTasks" in r["path"]]
        asked = [r["query"].count("ids=") for r in reads]
        # Each read names every task still running: 20 once all are posted, not one each.
        assert asked[-1] == 20, asked
        # Soon while a task is young, then about one read every five minutes for all of them: each task
        # asked after on its own made over 300 reads here.
        assert len(reads) <= 100, len(reads)
        later = [r["at"] for r in reads if r["at"] >= reads[-1]["at"] - 1_800_000]
        assert all(b - a <= 300_000 for a, b in itertools.pairwise(later))  # each still asked after

    async def test_a_first_task_that_fails_after_a_wait_leaves_the_next_post_a_create(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock, ctx_li: AppContext
    ) -> None:
        await ats.send("job.created", job(location=None))  # LinkedIn needs a location: the task fails
        await dispatcher.drain_once()
        for _ in range(5):  # asked after at least once while LinkedIn still works on it
            clock.advance(seconds=60)
            await dispatcher.drain_once()
        clock.advance(seconds=3600)
        await dispatcher.drain_once()
        row = (await outbox_rows(ctx_li))[("simpleJobPostings", "job_1")]
        assert row.state == "dead" and row.landed_at is None, (row.state, row.last_error)

        await ats.send("job.updated", job(version=2, title="Staff Engineer"))
        await drain(dispatcher, clock, rounds=40)
        clock.advance(seconds=3600)
        await drain(dispatcher, clock)

        operations = [
            t.element["jobPostingOperationType"] for t in linkedin_world(linkedin_sim).tasks.values()
        ]
        assert operations == ["CREATE", "CREATE"]  # LinkedIn never held the job: the fix is a CREATE too
        assert [p["title"] for p in _posts(linkedin_sim)] == ["Staff Engineer"]


class TestARevisionRefusedWhileATaskRuns:
    """The ATS sends a version of the job that cannot be built while LinkedIn still works on the last post:
    what that task did is still recorded, then the row is a dead letter saying why the newer version was
    refused; the ATS's fix goes as what LinkedIn then holds requires."""

    @pytest.fixture
    def sim_config(self) -> SimConfig:
        return SimConfig(task_completion_seconds=60, sync_records_per_window=None, sync_requests_per_day=None)

    async def _refused_during_the_task(self, jobs: Jobs, first: dict[str, Any]) -> None:
        await jobs.ats.send("job.created", first)
        await jobs.dispatcher.drain_once()  # posted; the task runs
        await jobs.ats.send("job.updated", job(version=2, description=None))  # refused as built
        await jobs.dispatcher.drain_once()
        jobs.clock.advance(seconds=120)
        await drain(jobs.dispatcher, jobs.clock)

    async def _fixed(self, jobs: Jobs, record: dict[str, Any]) -> None:
        await jobs.ats.send("job.updated", record)
        for _ in range(3):
            await drain(jobs.dispatcher, jobs.clock, rounds=40)
            jobs.clock.advance(seconds=120)

    async def test_a_first_post_that_failed_leaves_the_fix_a_create(
        self, jobs: Jobs, ctx_li: AppContext
    ) -> None:
        await self._refused_during_the_task(jobs, job(location=None))  # LinkedIn fails this CREATE
        refused = (await outbox_rows(ctx_li))[("simpleJobPostings", "job_1")]

        await self._fixed(jobs, job(version=3))

        assert (refused.state, refused.landed_at) == ("dead", None)
        assert refused.last_error is not None and "description" in refused.last_error  # the newer refusal
        row = (await outbox_rows(ctx_li))[("simpleJobPostings", "job_1")]
        assert (row.state, row.last_error) == ("done", None)
        tasks = linkedin_world(jobs.sim).tasks.values()
        assert [t.element["jobPostingOperationType"] for t in tasks] == ["CREATE", "CREATE"]
        assert [p["state"] for p in _posts(jobs.sim)] == ["LISTED"]

    async def test_a_first_post_that_succeeded_is_held_so_a_change_to_private_closes_and_reposts(
        self, jobs: Jobs, ctx_li: AppContext
    ) -> None:
        await jobs.choose(PUBLIC)
        await self._refused_during_the_task(jobs, job())
        refused = (await outbox_rows(ctx_li))[("simpleJobPostings", "job_1")]

        await self._fixed(jobs, job(version=3, privacy="private"))

        assert (refused.state, refused.held) == ("dead", PUBLIC)
        row = (await outbox_rows(ctx_li))[("simpleJobPostings", "job_1")]
        assert (row.state, row.held) == ("done", PRIVATE)
        assert jobs.operations() == [
            ("CREATE", "LISTED", PUBLIC),
            ("CLOSE", "CLOSED", PUBLIC),
            ("CREATE", "LISTED", PRIVATE),
        ]


async def test_a_job_with_a_description_over_linkedins_limit_reaches_linkedin_cut_to_it(
    ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
) -> None:
    """A pasted benefits page of 34,000 characters: LinkedIn refuses more than 25,000, so the job would never
    be listed in Recruiter's export drop-down; it is posted with its description cut to the limit."""
    description = "<p>" + "We build robots that help people. " * 1000 + "</p>"
    answer = await ats.send("job.created", job(description=description))
    assert answer.status_code == 202, answer.text
    await drain(dispatcher, clock)

    posts = _posts(linkedin_sim)
    assert len(posts) == 1
    assert description.startswith(posts[0]["description"])
    assert len(posts[0]["description"]) == 25_000
    world = linkedin_world(linkedin_sim)
    assert [p["state"] for p in world.jobs.values() if p["externalJobPostingId"] == "job_1"] == ["LISTED"]
    assert [task.failure for task in world.tasks.values() if task.failure] == []
