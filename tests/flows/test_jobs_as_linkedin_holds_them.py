"""A job's next post follows what LinkedIn holds of it, even when the service could not see it happen: a
CREATE applied whose answer was lost, a task that expired unread, a job closed while its availability
changed (docs/linkedin.md#jobs, docs/architecture.md#6-jobs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.outbox.models import OutboxMessage
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.tenants import service as tenant_service
from tests.conftest import FrozenClock
from tests.factories import Ats, job, tombstone
from tests.flows.conftest import add_fault, choose_availability, drain, linkedin_world, outbox_rows

ORG = "urn:li:organization:1001"
PUBLIC, PRIVATE = "PUBLIC", "PRIVATE_TO_ATS_INTEGRATION"


def _posts(sim: FastAPI, job_id: str = "job_1") -> list[dict[str, Any]]:
    """What LinkedIn applied to the job, oldest first."""
    history = linkedin_world(sim).history(
        "simpleJobPostings", integrationContext=ORG, externalJobPostingId=job_id
    )
    return [entry.record for entry in history if entry.record is not None]


def _operations(sim: FastAPI, job_id: str = "job_1") -> list[tuple[str, str, str]]:
    return [(p["jobPostingOperationType"], p["state"], p["availability"]) for p in _posts(sim, job_id)]


def _held(sim: FastAPI, job_id: str = "job_1") -> dict[str, Any] | None:
    return linkedin_world(sim).record(
        "simpleJobPostings", integrationContext=ORG, externalJobPostingId=job_id
    )


async def _job_row(ctx: AppContext) -> OutboxMessage:
    return (await outbox_rows(ctx))[("simpleJobPostings", "job_1")]


async def _closed_on_linkedin(sim: FastAPI, ctx: AppContext) -> OutboxMessage:
    """The job's row, once LinkedIn holds the job closed."""
    row = await _job_row(ctx)
    held = _held(sim)
    assert held is not None and held["state"] == "CLOSED", (
        held and held["state"],
        row.state,
        row.last_error,
    )
    return row


async def _create_answer_lost(http: httpx.AsyncClient, ats: Ats) -> None:
    """LinkedIn takes the job's first CREATE, but its answer never comes back."""
    await add_fault(
        http, kind="hang_after", pathPrefix="/v2/simpleJobPostings", methods=["POST"], count=1, hangSeconds=0
    )
    await ats.send("job.created", job())


