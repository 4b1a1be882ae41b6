"""Notes and interview feedback embed their author's or interviewer's name from the ATS user record
(docs/architecture.md#2-the-mirror): a recruiter must see at LinkedIn the name the ATS holds, even when the
user's webhook arrives after the note (deliveries cross) or the user is renamed later."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.factories import Ats, application, candidate, interview_feedback, job, note
from tests.flows.conftest import drain, linkedin_world

ORG = "urn:li:organization:1001"
RITA = {"firstName": "Rita", "lastName": "Recruiter"}


def user(version: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "user",
        "id": "usr_1",
        "version": version,
        "created_at": "2026-11-01T09:00:00Z",
        "updated_at": f"2026-11-0{version}T09:00:00Z",
        "email": "rita@acme.example",
        "first_name": "Rita",
        "last_name": "Recruiter",
        "access_level": "recruiter",
        **fields,
    }


def _feedback_at_linkedin(sim: FastAPI) -> dict[str, Any]:
    found = linkedin_world(sim).collection("interviewFeedback").where(atsJobApplicationId="app_1")
    return {dict(key)["interviewFeedbackId"]: record for key, record in found}["ifb_1"]


def _note_at_linkedin(sim: FastAPI) -> dict[str, Any]:
    found = (
        linkedin_world(sim)
        .collection("candidateNotes")
        .where(atsCandidateId="cand_1", integrationContext=ORG)
    )
    return {dict(key)["noteId"]: record for key, record in found}["note_1"]


async def _parents(ats: Ats) -> None:
    for event_type, data in [
        ("job.created", job()),
        ("candidate.created", candidate()),
        ("application.created", application()),
    ]:
        assert (await ats.send(event_type, data)).status_code == 202


class TestEmbeddedUsers:
    async def test_feedback_delivered_before_its_interviewer_lands_with_the_interviewer(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        await _parents(ats)
        assert (await ats.send("interview_feedback.created", interview_feedback())).status_code == 202
        assert (await ats.send("user.created", user())).status_code == 202
        await drain(dispatcher, clock, rounds=20)

        assert _feedback_at_linkedin(linkedin_sim).get("interviewer") == RITA

    async def test_a_note_delivered_before_its_author_lands_with_the_author(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        await _parents(ats)
        assert (await ats.send("note.created", note())).status_code == 202
        assert (await ats.send("user.created", user())).status_code == 202
        await drain(dispatcher, clock, rounds=20)

        assert _note_at_linkedin(linkedin_sim).get("author") == RITA

    async def test_a_renamed_user_reaches_the_notes_and_feedback_they_wrote(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        assert (await ats.send("user.created", user())).status_code == 202
        await _parents(ats)
        assert (await ats.send("note.created", note())).status_code == 202
        assert (await ats.send("interview_feedback.created", interview_feedback())).status_code == 202
        await drain(dispatcher, clock, rounds=20)
        assert _feedback_at_linkedin(linkedin_sim)["interviewer"] == RITA

        assert (await ats.send("user.updated", user(version=2, last_name="Married"))).status_code == 202
        await drain(dispatcher, clock, rounds=20)

        married = {"firstName": "Rita", "lastName": "Married"}
        assert _feedback_at_linkedin(linkedin_sim)["interviewer"] == married
        assert _note_at_linkedin(linkedin_sim)["author"] == married
