"""A record goes only after what it needs has landed, however deep the chain of waiting parents."""

from __future__ import annotations

from datetime import datetime

import httpx
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.mirror import service as mirror_service
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import ADMIN_TOKEN, FrozenClock
from tests.factories import Ats, application, candidate, job, tombstone
from tests.flows.conftest import (
    add_fault,
    assert_all_done,
    drain,
    land_job_candidate_application,
    linkedin_world,
    outbox_rows,
)

ORG = "urn:li:organization:1001"
STAGE = ("atsApplications/stages", "app_1-0")
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class TestDependencies:
    async def test_stages_wait_while_their_application_waits_for_its_job(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        # The job's webhook is late: the application waits for it, and its stages must wait with it.
        await ats.send("candidate.created", candidate())
        await ats.send("application.created", application())

        await drain(dispatcher, clock, rounds=5)

        rows = await outbox_rows(ctx_li)
        stage = rows[("atsApplications/stages", "app_1-0")]
        assert (stage.state, stage.attempts) == ("pending", 0), stage.last_error
        assert rows[("atsApplications", "app_1")].state == "pending"
        assert linkedin_world(linkedin_sim).collection("stages").history == {}

        await ats.send("job.created", job())
        await drain(dispatcher, clock, rounds=20)

        rows = await outbox_rows(ctx_li)
        assert {key: row.state for key, row in rows.items() if row.state != "done"} == {}
        stages = linkedin_world(linkedin_sim).collection("stages").where(atsJobApplicationId="app_1")
        assert [record["stage"] for _, record in stages] == ["Applied"]

    async def test_a_late_child_update_does_not_bring_back_a_cascaded_delete(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        await land_job_candidate_application(ats, dispatcher, clock)
        # In the ATS: the application moved on (v2), then the candidate was deleted with it (v3, then the
        # candidate). The candidate's deletion arrives first; the application's update arrives late.
        await ats.send("candidate.deleted", tombstone("candidate", "cand_1", 2))
        await drain(dispatcher, clock, rounds=20)
        late = application(version=2, stage="Interview")
        assert (await ats.send("application.stage_changed", late)).status_code == 202
        await drain(dispatcher, clock, rounds=20)

        world = linkedin_world(linkedin_sim)
        key = {"atsJobApplicationId": "app_1", "dataProvider": "ATS", "integrationContext": ORG}
        assert world.record("atsApplications", **key) is None
        assert [entry.record is None for entry in world.history("atsApplications", **key)] == [False, True]
        rows = await outbox_rows(ctx_li)
        assert {key: (row.state, row.last_error) for key, row in rows.items() if row.state != "done"} == {}
        async with ctx_li.sessionmaker() as session:
            stored = await mirror_service.find(
                session,
                tenant_id=rows[("atsApplications", "app_1")].tenant_id,
                kind="application",
                ats_id="app_1",
            )
        assert stored is not None and stored.deleted and stored.version == 2

    async def test_a_child_of_a_re_created_parent_survives_the_parents_late_deletion(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        for event_type, data in [("job.created", job()), ("candidate.created", candidate())]:
            await ats.send(event_type, data)
        await drain(dispatcher, clock, rounds=20)
        # In the ATS: the candidate was deleted at 11:00, restored (v3), then applied for a job at 11:30.
        # The application's webhook comes first, then the deletion, then the restore.
        new_application = application(updated_at="2026-11-25T11:30:00Z", created_at="2026-11-25T11:30:00Z")
        assert (await ats.send("application.created", new_application)).status_code == 202
        deletion = ats.event("candidate.deleted", tombstone("candidate", "cand_1", 2))
        deletion["occurred_at"] = "2026-11-25T11:00:00Z"
        assert (await ats.post(deletion)).status_code == 202
        assert (
            await ats.send("candidate.created", candidate(version=3, current_title="Back"))
        ).status_code == 202
        await drain(dispatcher, clock, rounds=20)

        world = linkedin_world(linkedin_sim)
        cand_key = {"atsCandidateId": "cand_1", "dataProvider": "ATS", "integrationContext": ORG}
        app_key = {"atsJobApplicationId": "app_1", "dataProvider": "ATS", "integrationContext": ORG}
        stored = world.record("atsCandidates", **cand_key)
        assert stored is not None and stored["currentJobTitle"] == "Back"
        assert world.record("atsApplications", **app_key) is not None
        assert all(entry.record is not None for entry in world.history("atsApplications", **app_key))
        rows = await outbox_rows(ctx_li)
        assert {key: (row.state, row.last_error) for key, row in rows.items() if row.state != "done"} == {}

    async def test_children_wait_for_their_re_created_parent_to_land_again(
        self,
        ats: Ats,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        linkedin_http: httpx.AsyncClient,
        client: httpx.AsyncClient,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        # The candidate, its application and the application's stage landed; deleting the candidate deleted
        # the other two at LinkedIn. The ATS restores all three, but LinkedIn refuses the candidate for now:
        # the application and its stage must wait for it, whatever landed of them before their deletion.
        await land_job_candidate_application(ats, dispatcher, clock)
        await ats.send("candidate.deleted", tombstone("candidate", "cand_1", 2))
        await drain(dispatcher, clock, rounds=20)
        await add_fault(linkedin_http, kind="error", status=503, pathPrefix="/v2/atsCandidates")
        clock.advance(hours=6)
        restored_at = clock()
        restored = {"updated_at": "2026-11-22T09:00:00Z"}
        assert (await ats.send("candidate.created", candidate(version=3, **restored))).status_code == 202
        assert (await ats.send("application.created", application(version=3, **restored))).status_code == 202
        await drain(dispatcher, clock, rounds=20)

        world = linkedin_world(linkedin_sim)
        app_key = {"atsJobApplicationId": "app_1", "dataProvider": "ATS", "integrationContext": ORG}
        assert [entry.record is None for entry in world.history("atsApplications", **app_key)] == [
            False,
            True,
        ]
        rows = await outbox_rows(ctx_li)
        waiting = {key: rows[key].last_error for key in [("atsApplications", "app_1"), STAGE]}
        assert waiting == {
            ("atsApplications", "app_1"): "waiting for atsCandidates:cand_1 to land",
            STAGE: "waiting for atsApplications:app_1 to land",
        }
        assert {rows[key].state for key in waiting} == {"pending"}
        # The candidate is owed since its restore, not since it was first created hours before.
        health = await client.get(f"/v1/admin/tenants/{ats.tenant_key}/sync", headers=ADMIN)
        assert datetime.fromisoformat(health.json()["oldest_owed_at"]) >= restored_at, health.text

        assert (await linkedin_http.delete("/_sim/faults")).status_code in {200, 204}
        await drain(dispatcher, clock, rounds=40)
        await assert_all_done(ctx_li)
        assert world.record("atsApplications", **app_key) is not None
        stages = world.collection("stages").where(atsJobApplicationId="app_1")
        assert [record["stage"] for _, record in stages] == ["Applied"]
