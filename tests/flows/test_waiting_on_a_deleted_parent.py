"""A child that waits on a parent whose deletion has landed waits for a record that may never come back: like
one never received, it gives up after RSC_OUTBOX__GIVE_UP_HOURS as a dead letter naming the parent, and the
parent's re-creation releases it (docs/architecture.md#11-retries-and-dead-letters)."""

from __future__ import annotations

from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.factories import Ats, application, candidate, tombstone
from tests.flows.conftest import drain, land_job_candidate_application, linkedin_world, outbox_rows

ORG = "urn:li:organization:1001"
APP_KEY = {"atsJobApplicationId": "app_1", "dataProvider": "ATS", "integrationContext": ORG}


class TestAChildOfADeletedParent:
    async def test_gives_up_in_a_day_naming_the_parent_and_its_re_creation_releases_it(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        await land_job_candidate_application(ats, dispatcher, clock)
        await ats.send("candidate.deleted", tombstone("candidate", "cand_1", 2))
        await drain(dispatcher, clock, rounds=20)
        # The ATS restored the candidate and moved the application on; only the application's webhook came.
        later = application(version=3, stage="Interview", updated_at="2026-11-25T13:00:00Z")
        assert (await ats.send("application.stage_changed", later)).status_code == 202

        claims = 0
        for _ in range(30):  # 30 hours of drains, one an hour
            clock.advance(hours=1)
            counts = await dispatcher.drain_once()
            claims += counts.claimed + counts.waiting
        gave_up = (await outbox_rows(ctx_li))[("atsApplications", "app_1")]
        # The restore's webhook comes at last.
        assert (await ats.send("candidate.updated", candidate(version=4))).status_code == 202
        await drain(dispatcher, clock, rounds=20)

        assert (gave_up.state, gave_up.blocked_by) == ("dead", "atsCandidates:cand_1"), (
            gave_up.state, gave_up.failing_since, gave_up.last_error, claims,
        )  # fmt: skip
        assert gave_up.last_error is not None and gave_up.last_error.startswith(
            "gave up after 24 h waiting for"
        )
        released = (await outbox_rows(ctx_li))[("atsApplications", "app_1")]
        assert (released.state, released.blocked_by, released.last_error) == ("done", None, None)
        world = linkedin_world(linkedin_sim)
        stored = world.record("atsApplications", **APP_KEY)
        assert stored is not None, [entry.record for entry in world.history("atsApplications", **APP_KEY)]
