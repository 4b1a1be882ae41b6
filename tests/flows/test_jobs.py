"""Jobs as LinkedIn's job-postings pages describe them: each post names its operation (CREATE, UPDATE,
CLOSE), a close re-posts the whole job, every final task state ends the row, and an expired task is sent
again (docs/linkedin.md#jobs)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.simulators.linkedin.config import SimConfig
from tests.conftest import FrozenClock
from tests.factories import Ats, job, tombstone
from tests.flows.conftest import drain, linkedin_world, outbox_rows

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