async def _first_create_answer_lost(
    http: httpx.AsyncClient, ats: Ats, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    """LinkedIn takes the first CREATE, but its answer never comes back: the service sends it again."""
    await _create_answer_lost(http, ats)
    await drain(dispatcher, clock, rounds=30)


class TestACreateWhoseAnswerWasLost:
    """The retry of a CREATE LinkedIn applied is refused as a duplicate job: LinkedIn holds the job, so the
    row lands and the job goes again as one LinkedIn holds, instead of ending a dead letter that nothing after
    it could send."""

    async def test_the_job_lands_and_later_changes_reach_linkedin(
        self,
        ats: Ats,
        dispatcher: Dispatcher,
        linkedin_http: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await _first_create_answer_lost(linkedin_http, ats, dispatcher, clock)
        landed = await _job_row(ctx_li)

        await ats.send("job.updated", job(version=2, title="Staff Engineer"))
        await drain(dispatcher, clock, rounds=30)

        row = await _job_row(ctx_li)
        assert (landed.state, landed.landed_at is not None, landed.held) == ("done", True, PRIVATE), (
            landed.last_error
        )
        assert [p["title"] for p in _posts(linkedin_sim)][-1:] == ["Staff Engineer"], (
            row.state,
            row.last_error,
        )
        assert [op for op, _, _ in _operations(linkedin_sim)] == ["CREATE", "UPDATE", "UPDATE"]
        assert (row.state, row.last_error) == ("done", None)

    async def test_a_job_deleted_in_the_ats_is_closed_on_linkedin(
        self,
        ats: Ats,
        dispatcher: Dispatcher,
        linkedin_http: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await _first_create_answer_lost(linkedin_http, ats, dispatcher, clock)

        await ats.send("job.deleted", tombstone("job", "job_1", 2))
        await drain(dispatcher, clock, rounds=30)

        row = await _closed_on_linkedin(linkedin_sim, ctx_li)
        assert (row.state, row.last_error) == ("done", None)

    async def test_a_job_deleted_before_the_retry_is_closed_on_linkedin(
        self,
        ats: Ats,
        dispatcher: Dispatcher,
        linkedin_http: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await _create_answer_lost(linkedin_http, ats)
        await dispatcher.drain_once()  # the CREATE lands at LinkedIn; the service never hears of it
        await ats.send(
            "job.deleted", tombstone("job", "job_1", 2)
        )  # so its retry is a CREATE of a closed job
        await drain(dispatcher, clock, rounds=30)

        row = await _closed_on_linkedin(linkedin_sim, ctx_li)
        assert (row.state, row.landed_at is not None) == ("done", True)


class TestATaskThatExpiredUnread:
    """The first CREATE's task failed, but the tenant was paused longer than a task lives, so its answer was
    never read: the task is taken as done and the job goes as an UPDATE, which LinkedIn refuses as a job it
    does not hold. The row is then unlanded, so the ATS's fix goes as a CREATE and reaches LinkedIn."""

    @pytest.fixture
    def sim_config(self) -> SimConfig:
        return SimConfig(
            task_completion_seconds=1,
            task_lifetime_days=1,
            sync_records_per_window=None,
            sync_requests_per_day=None,
        )

    async def test_the_fixed_job_reaches_linkedin(
        self,
        ats: Ats,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await ats.send("job.created", job(location=None))  # LinkedIn needs a location: its task fails
        await dispatcher.drain_once()  # posted as a CREATE
        row = await _job_row(ctx_li)
        async with (
            ctx_li.sessionmaker.begin() as session
        ):  # LinkedIn refused the tenant as a whole for 2 days
            await tenant_service.pause_sending(
                session, tenant_id=row.tenant_id, until=clock() + timedelta(days=2), reason="403"
            )
        clock.advance(days=2, seconds=5)
        await drain(dispatcher, clock, rounds=20)
        refused = await _job_row(ctx_li)
        await ats.send("job.updated", job(version=2))  # the ATS adds the location
        await drain(dispatcher, clock, rounds=20)

        row = await _job_row(ctx_li)
        ops = [t.element["jobPostingOperationType"] for t in linkedin_world(linkedin_sim).tasks.values()]
        assert refused.state == "dead", refused.last_error  # LinkedIn refused the UPDATE: no location yet
        held = _held(linkedin_sim)
        assert held is not None and held["state"] == "LISTED", (row.state, row.last_error, ops)
        # The first CREATE's task is gone; the fix went as an UPDATE, refused as a job LinkedIn does not hold,
        # then as a CREATE.
        assert ops == ["UPDATE", "UPDATE", "CREATE"]
        assert (row.state, row.landed_at is not None) == ("done", True)


class TestClosedWhileItsRepostRuns:
    """A public job made private is closed (held REPOST once that task succeeded), then posted again with
    CREATE. Closed or deleted in the ATS while that CLOSE runs, the job ends closed once, not closed again and
    again; reopened later, it goes as a CREATE."""

    async def _made_private_then(
        self,
        ats: Ats,
        client: httpx.AsyncClient,
        dispatcher: Dispatcher,
        clock: FrozenClock,
        event: str,
        record: dict[str, Any],
    ) -> None:
        chosen = await choose_availability(client, ats, PUBLIC)
        assert chosen.status_code == 200, chosen.text
        await ats.send("job.created", job())
        await drain(dispatcher, clock, rounds=30)
        await ats.send("job.updated", job(version=2, privacy="private"))
        await dispatcher.drain_once()  # the CLOSE that lets the job be posted again is posted; its task runs
        assert (await ats.send(event, record)).status_code == 202
        await drain(dispatcher, clock, rounds=30)

    async def test_closed_in_the_ats_then_reopened(
        self,
        ats: Ats,
        client: httpx.AsyncClient,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await self._made_private_then(
            ats, client, dispatcher, clock, "job.updated", job(version=3, privacy="private", status="closed")
        )
        closed = await _job_row(ctx_li)
        closed_ops = _operations(linkedin_sim)
        await ats.send("job.updated", job(version=4, privacy="private", status="open"))
        await drain(dispatcher, clock, rounds=30)

        row = await _job_row(ctx_li)
        assert (closed.state, closed.held) == ("done", "REPOST"), (closed.state, closed.held, len(closed_ops))
        assert closed_ops == [("CREATE", "LISTED", PUBLIC), ("CLOSE", "CLOSED", PUBLIC)]
        assert _operations(linkedin_sim)[2:] == [("CREATE", "LISTED", PRIVATE)]
        assert (row.state, row.held, row.last_error) == ("done", PRIVATE, None)

    async def test_deleted_in_the_ats(
        self,
        ats: Ats,
        client: httpx.AsyncClient,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await self._made_private_then(
            ats, client, dispatcher, clock, "job.deleted", tombstone("job", "job_1", 3)
        )

        row = await _job_row(ctx_li)
        ops = _operations(linkedin_sim)
        assert row.state == "done", (row.state, row.held, len(ops))
        assert ops == [("CREATE", "LISTED", PUBLIC), ("CLOSE", "CLOSED", PUBLIC)]
