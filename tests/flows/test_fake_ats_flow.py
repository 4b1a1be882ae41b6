"""Every record kind created, changed and deleted in the fake ATS lands in the LinkedIn simulator exactly."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.simulators.ats.records import parse_iso
from rsc_service.simulators.linkedin.world import World as LinkedInWorld
from tests.conftest import FrozenClock
from tests.flows.conftest import FakeAts, assert_all_done, drain, linkedin_world, seed_every_kind

ORG = "urn:li:organization:1001"


def epoch_ms(text: str) -> int:
    return int(parse_iso(text).timestamp() * 1000)


def job_on_linkedin(world: LinkedInWorld, job_id: str) -> dict[str, Any] | None:
    return world.record("simpleJobPostings", integrationContext=ORG, externalJobPostingId=job_id)


def candidate_on_linkedin(world: LinkedInWorld, cand_id: str) -> dict[str, Any] | None:
    return world.record("atsCandidates", atsCandidateId=cand_id, dataProvider="ATS", integrationContext=ORG)


def application_on_linkedin(world: LinkedInWorld, app_id: str) -> dict[str, Any] | None:
    return world.record(
        "atsApplications", atsJobApplicationId=app_id, dataProvider="ATS", integrationContext=ORG
    )


def children(world: LinkedInWorld, collection: str, child_field: str, **parent: str) -> dict[str, Any]:
    return {dict(key)[child_field]: record for key, record in world.collection(collection).where(**parent)}


def assert_matches(world: LinkedInWorld, fake: FakeAts, ids: dict[str, str]) -> None:
    """The simulator holds exactly what the ATS holds now, field by field."""
    ats = fake.world
    job = ats.get("job", ids["job"])
    posting = job_on_linkedin(world, job["id"])
    assert posting is not None
    assert posting["title"] == job["title"]
    assert posting["description"] == job["description"]
    assert posting["companyApplyUrl"] == job["url"]
    assert posting["location"] == f"{job['location']['city']}, {job['location']['region']}"
    assert posting["state"] == ("CLOSED" if job["status"] == "closed" else "LISTED")
    assert posting["listedAt"] == epoch_ms(job["created_at"])

    candidate = ats.get("candidate", ids["candidate"])
    stored = candidate_on_linkedin(world, candidate["id"])
    assert stored is not None
    assert stored["firstName"] == candidate["first_name"]
    assert stored["lastName"] == candidate["last_name"]
    assert stored["emailAddresses"] == [e["address"] for e in candidate["emails"]]
    assert stored["phoneNumbers"] == [{"number": p["number"]} for p in candidate["phones"]]
    assert stored["currentCompanyName"] == candidate["current_company"]
    assert stored["currentJobTitle"] == candidate["current_title"]
    assert stored["externalProfileUrl"] == candidate["url"]
    assert stored["atsCreatedAt"] == epoch_ms(candidate["created_at"])
    assert stored["atsLastModifiedAt"] == epoch_ms(candidate["updated_at"])

    application = ats.get("application", ids["application"])
    on_li = application_on_linkedin(world, application["id"])
    assert on_li is not None
    assert on_li["atsCandidateId"] == candidate["id"]
    assert on_li["atsJobPostingId"] == job["id"]
    assert on_li["atsJobPostingName"] == job["title"]
    assert on_li["firstName"] == candidate["first_name"]
    assert on_li["lastName"] == candidate["last_name"]
    assert on_li["candidateEmail"] == candidate["emails"][0]["address"]
    app_key = {"atsJobApplicationId": application["id"], "integrationContext": ORG}
    stages = children(world, "stages", "stageId", **app_key)
    assert sorted(stages) == [f"{application['id']}-{i}" for i in range(len(application["stage_history"]))]
    for index, change in enumerate(application["stage_history"]):
        stage = stages[f"{application['id']}-{index}"]
        assert stage["stage"] == change["stage"]
        assert stage["atsCreatedAt"] == epoch_ms(change["entered_at"])

    note = ats.get("note", ids["candidate_note"])
    cand_key = {"atsCandidateId": candidate["id"], "integrationContext": ORG}
    notes = children(world, "candidateNotes", "noteId", **cand_key)
    assert list(notes) == [note["id"]]
    assert notes[note["id"]]["note"] == note["body"]
    assert notes[note["id"]]["atsCreatedAt"] == epoch_ms(note["written_at"])

    app_note = ats.get("note", ids["application_note"])
    app_notes = children(world, "applicationNotes", "noteId", **app_key)
    assert list(app_notes) == [app_note["id"]]
    assert app_notes[app_note["id"]]["note"] == app_note["body"]

    feedback = ats.get("interview_feedback", ids["feedback"])
    given = children(world, "interviewFeedback", "interviewFeedbackId", **app_key)
    assert list(given) == [feedback["id"]]
    assert given[feedback["id"]]["feedback"] == feedback["summary"]
    assert given[feedback["id"]]["interviewType"] == "PHONE_SCREEN"
    rating = {"strong_no": "Strong No", "no": "No", "yes": "Yes", "strong_yes": "Strong Yes"}[
        feedback["rating"]
    ]
    assert given[feedback["id"]]["evaluations"] == [{"attribute": "Overall Rating", "result": rating}]


class TestFakeAtsFlow:
    async def test_created_records_land_with_exact_fields(
        self,
        fake_ats: FakeAts,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        records = await seed_every_kind(fake_ats)

        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_li)
        assert_matches(linkedin_world(linkedin_sim), fake_ats, {k: v["id"] for k, v in records.items()})

    async def test_updates_and_a_stage_change_replace_the_fields(
        self,
        fake_ats: FakeAts,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        records = await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)
        ids = {k: v["id"] for k, v in records.items()}
        world = fake_ats.world

        clock.advance(minutes=5)
        world.update(
            "job", ids["job"], {"title": "Senior Robotics Engineer", "description": "Lead the arms."}
        )
        world.update("candidate", ids["candidate"], {"current_title": "Lead Engineer", "last_name": "Smith"})
        world.update("application", ids["application"], {"stage": "Interview"})
        world.update("note", ids["candidate_note"], {"body": "Met twice now."})
        world.update("note", ids["application_note"], {"body": "Excellent on control loops."})
        world.update("interview_feedback", ids["feedback"], {"summary": "Hire.", "rating": "yes"})
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_li)
        sim = linkedin_world(linkedin_sim)
        assert_matches(sim, fake_ats, ids)
        application = application_on_linkedin(sim, ids["application"])
        assert application is not None and application["atsJobPostingName"] == "Senior Robotics Engineer"
        assert application["lastName"] == "Smith"
        stages = children(sim, "stages", "stageId", atsJobApplicationId=ids["application"])
        assert [stages[k]["stage"] for k in sorted(stages)] == ["Applied", "Interview"]

    async def test_deleting_an_application_removes_its_children(
        self,
        fake_ats: FakeAts,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        records = await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)
        app_id = records["application"]["id"]

        fake_ats.world.delete("application", app_id)
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_li)
        sim = linkedin_world(linkedin_sim)
        assert application_on_linkedin(sim, app_id) is None
        for collection in ("stages", "applicationNotes", "interviewFeedback"):
            assert sim.collection(collection).where(atsJobApplicationId=app_id) == []
        assert candidate_on_linkedin(sim, records["candidate"]["id"]) is not None
        assert len(sim.collection("candidateNotes").records) == 1

    async def test_deleting_a_candidate_removes_it_and_everything_under_it(
        self,
        fake_ats: FakeAts,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        records = await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)

        fake_ats.world.delete("candidate", records["candidate"]["id"])
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_li)
        sim = linkedin_world(linkedin_sim)
        assert candidate_on_linkedin(sim, records["candidate"]["id"]) is None
        for collection in (
            "atsApplications",
            "stages",
            "applicationNotes",
            "interviewFeedback",
            "candidateNotes",
        ):
            assert sim.collection(collection).records == {}, collection
        assert job_on_linkedin(sim, records["job"]["id"]) is not None

    async def test_deleting_only_the_parent_event_still_cascades(
        self,
        fake_ats: FakeAts,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        # The children's own deletion webhooks never arrive: the service must cascade from the parent alone.
        records = await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)
        sender = fake_ats.webhooks
        fake_ats.world.listeners = [
            lambda event: sender.enqueue(event) if event["type"] == "candidate.deleted" else None
        ]

        fake_ats.world.delete("candidate", records["candidate"]["id"])
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_li)
        sim = linkedin_world(linkedin_sim)
        for collection in (
            "atsCandidates",
            "atsApplications",
            "stages",
            "applicationNotes",
            "candidateNotes",
        ):
            assert sim.collection(collection).records == {}, collection
        assert sim.collection("interviewFeedback").records == {}

    async def test_a_deleted_job_is_closed_not_deleted(
        self,
        fake_ats: FakeAts,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        job = fake_ats.world.create(
            "job",
            {
                "title": "Welder",
                "description": "Join two metals.",
                "location": {"city": "Oslo", "country": "NO"},
            },
        )
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)

        fake_ats.world.delete("job", job["id"])
        await fake_ats.flush()
        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_li)
        posting = job_on_linkedin(linkedin_world(linkedin_sim), job["id"])
        assert posting is not None
        assert posting["state"] == "CLOSED"
        assert posting["title"] == "Welder"
