"""A note or interview feedback the ATS moves to another parent (a candidate's note attached to their
application, a note or feedback moved to another application) lives at LinkedIn under its new parent only: a
recruiter must not see it twice, nor still see it once it is deleted in the ATS."""

from __future__ import annotations

from fastapi import FastAPI

from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.factories import Ats, application, interview_feedback, note, tombstone
from tests.flows.conftest import drain, land_job_candidate_application, linkedin_world

NOTES = ("candidateNotes", "applicationNotes")


def _held(linkedin_sim: FastAPI, collections: tuple[str, ...] = NOTES) -> list[tuple[str, str | None]]:
    """(collection, parent) of every note or feedback LinkedIn holds."""
    world = linkedin_world(linkedin_sim)
    found = []
    for collection in collections:
        for key in world.collection(collection).records:
            parent = dict(key).get("atsJobApplicationId") or dict(key).get("atsCandidateId")
            found.append((collection, parent))
    return sorted(found)


async def _moved_note(ats: Ats, version: int, application_id: str | None) -> None:
    moved = note(
        version=version, application_id=application_id, updated_at=f"2026-11-0{4 + version}T09:00:00Z"
    )
    assert (await ats.send("note.updated", moved)).status_code == 202


async def _two_applications(ats: Ats, dispatcher: Dispatcher, clock: FrozenClock) -> None:
    """The job, the candidate and its application app_1 land; then the ATS sends a second one, app_2."""
    await land_job_candidate_application(ats, dispatcher, clock)
    assert (await ats.send("application.created", application("app_2", job_id="job_1"))).status_code == 202


async def _a_note_moved_to_the_second_of_two_applications(
    ats: Ats, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    """A note on app_1 lands; then the ATS moves it to app_2 (not yet sent)."""
    await _two_applications(ats, dispatcher, clock)
    assert (await ats.send("note.created", note(application_id="app_1"))).status_code == 202
    await drain(dispatcher, clock, rounds=20)

    await _moved_note(ats, 2, "app_2")


class TestNoteMoves:
    async def test_a_candidate_note_attached_to_an_application_leaves_the_candidate(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        await land_job_candidate_application(ats, dispatcher, clock)
        assert (await ats.send("note.created", note())).status_code == 202
        await drain(dispatcher, clock, rounds=20)
        assert _held(linkedin_sim) == [("candidateNotes", "cand_1")]

        await _moved_note(ats, 2, "app_1")
        await drain(dispatcher, clock, rounds=20)

        assert _held(linkedin_sim) == [("applicationNotes", "app_1")]

    async def test_a_note_moved_to_another_application_then_deleted_is_gone(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        await _a_note_moved_to_the_second_of_two_applications(ats, dispatcher, clock)
        await drain(dispatcher, clock, rounds=20)
        assert _held(linkedin_sim) == [("applicationNotes", "app_2")]

        gone = tombstone("note", "note_1", 3, candidate_id="cand_1", application_id="app_2")
        assert (await ats.send("note.deleted", gone)).status_code == 202
        await drain(dispatcher, clock, rounds=20)

        assert _held(linkedin_sim) == []

    async def test_a_note_moved_away_and_back_before_anything_is_sent_stays_where_it_is(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        await _a_note_moved_to_the_second_of_two_applications(ats, dispatcher, clock)
        await _moved_note(ats, 3, "app_1")
        await drain(dispatcher, clock, rounds=20)

        assert _held(linkedin_sim) == [("applicationNotes", "app_1")]

    async def test_feedback_moved_to_another_application_leaves_the_first(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        await _two_applications(ats, dispatcher, clock)
        assert (await ats.send("interview_feedback.created", interview_feedback())).status_code == 202
        await drain(dispatcher, clock, rounds=20)

        moved = interview_feedback(version=2, application_id="app_2")
        assert (await ats.send("interview_feedback.updated", moved)).status_code == 202
        await drain(dispatcher, clock, rounds=20)

        assert _held(linkedin_sim, ("interviewFeedback",)) == [("interviewFeedback", "app_2")]

    async def test_a_note_moved_away_twice_leaves_no_copy_behind_either_time(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        # app_1 → app_2, back to app_1, then to app_2 again, each move landing before the next: the copy under
        # app_1 is deleted the second time as the first, though its deletion was owed and done once already.
        await _a_note_moved_to_the_second_of_two_applications(ats, dispatcher, clock)
        await drain(dispatcher, clock, rounds=20)
        await _moved_note(ats, 3, "app_1")
        await drain(dispatcher, clock, rounds=20)
        assert _held(linkedin_sim) == [("applicationNotes", "app_1")]

        await _moved_note(ats, 4, "app_2")
        await drain(dispatcher, clock, rounds=20)

        assert _held(linkedin_sim) == [("applicationNotes", "app_2")]
