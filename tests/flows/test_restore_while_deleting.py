"""A record restored in the ATS while its deletion is still on its way to LinkedIn: its children must wait for
the restored record to land again, not go on the landing from before its deletion (docs/architecture.md#8)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import httpx
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.factories import Ats, application, candidate, note, tombstone
from tests.flows.conftest import (
    SIM_URL,
    clocked_dispatcher,
    drain,
    land_job_candidate_application,
    linkedin_world,
    outbox_rows,
    two_replicas,
)

ORG = "urn:li:organization:1001"
APP_KEY = {"atsJobApplicationId": "app_1", "dataProvider": "ATS", "integrationContext": ORG}


class HeldRequests(httpx.AsyncBaseTransport):
    """The network to LinkedIn, where the first matching request is held before LinkedIn sees it (a slow
    link): LinkedIn applies it only once released."""

    def __init__(self, inner: httpx.AsyncBaseTransport, match: Callable[[httpx.Request], bool]) -> None:
        self.inner, self.match = inner, match
        self.release = asyncio.Event()
        self.held = asyncio.Event()
        self._armed = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._armed and self.match(request):
            self._armed = False
            self.held.set()
            await self.release.wait()
        return await self.inner.handle_async_request(request)


def _candidate_delete(request: httpx.Request) -> bool:
    method = request.headers.get("X-HTTP-Method-Override", request.method)
    return request.url.path == "/v2/atsCandidates" and method == "DELETE"


def _application_delete(request: httpx.Request) -> bool:
    method = request.headers.get("X-HTTP-Method-Override", request.method)
    return request.url.path == "/v2/atsApplications" and method == "DELETE"


class TestRestoreWhileDeleting:
    async def test_stages_of_an_application_restored_while_its_deletion_is_in_flight_are_not_lost(
        self,
        ats: Ats,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await land_job_candidate_application(ats, dispatcher, clock)
        world = linkedin_world(linkedin_sim)
        assert [r["stage"] for _, r in world.collection("stages").where(atsJobApplicationId="app_1")] == [
            "Applied"
        ]

        held = HeldRequests(httpx.ASGITransport(app=linkedin_sim), _application_delete)
        async with two_replicas(ctx_li, clock, held) as (first, other):
            # The ATS deletes the application: its stage's deletion lands, then the application's is sent,
            # slowly.
            await ats.send(
                "application.deleted",
                tombstone("application", "app_1", 2, candidate_id="cand_1", job_id="job_1"),
            )
            sending = asyncio.create_task(first.drain_once())
            await asyncio.wait_for(held.held.wait(), 5)

            # Meanwhile the ATS restores the application (its stage with it); another replica drains.
            restored = application(version=3, updated_at="2026-11-22T09:00:00Z")
            assert (await ats.send("application.created", restored)).status_code == 202
            await other.drain_once()

            held.release.set()
            await asyncio.wait_for(sending, 5)

        await drain(other, clock, rounds=30)

        rows = await outbox_rows(ctx_li)
        assert world.record("atsApplications", **APP_KEY) is not None
        stages = world.collection("stages").where(atsJobApplicationId="app_1")
        ops = [e.op for h in world.collection("stages").history.values() for e in h]
        # The restored application's stage is on LinkedIn, as the ATS holds it.
        assert [record["stage"] for _, record in stages] == ["Applied"], (
            ops,
            {key: (row.state.value, row.op.value) for key, row in rows.items()},
        )

    async def test_notes_of_a_candidate_restored_while_its_deletion_is_in_flight_are_not_lost(
        self,
        ats: Ats,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await ats.send("candidate.created", candidate())
        await ats.send("note.created", note())
        await drain(dispatcher, clock, rounds=20)
        world = linkedin_world(linkedin_sim)
        assert len(world.collection("candidateNotes").where(atsCandidateId="cand_1")) == 1

        held = HeldRequests(httpx.ASGITransport(app=linkedin_sim), _candidate_delete)
        async with two_replicas(ctx_li, clock, held) as (first, other):
            # The ATS deletes the candidate (its note with it): the note's deletion lands, then the
            # candidate's is sent, slowly.
            await ats.send("candidate.deleted", tombstone("candidate", "cand_1", 2))
            sending = asyncio.create_task(first.drain_once())
            await asyncio.wait_for(held.held.wait(), 5)

            # Meanwhile the ATS restores the candidate and its note; another replica drains.
            later = {"updated_at": "2026-11-22T09:00:00Z"}
            assert (await ats.send("candidate.created", candidate(version=3, **later))).status_code == 202
            assert (await ats.send("note.created", note(version=3, **later))).status_code == 202
            await other.drain_once()

            held.release.set()
            await asyncio.wait_for(sending, 5)

        await drain(other, clock, rounds=30)

        rows = await outbox_rows(ctx_li)
        assert world.record(
            "atsCandidates", atsCandidateId="cand_1", dataProvider="ATS", integrationContext=ORG
        )
        notes = world.collection("candidateNotes").where(atsCandidateId="cand_1")
        ops = [e.op for h in world.collection("candidateNotes").history.values() for e in h]
        # The restored candidate's note is on LinkedIn, as the ATS holds it.
        assert len(notes) == 1, (ops, {key: (row.state.value, row.op.value) for key, row in rows.items()})


class TimesOutAfterApplying(httpx.AsyncBaseTransport):
    """The network to LinkedIn, where the first matching request reaches LinkedIn and is applied, but its
    answer never comes back (a read timeout)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, match: Callable[[httpx.Request], bool]) -> None:
        self.inner, self.match = inner, match
        self._armed = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self._armed and self.match(request):
            self._armed = False
            await response.aread()
            raise httpx.ReadTimeout("no answer", request=request)
        return response


class TestRestoreAfterALostDeletion:
    async def test_a_stage_waits_for_its_application_restored_after_a_deletion_whose_answer_was_lost(
        self,
        ats: Ats,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        # One replica. The application's deletion reaches LinkedIn (its stages go with it) but the answer is
        # lost: the row retries it after a backoff. Meanwhile the ATS restores the application.
        await land_job_candidate_application(ats, dispatcher, clock)
        world = linkedin_world(linkedin_sim)
        flaky = TimesOutAfterApplying(httpx.ASGITransport(app=linkedin_sim), _application_delete)
        async with httpx.AsyncClient(transport=flaky, base_url=SIM_URL) as http:
            li = LinkedInClient(http, api_url=SIM_URL, oauth_url=f"{SIM_URL}/oauth/v2", clock=clock)
            replica = clocked_dispatcher(replace(ctx_li, linkedin=li), clock)
            await ats.send(
                "application.deleted",
                tombstone("application", "app_1", 2, candidate_id="cand_1", job_id="job_1"),
            )
            await replica.drain_once()
            assert world.record("atsApplications", **APP_KEY) is None  # LinkedIn did delete it
            restored = application(version=3, updated_at="2026-11-22T09:00:00Z")
            assert (await ats.send("application.created", restored)).status_code == 202
            await drain(replica, clock, rounds=30)

        rows = await outbox_rows(ctx_li)
        states = {key: (row.state.value, row.op.value, row.last_error) for key, row in rows.items()}
        assert world.record("atsApplications", **APP_KEY) is not None, states
        stages = world.collection("stages").where(atsJobApplicationId="app_1")
        assert [record["stage"] for _, record in stages] == ["Applied"], states
        assert all(state == "done" for state, _, _ in states.values()), states
