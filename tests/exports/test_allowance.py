"""A seat's allowance (R1, docs/exports.md#allowance): an export whose ATS write fails gives its unit back,
so it uses none of the 300; a retried export counts once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC

from fastapi import FastAPI
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.exports import decide
from rsc_service.exports import service as export_service
from rsc_service.exports.models import Export, ExportAllowance, ExportReservation
from rsc_service.linkedin_notifications.models import LinkedInNotification
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.simulators.linkedin.models import Member
from rsc_service.simulators.linkedin.world import World as LinkedInWorld
from tests.conftest import FrozenClock
from tests.exports.conftest import MEMBER, Recruiter, exports, synced_job
from tests.seats.conftest import Tenancy, ats_world

OTHER_ID = "m7002"
OTHER = f"urn:li:person:{OTHER_ID}"


def candidates(ats_sim: FastAPI) -> list[dict[str, object]]:
    return list(ats_world(ats_sim).stores["candidate"].live())


async def seat_at(ctx: AppContext, tenancy: Tenancy, seat: str, month: str, count: int) -> None:
    """The seat's first `count` exports this month, recorded before."""
    async with ctx.sessionmaker.begin() as session:
        session.add_all(
            Export(
                tenant_id=tenancy.tenant_id,
                request_id=f"urn:li:request:earlier-{n}",
                outcome="created",
                seat_urn=seat,
                month=month,
                processed_at=ctx.clock().astimezone(UTC),
            )
            for n in range(count)
        )


async def allowance(ctx: AppContext, tenancy: Tenancy, seat: str, month: str) -> tuple[int | None, list[str]]:
    """How much of the seat's allowance is used, and the request ids holding a unit of it."""
    async with ctx.sessionmaker() as session:
        row = await session.get(ExportAllowance, (tenancy.tenant_id, seat, month))
        held = (await session.scalars(select(ExportReservation.request_id))).all()
    return (row.used if row is not None else None), sorted(held)


class TestTheAllowance:
    async def test_an_export_the_ats_refused_gives_its_unit_back(
        self,
        ctx_seats: AppContext,
        tenancy: Tenancy,
        recruiter: Recruiter,
        ats_sim: FastAPI,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        clock: FrozenClock,
    ) -> None:
        world: LinkedInWorld = linkedin_sim.state.world
        world.members[OTHER_ID] = Member(OTHER_ID, "Fox", "Mulder", [], None, "Analyst at Initech")
        gone = await synced_job(ats_sim, dispatcher, clock)
        kept = await synced_job(ats_sim, dispatcher, clock, title="Controls Engineer")
        seat, month = f"urn:li:seat:{recruiter.seat}", decide.month_of(clock())
        await seat_at(ctx_seats, tenancy, seat, month, decide.PER_SEAT_PER_MONTH - 1)
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
        assert await allowance(ctx_seats, tenancy, seat, month) == (decide.PER_SEAT_PER_MONTH - 1, [])
        assert len(candidates(ats_sim)) == before

        # The unit it gave back is the seat's 300th: the next export is written.
        written = await recruiter.export(kept, member=OTHER)
        await recruiter.act()

        row = (await exports(ctx_seats))[written]
        assert row.outcome == "created" and row.member_urn == OTHER
        assert len(candidates(ats_sim)) == before + 1
        assert await allowance(ctx_seats, tenancy, seat, month) == (decide.PER_SEAT_PER_MONTH, [written])

    async def test_a_retried_export_counts_once(
        self,
        ctx_seats: AppContext,
        tenancy: Tenancy,
        recruiter: Recruiter,
        ats_sim: FastAPI,
        dispatcher: Dispatcher,
        clock: FrozenClock,
    ) -> None:
        job_id = await synced_job(ats_sim, dispatcher, clock)
        seat, month = f"urn:li:seat:{recruiter.seat}", decide.month_of(clock())
        await seat_at(ctx_seats, tenancy, seat, month, decide.PER_SEAT_PER_MONTH - 1)
        answer = await recruiter.sim.post(
            "/_sim/exports", json={"seat": recruiter.seat, "member": MEMBER, "job": job_id}
        )
        request_id = answer.json()["requestId"]
        before = len(candidates(ats_sim))
        recruiter.hold()

        async def taken_over(_session: object) -> bool:
            return False  # wrote to the ATS, then lost the notification: records nothing

        async def ours(_session: object) -> bool:
            return True

        def process(fence: Callable[[object], Awaitable[bool]]) -> Awaitable[Export | None]:
            return export_service.process(
                ctx_seats,
                recruiter.running.tenant_apps,
                tenant_id=tenancy.tenant_id,
                request_id=request_id,
                fence=fence,
            )

        cut_off = await process(taken_over)
        retried = await process(ours)

        assert cut_off is None
        assert retried is not None and retried.outcome == "created"  # its own unit, not the 301st
        assert len(candidates(ats_sim)) == before + 1
        assert await allowance(ctx_seats, tenancy, seat, month) == (decide.PER_SEAT_PER_MONTH, [request_id])
