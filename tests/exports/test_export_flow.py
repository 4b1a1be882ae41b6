"""R1 One-Click Export through both simulators (docs/exports.md): a new member becomes an ATS candidate with
only name, title and employer, linked and told to LinkedIn; an already linked member is assigned, never
duplicated; unknown jobs, jobs the user may not see and a spent allowance write nothing; a look-alike is
flagged for a person to merge; a request id is acted on once."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.exports import decide
from rsc_service.linkedin_notifications.models import LinkedInNotification
from rsc_service.links.models import CandidateLink
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.simulators.linkedin.world import World as LinkedInWorld
from tests.conftest import FrozenClock
from tests.exports.conftest import (
    MEMBER,
    MEMBER_EMAIL,
    MEMBER_PHONE,
    Recruiter,
    SeatMonth,
    candidates,
    exports,
    ours,
    synced_job,
    taken_over,
)
from tests.flows.conftest import assert_all_done, drain
from tests.seats.conftest import BOB, Tenancy, add_user, ats_world, delivered


def applications_of(ats_sim: FastAPI, candidate_id: str) -> list[dict[str, object]]:
    return [a for a in ats_world(ats_sim).stores["application"].live() if a["candidate_id"] == candidate_id]


class TestANewMember:
    async def test_becomes_a_candidate_with_only_name_title_and_employer_linked_and_told_to_linkedin(
        self,
        ctx_seats: AppContext,
        tenancy: Tenancy,
        recruiter: Recruiter,
        ats_sim: FastAPI,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        clock: FrozenClock,
    ) -> None:
        job_id = await synced_job(ats_sim, dispatcher, clock)
        alice = next(
            u["id"] for u in ats_world(ats_sim).stores["user"].live() if u["email"].startswith("alice")
        )
        before = {c["id"] for c in candidates(ats_sim)}

        request_id = await recruiter.export(job_id)
        await recruiter.act()

        made = [c for c in candidates(ats_sim) if c["id"] not in before]
        assert len(made) == 1
        candidate = made[0]
        assert (candidate["first_name"], candidate["last_name"]) == ("Dana", "Scully")
        assert (candidate["current_title"], candidate["current_company"]) == ("Staff Engineer", "Initech")
        assert candidate["source"] == "LinkedIn (Prospecting)"
        assert candidate["sourcer_user_id"] == alice  # the exporting user, by default
        assert candidate["emails"] == [] and candidate["phones"] == []  # never the member's contact details
        assert MEMBER_EMAIL not in str(candidate) and MEMBER_PHONE not in str(candidate)
        assert candidate.get("linkedin_url") is None
        assert [a["job_id"] for a in applications_of(ats_sim, candidate["id"])] == [job_id]
        row = (await exports(ctx_seats))[request_id]
        assert (row.outcome, row.ats_candidate_id, row.job_id, row.ats_user_id) == (
            "created",
            candidate["id"],
            job_id,
            alice,
        )
        async with ctx_seats.sessionmaker() as session:
            link = await session.scalar(
                select(CandidateLink).where(CandidateLink.ats_candidate_id == candidate["id"])
            )
            notification = await session.scalar(
                select(LinkedInNotification).where(LinkedInNotification.request_id == request_id)
            )
        assert link is not None and (link.member_urn, link.source) == (MEMBER, "export")
        assert notification is not None and notification.state == "done"

        # The ATS's webhook of the new candidate comes back; its PUT tells LinkedIn who it is.
        await recruiter.deliver()
        await drain(dispatcher, clock, rounds=20)
        await assert_all_done(ctx_seats)
        world: LinkedInWorld = linkedin_sim.state.world
        stored = [
            fields for _, fields in world.collection("atsCandidates").where(atsCandidateId=candidate["id"])
        ]
        assert len(stored) == 1 and stored[0]["manualMatchedMember"] == MEMBER

    async def test_the_tenants_settings_choose_source_stage_and_sourcer(
        self,
        client: httpx.AsyncClient,
        tenancy: Tenancy,
        recruiter: Recruiter,
        ats_sim: FastAPI,
        dispatcher: Dispatcher,
        clock: FrozenClock,
    ) -> None:
        bob = add_user(ats_sim, BOB)
        await delivered(ats_sim)
        job_id = await synced_job(ats_sim, dispatcher, clock)
        chosen = {"source": "Recruiter export", "stage": "phone_screen", "sourcer_user_id": bob}
        put = await client.put("/v1/integration/export-settings", json=chosen, headers=tenancy.auth)
        assert put.status_code == 200, put.text
        assert (await client.get("/v1/integration/export-settings", headers=tenancy.auth)).json() == chosen

        await recruiter.export(job_id)
        await recruiter.act()

        candidate = next(c for c in candidates(ats_sim) if c["last_name"] == "Scully")
        assert (candidate["source"], candidate["sourcer_user_id"]) == ("Recruiter export", bob)
        assert [a["stage"] for a in applications_of(ats_sim, candidate["id"])] == ["phone_screen"]


class TestAMemberAlreadyInTheAts:
    async def test_is_assigned_to_the_job_and_never_created_twice(
        self,
        ctx_seats: AppContext,
        recruiter: Recruiter,
        ats_sim: FastAPI,
        dispatcher: Dispatcher,
        clock: FrozenClock,
    ) -> None:
        first_job = await synced_job(ats_sim, dispatcher, clock)
        second_job = await synced_job(ats_sim, dispatcher, clock, title="Controls Engineer")
        await recruiter.export(first_job)
        await recruiter.act()
        await recruiter.deliver()
        count = len(candidates(ats_sim))

        to_second = await recruiter.export(second_job)
        await recruiter.act()
        await recruiter.deliver()
        to_second_again = await recruiter.export(second_job)
        await recruiter.act()
        no_job = await recruiter.export(None)
        await recruiter.act()

        assert len(candidates(ats_sim)) == count
        candidate = next(c for c in candidates(ats_sim) if c["last_name"] == "Scully")
        assert sorted(a["job_id"] for a in applications_of(ats_sim, candidate["id"])) == sorted(
            [first_job, second_job]
        )
        rows = await exports(ctx_seats)
        assert [rows[r].outcome for r in (to_second, to_second_again, no_job)] == [
            "assigned",
            "already_assigned",
            "linked_only",
        ]
        assert {rows[r].ats_candidate_id for r in (to_second, to_second_again, no_job)} == {candidate["id"]}


class TestRefused:
    async def test_an_unknown_job_writes_nothing_and_says_why(
        self,
        ctx_seats: AppContext,
        tenancy: Tenancy,
        client: httpx.AsyncClient,
        recruiter: Recruiter,
        ats_sim: FastAPI,
        dispatcher: Dispatcher,
        clock: FrozenClock,
    ) -> None:
        job_id = await synced_job(ats_sim, dispatcher, clock)
        ats_world(ats_sim).delete("job", job_id)  # gone from the ATS; LinkedIn still lists it, closed
        await delivered(ats_sim)
        await drain(dispatcher, clock, rounds=20)
        before = len(candidates(ats_sim))

        request_id = await recruiter.export(job_id)
        await recruiter.act()

        assert len(candidates(ats_sim)) == before
        row = (await exports(ctx_seats))[request_id]
        assert row.outcome == "unknown_job" and row.ats_candidate_id is None
        assert row.detail == f"job {job_id} is not a job of this ATS account"
        listed = await client.get("/v1/integration/exports?outcome=unknown_job", headers=tenancy.auth)
        assert [e["request_id"] for e in listed.json()["exports"]] == [request_id]
        assert listed.json()["exports"][0]["detail"] == row.detail

    async def test_a_job_the_exporting_user_may_not_see_writes_nothing(
        self, ctx_seats: AppContext, recruiter: Recruiter, job: str, ats_sim: FastAPI
    ) -> None:
        bob = add_user(ats_sim, BOB)
        # Restricted to Bob's team in the ATS; LinkedIn has not heard yet, so Recruiter still offers it.
        ats_world(ats_sim).update(
            "job", job, {"restricted": True, "hiring_team": [{"user_id": bob, "role": "recruiter"}]}
        )
        await delivered(ats_sim)
        before = len(candidates(ats_sim))

        request_id = await recruiter.export(job)
        await recruiter.act()

        assert len(candidates(ats_sim)) == before
        assert (await exports(ctx_seats))[request_id].outcome == "not_visible"

    async def test_the_301st_export_of_a_seat_in_a_month_writes_nothing(
        self, ctx_seats: AppContext, recruiter: Recruiter, seat: SeatMonth, job: str, ats_sim: FastAPI
    ) -> None:
        await seat.used(decide.PER_SEAT_PER_MONTH)  # the seat's first 300 this month
        before = len(candidates(ats_sim))

        request_id = await recruiter.export(job)
        await recruiter.act()

        row = (await exports(ctx_seats))[request_id]
        assert row.outcome == "quota"
        assert row.detail == f"the seat reached 300 exports in {seat.month}; nothing was written"
        assert len(candidates(ats_sim)) == before


class TestLookAlikes:
    async def test_an_existing_candidate_of_the_same_name_and_employer_is_flagged_never_merged(
        self,
        ctx_seats: AppContext,
        tenancy: Tenancy,
        client: httpx.AsyncClient,
        recruiter: Recruiter,
        job: str,
        ats_sim: FastAPI,
    ) -> None:
        existing = ats_world(ats_sim).create(
            "candidate",
            {
                "first_name": "dana",
                "last_name": "SCULLY",
                "current_company": "Initech",
                "current_title": "QA",
            },
        )
        await delivered(ats_sim)

        request_id = await recruiter.export(job)
        await recruiter.act()

        row = (await exports(ctx_seats))[request_id]
        assert row.outcome == "created" and row.likely_duplicate_of == existing["id"]
        assert row.ats_candidate_id != existing["id"]
        assert applications_of(ats_sim, existing["id"]) == []  # nothing moved onto the look-alike
        flagged = await client.get("/v1/integration/exports?likely_duplicates=true", headers=tenancy.auth)
        assert [(e["request_id"], e["likely_duplicate_of"]) for e in flagged.json()["exports"]] == [
            (request_id, existing["id"])
        ]


class TestOncePerRequest:
    async def test_a_try_cut_off_before_it_recorded_anything_writes_nothing_twice(
        self, ctx_seats: AppContext, recruiter: Recruiter, job: str, ats_sim: FastAPI
    ) -> None:
        request_id = await recruiter.requested(job)
        before = len(candidates(ats_sim))
        recruiter.hold()

        cut_off = await recruiter.process(request_id, taken_over)
        first = await recruiter.process(request_id, ours)
        again = await recruiter.process(request_id, ours)

        assert cut_off is None
        assert first is not None and again is not None and again.id == first.id
        assert len(candidates(ats_sim)) == before + 1  # the ATS keyed the create by the request id
        assert len(await exports(ctx_seats)) == 1
