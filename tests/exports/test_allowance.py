"""A seat's allowance (R1, docs/exports.md#allowance): an export whose ATS write fails gives its unit back,
so it uses none of the 300; a retried export counts once."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.exports import decide
from rsc_service.exports.models import ExportAllowance, ExportReservation
from rsc_service.linkedin_notifications.models import LinkedInNotification
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.exports.conftest import Recruiter, SeatMonth, candidates, exports, ours, synced_job, taken_over
from tests.seats.conftest import ats_world


async def allowance(seat: SeatMonth) -> tuple[int | None, list[str]]:
    """How much of the seat's allowance is used, and the request ids holding a unit of it."""
    async with seat.ctx.sessionmaker() as session:
        row = await session.get(ExportAllowance, (seat.tenant_id, seat.urn, seat.month))
        held = (await session.scalars(select(ExportReservation.request_id))).all()
    return (row.used if row is not None else None), sorted(held)


class TestTheAllowance:
    async def test_an_export_the_ats_refused_gives_its_unit_back(
        self,
        ctx_seats: AppContext,
        recruiter: Recruiter,
        seat: SeatMonth,
        other_member: str,
        ats_sim: FastAPI,
        dispatcher: Dispatcher,
        clock: FrozenClock,
    ) -> None:
        gone = await synced_job(ats_sim, dispatcher, clock)
        kept = await synced_job(ats_sim, dispatcher, clock, title="Controls Engineer")
        await seat.used(decide.PER_SEAT_PER_MONTH - 1)
        # Deleted in the ATS, its webhook held: the service still holds the job, and the ATS answers 404.
        recruiter.hold()
        ats_world(ats_sim).delete("job", gone)
        before = len(candidates(ats_sim))

        failed = await recruiter.export(gone)
        await recruiter.act()

        assert failed not in await exports(ctx_seats)
        async with ctx_seats.sessionmaker() as session:
            notification = await session.scalar(
                select(LinkedInNotification).where(LinkedInNotification.request_id == failed)
            )
        assert notification is not None and notification.state == "pending"  # tried again later
        assert notification.last_error == "AtsNotFound"
        assert await allowance(seat) == (decide.PER_SEAT_PER_MONTH - 1, [])
        assert len(candidates(ats_sim)) == before

        # The unit it gave back is the seat's 300th: the next export is written.
        written = await recruiter.export(kept, member=other_member)
        await recruiter.act()

        row = (await exports(ctx_seats))[written]
        assert row.outcome == "created" and row.member_urn == other_member
        assert len(candidates(ats_sim)) == before + 1
        assert await allowance(seat) == (decide.PER_SEAT_PER_MONTH, [written])

    async def test_a_retried_export_counts_once(
        self, recruiter: Recruiter, seat: SeatMonth, job: str, ats_sim: FastAPI
    ) -> None:
        await seat.used(decide.PER_SEAT_PER_MONTH - 1)
        request_id = await recruiter.requested(job)
        before = len(candidates(ats_sim))
        recruiter.hold()

        # Wrote to the ATS, then lost the notification: records nothing.
        cut_off = await recruiter.process(request_id, taken_over)
        retried = await recruiter.process(request_id, ours)

        assert cut_off is None
        assert retried is not None and retried.outcome == "created"  # its own unit, not the 301st
        assert len(candidates(ats_sim)) == before + 1
        assert await allowance(seat) == (decide.PER_SEAT_PER_MONTH, [request_id])
