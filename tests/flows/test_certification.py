"""LinkedIn's certification rules of module 2 (docs/linkedin.md#certification), shown on Recruiter's views.

Each test is named after the rule it demonstrates (RSC-201..203 and the older TC 2-5) and checks it where a
LinkedIn reviewer would: the export drop-down and the Enhanced In-ATS indicator of the simulator.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.simulators.ats import seed
from rsc_service.simulators.ats.records import parse_iso
from tests.conftest import FrozenClock
from tests.factories import Ats, candidate
from tests.flows.conftest import FakeAts, assert_all_done, drain, linkedin_world, outbox_rows, seed_every_kind
from tests.flows.recruiter_views import dropdown, historical_sync, indicator, two_years_ago


class TestModule2HistoricalSync:
    async def test_rsc_201_every_job_of_two_years_is_in_the_export_dropdown(
        self,
        fake_ats: FakeAts,
        linkedin_http: httpx.AsyncClient,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await historical_sync(fake_ats, linkedin_http, dispatcher, clock)

        await assert_all_done(ctx_li)
        ats_jobs = list(fake_ats.world.stores["job"].live())
        recent = [job for job in ats_jobs if job["created_at"] >= two_years_ago()]
        oldest = min(parse_iso(job["created_at"]) for job in ats_jobs)
        assert oldest < seed.ANCHOR - timedelta(days=365), "the seed must span more than a year"
        assert {job["privacy"] for job in ats_jobs} == {"public", "private"}
        assert {job["status"] for job in ats_jobs} == {"open", "closed"}
        listed = {job["externalJobPostingId"]: job for job in await dropdown(linkedin_http)}
        # (1) public and private, (2) two years, (3) selectable, (4) counts equal, closed ones included.
        assert len(listed) == len(recent) == len(ats_jobs)
        for job in ats_jobs:
            assert listed[job["id"]]["title"] == job["title"]
            assert listed[job["id"]]["state"] == ("CLOSED" if job["status"] == "closed" else "LISTED")
            assert listed[job["id"]]["jobPosting"]
            # A recruiter can pick it when exporting a member's profile (One-Click Export).
            picked = await linkedin_http.post(
                "/_sim/exports", json={"seat": 3001, "member": "m1004", "job": job["id"]}
            )
            assert picked.status_code == 200, picked.text

    async def test_rsc_202_every_candidate_shows_the_in_ats_indicator_and_totals_match(
        self,
        fake_ats: FakeAts,
        linkedin_http: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await historical_sync(fake_ats, linkedin_http, dispatcher, clock)

        await assert_all_done(ctx_li)
        candidates = list(fake_ats.world.stores["candidate"].live())
        oldest = min(parse_iso(c["created_at"]) for c in candidates)
        assert two_years_ago() <= min(c["created_at"] for c in candidates)
        assert oldest < seed.ANCHOR - timedelta(days=365), "the seed must span more than a year"
        assert len(linkedin_world(linkedin_sim).collection("atsCandidates").records) == len(candidates)
        for person in candidates:
            shown = await indicator(linkedin_http, f"urn:li:person:c-{person['id']}")
            assert shown["inAts"], person["id"]
            (entry,) = shown["candidates"]
            assert entry["atsCandidateId"] == person["id"]
            assert entry["candidate"]["firstName"] == person["first_name"]
            assert entry["candidate"]["lastName"] == person["last_name"]

    async def test_rsc_203_every_application_is_visible_in_recruiter(
        self,
        fake_ats: FakeAts,
        linkedin_http: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await historical_sync(fake_ats, linkedin_http, dispatcher, clock)

        await assert_all_done(ctx_li)
        applications = list(fake_ats.world.stores["application"].live())
        assert applications
        assert len(linkedin_world(linkedin_sim).collection("atsApplications").records) == len(applications)
        for application in applications:
            shown = await indicator(linkedin_http, f"urn:li:person:c-{application['candidate_id']}")
            entries = {a["atsJobApplicationId"]: a for c in shown["candidates"] for a in c["applications"]}
            entry = entries[application["id"]]
            assert entry["job"]["externalJobPostingId"] == application["job_id"]
            assert [s["stage"] for s in sorted(entry["stages"], key=lambda s: s["id"])] == [
                change["stage"] for change in application["stage_history"]
            ]

    async def test_tc_2_historical_sync_shows_jobs_applications_notes_feedback_and_stages(
        self,
        fake_ats: FakeAts,
        linkedin_http: httpx.AsyncClient,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await historical_sync(fake_ats, linkedin_http, dispatcher, clock)
        records = await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_li)
        (entry,) = (await indicator(linkedin_http))["candidates"]
        assert entry["atsCandidateId"] == records["candidate"]["id"]
        assert [n["id"] for n in entry["notes"]] == [records["candidate_note"]["id"]]
        (application,) = entry["applications"]
        assert application["job"]["title"] == records["job"]["title"]
        assert [n["id"] for n in application["notes"]] == [records["application_note"]["id"]]
        assert [f["id"] for f in application["interviewFeedback"]] == [records["feedback"]["id"]]
        assert [s["stage"] for s in application["stages"]] == ["Applied"]
        # Without the customer choosing PUBLIC, every synced job is private to the integration.
        postings = linkedin_world(linkedin_sim).jobs.values()
        assert len(postings) == len(list(fake_ats.world.stores["job"].live()))
        assert {posting["availability"] for posting in postings} == {"PRIVATE_TO_ATS_INTEGRATION"}

    async def test_tc_3_every_distinct_candidate_field_shows_in_the_indicator(
        self,
        fake_ats: FakeAts,
        linkedin_http: httpx.AsyncClient,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        created = fake_ats.world.create(
            "candidate",
            {
                "first_name": "Dana",
                "last_name": "Distinct",
                "emails": [{"address": "dan@candidates.example", "type": "home"}],
                "phones": [{"number": "+1 512 555 0199", "type": "mobile"}],
                "linkedin_url": "https://www.linkedin.com/in/dana-distinct",
                "current_company": "Distinct Widgets",
                "current_title": "Chief Widget Officer",
                "location": {"city": "Boise", "region": "ID", "country": "US", "postal_code": "83702"},
            },
        )
        await fake_ats.flush()
        await drain(dispatcher, clock)

        await assert_all_done(ctx_li)
        (entry,) = (await indicator(linkedin_http))["candidates"]
        shown = entry["candidate"]
        assert shown["firstName"] == "Dana"
        assert shown["lastName"] == "Distinct"
        assert shown["emailAddresses"] == ["dan@candidates.example"]
        assert shown["phoneNumbers"] == [{"number": "+1 512 555 0199"}]
        assert shown["linkedInProfileUrl"] == "https://www.linkedin.com/in/dana-distinct"
        assert shown["currentCompanyName"] == "Distinct Widgets"
        assert shown["currentJobTitle"] == "Chief Widget Officer"
        assert shown["externalProfileUrl"] == created["url"]
        (address,) = shown["addresses"]
        assert (address["city"], address["geographicArea"], address["postalCode"], address["country"]) == (
            "Boise",
            "ID",
            "83702",
            "US",
        )

    async def test_tc_4_an_updated_candidate_field_shows_its_new_value(
        self,
        fake_ats: FakeAts,
        linkedin_http: httpx.AsyncClient,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        records = await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)

        clock.advance(minutes=1)
        fake_ats.world.update("candidate", records["candidate"]["id"], {"current_title": "Head of Robotics"})
        await fake_ats.flush()
        await drain(dispatcher, clock)

        await assert_all_done(ctx_li)
        (entry,) = (await indicator(linkedin_http))["candidates"]
        assert entry["candidate"]["currentJobTitle"] == "Head of Robotics"
        assert entry["candidate"]["atsLastModifiedAt"] > entry["candidate"]["atsCreatedAt"]

    async def test_tc_5_a_record_missing_a_required_field_is_a_dead_letter_with_linkedins_message(
        self,
        fake_ats: FakeAts,
        ats: Ats,
        linkedin_http: httpx.AsyncClient,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        # The ATS lacks what LinkedIn requires: a job's location, a candidate's first name.
        job = fake_ats.world.create("job", {"title": "Remote-ish role", "description": "Somewhere."})
        good = fake_ats.world.create(
            "job",
            {"title": "Known role", "description": "Clear.", "location": {"city": "Rome", "country": "IT"}},
        )
        await fake_ats.flush()
        nameless = candidate("cand_nameless", first_name="")  # the ATS contract would allow a blank name
        assert (await ats.send("candidate.created", nameless)).status_code == 202
        await drain(dispatcher, clock, rounds=20)

        rows = await outbox_rows(ctx_li)
        dead_job = rows[("simpleJobPostings", job["id"])]
        assert dead_job.state == "dead" and dead_job.attempts == 1
        assert dead_job.last_error is not None
        assert (
            "ERROR :: /location :: location, or countryCode and postalCode, is required"
            in dead_job.last_error
        )
        dead_candidate = rows[("atsCandidates", "cand_nameless")]
        assert dead_candidate.state == "dead" and dead_candidate.attempts == 1
        assert dead_candidate.last_error is not None and dead_candidate.last_error.startswith(
            "422 ERROR :: /firstName"
        )
        assert rows[("simpleJobPostings", good["id"])].state == "done"
        assert [j["externalJobPostingId"] for j in await dropdown(linkedin_http)] == [good["id"]]
        assert (await indicator(linkedin_http, "urn:li:person:m1001"))["inAts"] is False
