"""ATS changes reach the LinkedIn simulator with exact fields, parents first, deletes cascading (P1-P6)."""

from __future__ import annotations

from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.factories import Ats, application, candidate, job, note, tombstone
from tests.flows.conftest import drain, land_job_candidate_application, outbox_rows

ORG = "urn:li:organization:1001"


def _candidate(sim: FastAPI, ats_id: str) -> dict[str, object] | None:
    return sim.state.world.record(
        "atsCandidates", atsCandidateId=ats_id, dataProvider="ATS", integrationContext=ORG
    )


class TestPushFlow:
    async def test_candidate_lands_with_every_field(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        assert (
            await ats.send("candidate.created", candidate(linkedin_url="https://www.linkedin.com/in/ada"))
        ).status_code == 202

        counts = await drain(dispatcher, clock)

        stored = _candidate(linkedin_sim, "cand_1")
        assert stored is not None, counts
        assert stored["firstName"] == "Ada"
        assert stored["lastName"] == "Lovelace"
        assert stored["emailAddresses"] == ["ada@example.com"]
        assert stored["currentCompanyName"] == "Analytical Engines"
        assert stored["currentJobTitle"] == "Engineer"
        row = (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")]
        assert row.state == "done" and row.landed_at is not None

    async def test_job_candidate_application_and_note_in_order(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        # Delivered children first: the dispatcher still sends parents first.
        for event_type, data in [
            ("note.created", note()),
            ("application.created", application()),
            ("candidate.created", candidate()),
            ("job.created", job()),
        ]:
            assert (await ats.send(event_type, data)).status_code == 202

        await drain(dispatcher, clock, rounds=20)

        rows = await outbox_rows(ctx_li)
        states = {key: (row.state, row.last_error) for key, row in rows.items()}
        assert all(state == "done" for state, _ in states.values()), "\n".join(
            f"{k}: {v}" for k, v in states.items()
        )
        world = linkedin_sim.state.world
        assert world.record(
            "atsApplications", atsJobApplicationId="app_1", dataProvider="ATS", integrationContext=ORG
        )
        assert _candidate(linkedin_sim, "cand_1") is not None

    async def test_updates_replace_and_deletes_cascade(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        await land_job_candidate_application(ats, dispatcher, clock)
        await ats.send("candidate.updated", candidate(version=2, current_title="CTO"))
        await drain(dispatcher, clock)
        assert _candidate(linkedin_sim, "cand_1")["currentJobTitle"] == "CTO"  # type: ignore[index]

        await ats.send("candidate.deleted", tombstone("candidate", "cand_1", 3))
        await drain(dispatcher, clock, rounds=20)

        assert _candidate(linkedin_sim, "cand_1") is None
        world = linkedin_sim.state.world
        assert (
            world.record(
                "atsApplications", atsJobApplicationId="app_1", dataProvider="ATS", integrationContext=ORG
            )
            is None
        )
        rows = await outbox_rows(ctx_li)
        assert rows[("atsCandidates", "cand_1")].state == "done"
