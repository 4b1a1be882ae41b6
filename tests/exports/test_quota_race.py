"""The seat's allowance under concurrency (R1, docs/exports.md#allowance): two exports of one seat at 299
acted on at once, each in its own sessions on a database of its own (separate connections on PostgreSQL),
write one candidate to the ATS and refuse the other with the quota answer."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.exports import decide, repository
from rsc_service.exports.models import ExportAllowance, ExportReservation
from tests.committed import database_url, engine, sessionmaker, settings  # noqa: F401
from tests.exports.conftest import MEMBER, Recruiter, SeatMonth, candidates, exports
from tests.factories import make_tenant


class TestTheLastExportOfTheMonth:
    async def test_two_at_once_write_one_and_refuse_the_other(
        self,
        ctx_seats: AppContext,
        recruiter: Recruiter,
        seat: SeatMonth,
        job: str,
        other_member: str,
        ats_sim: FastAPI,
    ) -> None:
        await seat.used(decide.PER_SEAT_PER_MONTH - 1)
        requests = [await recruiter.export(job), await recruiter.export(job, member=other_member)]
        before = {c["id"] for c in candidates(ats_sim)}
        recruiter.hold()
        # Neither records what became of it before both have done what comes before: the window in which
        # two exports of one seat used to pass the same count.
        both_there = asyncio.Barrier(2)

        async def ours(_session: object) -> bool:
            await asyncio.wait_for(both_there.wait(), timeout=60)
            return True

        done = await asyncio.gather(*(recruiter.process(r, ours) for r in requests))

        assert all(row is not None for row in done)
        rows = await exports(ctx_seats)
        outcomes = sorted(rows[r].outcome for r in requests)
        assert outcomes == ["created", "quota"]
        refused = next(rows[r] for r in requests if rows[r].outcome == "quota")
        assert refused.detail == f"the seat reached 300 exports in {seat.month}; nothing was written"
        assert refused.ats_candidate_id is None
        written = next(rows[r] for r in requests if rows[r].outcome == "created")
        made = [c for c in candidates(ats_sim) if c["id"] not in before]
        assert [c["id"] for c in made] == [written.ats_candidate_id]  # one write reached the fake ATS
        assert made[0]["last_name"] == ("Scully" if written.member_urn == MEMBER else "Mulder")


class TestTheReservation:
    async def test_two_transactions_open_at_once_take_the_last_unit_once(self, ctx: AppContext) -> None:
        now = ctx.clock()
        month, seat = decide.month_of(now), "urn:li:seat:77"
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            session.add(
                ExportAllowance(
                    tenant_id=tenant.id, seat_urn=seat, month=month, used=decide.PER_SEAT_PER_MONTH - 1
                )
            )

        async def reserve(session: AsyncSession, request_id: str) -> str | None:
            return await repository.reserve(
                session,
                tenant_id=tenant.id,
                request_id=request_id,
                seat_urn=seat,
                month=month,
                now=now,
                limit=decide.PER_SEAT_PER_MONTH,
            )

        async def second() -> str | None:
            async with ctx.sessionmaker.begin() as session:
                return await reserve(session, "urn:li:request:second")

        async with ctx.sessionmaker.begin() as session:
            first = await reserve(session, "urn:li:request:first")
            # The second starts while the first has taken the unit and not committed: on PostgreSQL its
            # UPDATE waits for the first's row lock, then finds the allowance spent; on SQLite it waits for
            # the single writer.
            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.3)
            assert not waiting.done()
        theirs = await asyncio.wait_for(waiting, timeout=30)

        assert (first, theirs) == (month, None)
        async with ctx.sessionmaker() as session:
            allowance = await session.get(ExportAllowance, (tenant.id, seat, month))
            held = (await session.scalars(select(ExportReservation.request_id))).all()
        assert allowance is not None and allowance.used == decide.PER_SEAT_PER_MONTH
        assert held == ["urn:li:request:first"]
