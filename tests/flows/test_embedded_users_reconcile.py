"""A user whose webhook was lost and whom reconcile repairs reaches the notes they wrote: a recruiter must not
see those notes without their author for good (docs/architecture.md#2-the-mirror)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.reconcile import service as reconcile_service
from rsc_service.simulators.ats.webhooks import Faults
from tests.conftest import FrozenClock
from tests.flows.conftest import FakeAts, drain, linkedin_world
from tests.reconcile.conftest import ats, ctx_ats  # noqa: F401 - a tenant whose ATS reconcile reads


async def test_a_lost_user_webhook_repaired_by_reconcile_reaches_the_notes_they_wrote(
    fake_ats: FakeAts,
    dispatcher: Dispatcher,
    linkedin_sim: FastAPI,
    ctx_ats: AppContext,  # noqa: F811
    clock: FrozenClock,
) -> None:
    world = fake_ats.world
    fake_ats.webhooks.set_faults(Faults(drop=1.0))  # the user's webhook is lost
    author = world.create(
        "user", {"email": "rita@acme.example", "first_name": "Rita", "last_name": "Recruiter"}
    )
    await fake_ats.flush()
    fake_ats.webhooks.set_faults(Faults(drop=0.0))
    clock.advance(seconds=1)
    person: dict[str, Any] = world.create(
        "candidate",
        {"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "ada@example.com"}]},
    )
    written = world.create(
        "note", {"candidate_id": person["id"], "body": "Met at a meetup.", "author_user_id": author["id"]}
    )
    await fake_ats.flush()
    await drain(dispatcher, clock, rounds=20)

    clock.advance(minutes=5)
    [report] = await reconcile_service.run_now(ctx_ats)
    assert report.error is None and report.applied >= 1
    await drain(dispatcher, clock, rounds=20)

    found = linkedin_world(linkedin_sim).collection("candidateNotes").where(atsCandidateId=person["id"])
    notes = {dict(key)["noteId"]: record for key, record in found}
    assert notes[written["id"]].get("author") == {"firstName": "Rita", "lastName": "Recruiter"}
