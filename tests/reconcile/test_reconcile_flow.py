"""Reconcile recovers changes whose webhooks never arrived, end to end, and a second run owes nothing."""

from __future__ import annotations

from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.reconcile import jobs as reconcile_jobs
from rsc_service.reconcile import service as reconcile_service
from rsc_service.simulators.ats.webhooks import Faults
from tests.conftest import FrozenClock
from tests.flows.conftest import FakeAts, drain, linkedin_world, outbox_rows
from tests.flows.test_fake_ats_flow import (
    application_on_linkedin,
    assert_all_done,
    candidate_on_linkedin,
    children,
    job_on_linkedin,
    seed_every_kind,
)

ORG = "urn:li:organization:1001"


async def _revisions(ctx: AppContext) -> dict[tuple[str, str], tuple[int, str]]:
    return {key: (row.revision, row.state) for key, row in (await outbox_rows(ctx)).items()}


class TestReconcileFlow:
    async def test_changes_whose_webhooks_were_dropped_reach_linkedin(
        self,
        fake_ats: FakeAts,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_ats: AppContext,
        clock: FrozenClock,
    ) -> None:
        records = await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)
        ids = {kind: record["id"] for kind, record in records.items()}
        world = fake_ats.world
        fake_ats.webhooks.set_faults(Faults(drop=1.0))
        clock.advance(minutes=5)
        world.update("candidate", ids["candidate"], {"current_title": "Staff Engineer"})
        world.update("job", ids["job"], {"title": "Senior Robotics Engineer"})
        newcomer = world.create(
            "candidate",
            {"first_name": "Eve", "last_name": "Newcomer", "emails": [{"address": "eve@x.example"}]},
        )
        world.delete("note", ids["application_note"])
        await fake_ats.flush()
        assert {d.state for d in fake_ats.webhooks.deliveries[-4:]} == {"dropped"}

        [report] = await reconcile_service.run_now(ctx_ats)

        assert report.error is None
        assert report.applied == 4  # the candidate, the job, the newcomer and the deleted note
        rows = await outbox_rows(ctx_ats)
        for resource, key, kind in [
            ("atsCandidates", ids["candidate"], "candidate"),
            ("atsCandidates", newcomer["id"], "candidate"),
            ("simpleJobPostings", ids["job"], "job"),
        ]:
            row = rows[(resource, key)]
            assert row.state == "pending"
            assert row.source_version == world.get(kind, key)["version"]
        assert rows[("atsApplications/notes", ids["application_note"])].op == "delete"

        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_ats)
        linkedin = linkedin_world(linkedin_sim)
        candidate = candidate_on_linkedin(linkedin, ids["candidate"])
        assert candidate is not None and candidate["currentJobTitle"] == "Staff Engineer"
        assert candidate_on_linkedin(linkedin, newcomer["id"]) is not None
        posting = job_on_linkedin(linkedin, ids["job"])
        assert posting is not None and posting["title"] == "Senior Robotics Engineer"
        application = application_on_linkedin(linkedin, ids["application"])
        assert application is not None and application["atsJobPostingName"] == "Senior Robotics Engineer"
        app_key = {"atsJobApplicationId": ids["application"], "integrationContext": ORG}
        assert children(linkedin, "applicationNotes", "noteId", **app_key) == {}

        settled = await _revisions(ctx_ats)
        clock.advance(minutes=1)
        [again] = await reconcile_service.run_now(ctx_ats)

        assert (again.error, again.applied) == (None, 0)
        assert await _revisions(ctx_ats) == settled

    async def test_the_periodic_job_reconciles_every_syncing_tenant(
        self, fake_ats: FakeAts, ctx_ats: AppContext, clock: FrozenClock
    ) -> None:
        fake_ats.webhooks.set_faults(Faults(drop=1.0))
        created = fake_ats.world.create(
            "candidate",
            {"first_name": "Lost", "last_name": "Webhook", "emails": [{"address": "lost@x.example"}]},
        )

        await reconcile_jobs.reconcile_all(ctx_ats)

        row = (await outbox_rows(ctx_ats))[("atsCandidates", created["id"])]
        assert (row.state, row.source_version) == ("pending", created["version"])
