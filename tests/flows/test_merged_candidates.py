"""A candidate merged in the ATS: its application moves to the surviving candidate and the duplicate is
deleted. Deliveries come in any order; when the duplicate's deletion arrives before the application's move,
the duplicate is still deleted at LinkedIn once the moved application has landed under the survivor
(docs/architecture.md#8-deleting)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.factories import Ats, application, candidate, job, tombstone
from tests.flows.conftest import add_fault, drain, linkedin_world, outbox_rows

ORG = "urn:li:organization:1001"


def candidate_key(ats_id: str) -> dict[str, str]:
    return {"atsCandidateId": ats_id, "dataProvider": "ATS", "integrationContext": ORG}


@pytest.mark.parametrize("fail_once", [False, True], ids=["same_claim", "deletion_retried_alone"])
async def test_a_duplicate_deleted_before_its_application_moved_is_deleted_at_linkedin(
    fail_once: bool,
    linkedin_http: httpx.AsyncClient,
    ats: Ats,
    dispatcher: Dispatcher,
    linkedin_sim: FastAPI,
    ctx_li: AppContext,
    clock: FrozenClock,
) -> None:
    """Retried alone, the duplicate's deletion waited for good on its application's deletion, which the
    move had turned into a write: LinkedIn kept the duplicate, shown twice in Recruiter, and no dead letter
    said so."""
    await ats.send("job.created", job())
    await ats.send("candidate.created", candidate("cand_1"))
    await ats.send(
        "candidate.created", candidate("cand_2", emails=[{"address": "ada.dup@example.com", "type": "home"}])
    )
    await ats.send("application.created", application(candidate_id="cand_2"))
    await drain(dispatcher, clock, rounds=20)
    world = linkedin_world(linkedin_sim)
    assert world.record("atsCandidates", **candidate_key("cand_2")) is not None
    if fail_once:  # LinkedIn answers the duplicate's deletion 503 once: it is retried alone, later
        await add_fault(linkedin_http, kind="error", status=503, count=1, pathPrefix="/v2/atsCandidates")

    # The merge: app_1 moved to cand_1, then cand_2 deleted; the deletion's webhook comes first.
    deleted = await ats.send(
        "candidate.deleted", tombstone("candidate", "cand_2", 2) | {"deleted_at": "2026-11-25T12:00:00Z"}
    )
    moved = await ats.send(
        "application.updated",
        application(version=2, candidate_id="cand_1", updated_at="2026-11-25T12:00:00Z"),
    )
    assert (deleted.status_code, moved.status_code) == (202, 202)
    for _ in range(5):
        await drain(dispatcher, clock, rounds=20)
        clock.advance(hours=1)

    rows = await outbox_rows(ctx_li)
    unsettled = {key: (row.op, row.state, row.last_error) for key, row in rows.items() if row.state != "done"}
    assert unsettled == {}
    assert world.record("atsCandidates", **candidate_key("cand_2")) is None
    assert world.record("atsCandidates", **candidate_key("cand_1")) is not None
    app = world.record(
        "atsApplications", atsJobApplicationId="app_1", dataProvider="ATS", integrationContext=ORG
    )
    assert app is not None and app["atsCandidateId"] == "cand_1"
