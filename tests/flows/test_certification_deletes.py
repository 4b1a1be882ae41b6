"""LinkedIn's certification rules of module 5 (RSC-501..504): deletions vanish from the In-ATS indicator.

Children deleted one by one, then their parent; and a whole parent deleted at once, whose children's own
deletion webhooks never come, so the service must cascade by itself.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.flows.conftest import FakeAts, assert_all_done, drain, linkedin_world, seed_every_kind
from tests.flows.recruiter_views import DAN, indicator, only_parent_deletions


class TestModule5Deletes:
    async def test_rsc_501_deleting_candidate_notes_then_the_candidate(
        self,
        fake_ats: FakeAts,
        linkedin_http: httpx.AsyncClient,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        records = await seed_every_kind(fake_ats)
        second = fake_ats.world.create(
            "note", {"candidate_id": records["candidate"]["id"], "body": "Second."}
        )
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)
        (entry,) = (await indicator(linkedin_http))["candidates"]
        assert len(entry["notes"]) == 2

        fake_ats.world.delete("note", records["candidate_note"]["id"])
        await fake_ats.flush()
        await drain(dispatcher, clock)
        (entry,) = (await indicator(linkedin_http))["candidates"]
        assert [n["id"] for n in entry["notes"]] == [second["id"]]

        fake_ats.world.delete("note", second["id"])
        await fake_ats.flush()
        await drain(dispatcher, clock)
        (entry,) = (await indicator(linkedin_http))["candidates"]
        assert entry["notes"] == []

        fake_ats.world.delete("candidate", records["candidate"]["id"])
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_li)
        assert (await indicator(linkedin_http)) == {"member": DAN, "inAts": False, "candidates": []}

    async def test_rsc_502_deleting_a_whole_candidate_removes_its_notes_and_indicator(
        self,
        fake_ats: FakeAts,
        linkedin_http: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        records = await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)
        assert (await indicator(linkedin_http))["inAts"]

        only_parent_deletions(fake_ats, "candidate")
        fake_ats.world.delete("candidate", records["candidate"]["id"])
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_li)
        assert (await indicator(linkedin_http))["inAts"] is False
        world = linkedin_world(linkedin_sim)
        for collection in (
            "candidateNotes",
            "atsApplications",
            "applicationNotes",
            "stages",
            "interviewFeedback",
        ):
            assert world.collection(collection).records == {}, collection

    async def test_rsc_503_deleting_application_notes_stages_feedback_then_the_application(
        self,
        fake_ats: FakeAts,
        linkedin_http: httpx.AsyncClient,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        records = await seed_every_kind(fake_ats)
        app_id = records["application"]["id"]
        clock.advance(minutes=1)
        fake_ats.world.update("application", app_id, {"stage": "Interview"})
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)

        async def shown_application() -> dict[str, Any]:
            (entry,) = (await indicator(linkedin_http))["candidates"]
            (application,) = entry["applications"]
            assert isinstance(application, dict)
            return application

        assert [s["stage"] for s in (await shown_application())["stages"]] == ["Applied", "Interview"]

        fake_ats.world.delete("note", records["application_note"]["id"])
        await fake_ats.flush()
        await drain(dispatcher, clock)
        assert (await shown_application())["notes"] == []

        # The ATS has no stage records of its own: a stage goes when its entry leaves the history.
        history = fake_ats.world.get("application", app_id)["stage_history"]
        fake_ats.world.update("application", app_id, {"stage_history": history[:1]})
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)
        assert [s["stage"] for s in (await shown_application())["stages"]] == ["Applied"]

        fake_ats.world.delete("interview_feedback", records["feedback"]["id"])
        await fake_ats.flush()
        await drain(dispatcher, clock)
        assert (await shown_application())["interviewFeedback"] == []

        fake_ats.world.delete("application", app_id)
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_li)
        (entry,) = (await indicator(linkedin_http))["candidates"]
        assert entry["applications"] == []

    async def test_rsc_504_deleting_a_whole_application_removes_everything_under_it(
        self,
        fake_ats: FakeAts,
        linkedin_http: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        records = await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)

        only_parent_deletions(fake_ats, "application")
        fake_ats.world.delete("application", records["application"]["id"])
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_li)
        (entry,) = (await indicator(linkedin_http))["candidates"]
        assert entry["applications"] == []
        assert [n["id"] for n in entry["notes"]] == [records["candidate_note"]["id"]]
        world = linkedin_world(linkedin_sim)
        for collection in ("atsApplications", "applicationNotes", "stages", "interviewFeedback"):
            assert world.collection(collection).records == {}, collection
