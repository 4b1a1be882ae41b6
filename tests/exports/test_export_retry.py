"""An export tried again after a try that wrote to the ATS and was cut off before recording anything
(docs/exports.md, "Once per request id"): the retry finishes what that try wrote rather than deciding again
from what has changed since."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.exports import decide
from rsc_service.exports.models import ExportAllowance, ExportReservation
from rsc_service.links.models import CandidateLink
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.simulators.linkedin.world import World as LinkedInWorld
from tests.conftest import FrozenClock
from tests.exports.conftest import MEMBER, Recruiter, SeatMonth, candidates, ours, synced_job, taken_over
from tests.seats.conftest import ats_world


async def allowance(ctx: AppContext, seat: SeatMonth) -> tuple[int, list[str]]:
    """The seat's units used this month, and the request ids holding one."""
    async with ctx.sessionmaker() as session:
        row = await session.get(ExportAllowance, (seat.tenant_id, seat.urn, seat.month))
        held = (await session.scalars(select(ExportReservation.request_id))).all()
    assert row is not None
    return row.used, list(held)


async def cut_off_after_writing(recruiter: Recruiter, ats_sim: FastAPI, job: str) -> tuple[str, str]:
    """An export whose first try creates the candidate on `job` in the ATS and loses its notification before
    recording anything: its request id and the candidate's id."""
    request_id = await recruiter.requested(job)
    before = {c["id"] for c in candidates(ats_sim)}
    recruiter.hold()
    assert await recruiter.process(request_id, taken_over) is None
    made = [c for c in candidates(ats_sim) if c["id"] not in before]
    assert len(made) == 1
    return request_id, str(made[0]["id"])


async def test_a_retried_export_does_not_flag_its_own_candidate_as_a_likely_duplicate(
    ctx_seats: AppContext, recruiter: Recruiter, job: str, ats_sim: FastAPI
) -> None:
    """The ATS user would be asked to merge the exported candidate with itself."""
    request_id, made = await cut_off_after_writing(recruiter, ats_sim, job)
    await recruiter.deliver()  # the candidate's webhook reaches the mirror meanwhile

    row = await recruiter.process(request_id, ours)

    assert row is not None and (row.outcome, row.ats_candidate_id) == ("created", made)
    assert row.likely_duplicate_of is None  # nobody else is Dana Scully in the ATS


async def test_a_retry_whose_job_was_deleted_meanwhile_leaves_what_the_first_try_wrote_consistent(
    ctx_seats: AppContext, recruiter: Recruiter, seat: SeatMonth, job: str, ats_sim: FastAPI
) -> None:
    """The candidate the first try created would stay in the ATS unlinked, under an export recorded as
    refused that still used a unit of the seat's allowance."""
    await seat.used(decide.PER_SEAT_PER_MONTH - 1)
    request_id, made = await cut_off_after_writing(recruiter, ats_sim, job)
    ats_world(ats_sim).delete("job", job)
    await recruiter.deliver()

    row = await recruiter.process(request_id, ours)

    assert row is not None and (row.outcome, row.ats_candidate_id) == ("created", made)
    async with ctx_seats.sessionmaker() as session:
        link = await session.scalar(select(CandidateLink).where(CandidateLink.ats_candidate_id == made))
    assert link is not None and (link.member_urn, link.source) == (MEMBER, "export")
    assert await allowance(ctx_seats, seat) == (decide.PER_SEAT_PER_MONTH, [request_id])


async def test_a_retry_recorded_as_refused_holds_no_unit_of_the_allowance(
    ctx_seats: AppContext,
    recruiter: Recruiter,
    seat: SeatMonth,
    job: str,
    ats_sim: FastAPI,
    linkedin_sim: FastAPI,
) -> None:
    """A retry LinkedIn no longer serves the export for is refused, and the seat would lose a unit for it."""
    await seat.used(decide.PER_SEAT_PER_MONTH - 1)
    request_id, _ = await cut_off_after_writing(recruiter, ats_sim, job)
    await recruiter.deliver()
    world: LinkedInWorld = linkedin_sim.state.world
    del world.exports[request_id]  # expired

    row = await recruiter.process(request_id, ours)

    assert row is not None and row.outcome == "not_found"
    assert await allowance(ctx_seats, seat) == (decide.PER_SEAT_PER_MONTH - 1, [])


async def test_a_retried_assignment_is_recorded_as_assigned_not_already_assigned(
    ctx_seats: AppContext, recruiter: Recruiter, ats_sim: FastAPI, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    """The export list would say the candidate already had an application there, though this export made
    it."""
    first_job = await synced_job(ats_sim, dispatcher, clock)
    second_job = await synced_job(ats_sim, dispatcher, clock, title="Controls Engineer")
    await recruiter.export(first_job)
    await recruiter.act()
    await recruiter.deliver()
    request_id = await recruiter.requested(second_job)
    recruiter.hold()
    assert await recruiter.process(request_id, taken_over) is None  # assigned in the ATS, then cut off
    await recruiter.deliver()  # the application's webhook arrives meanwhile

    row = await recruiter.process(request_id, ours)

    assert row is not None and row.outcome == "assigned"
