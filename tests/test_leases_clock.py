"""Singleton leases after the clock ran ahead and was put right: a lease dated in the future does not block
every later run until the clock catches up with it, and two replicas reading the clock a moment apart still
never both take it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rsc_service import scheduler
from rsc_service.context import AppContext
from rsc_service.db import leases
from rsc_service.db.leases import JobLease
from tests.conftest import FrozenClock

RECONCILE = next(job for job in scheduler.JOBS if job.name == "reconcile")
TTL = timedelta(seconds=60)


async def _acquire(ctx: AppContext, holder: str, clock: FrozenClock) -> leases.Lease | None:
    """The reconcile job's lease, taken as the scheduler takes it (its interval and slack)."""
    async with ctx.sessionmaker.begin() as session:
        return await leases.acquire(
            session,
            name=RECONCILE.name,
            holder=holder,
            now=clock(),
            ttl=TTL,
            interval=RECONCILE.interval,
            slack=scheduler._slack(RECONCILE.interval),
        )


class TestTheClockPutRight:
    async def test_a_run_started_while_the_clock_ran_ahead_does_not_block_the_next(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        start = clock()
        clock.advance(days=1)  # the clock runs a day ahead; a run starts and is still held
        ahead = await _acquire(ctx, "a", clock)
        assert ahead is not None

        clock.now = start + timedelta(minutes=5)  # put right: a's lease now starts and expires a day on
        again = await _acquire(ctx, "b", clock)

        assert again is not None and again.epoch == ahead.epoch + 1
        async with ctx.sessionmaker() as session:
            row = await session.scalar(select(JobLease).where(JobLease.name == RECONCILE.name))
        assert row is not None and (row.holder, row.last_started_at) == ("b", clock())
        async with ctx.sessionmaker.begin() as session:
            assert not await leases.still_held(session, ahead)  # the run started ahead is fenced off

    async def test_a_lease_released_while_the_clock_ran_ahead_does_not_block_the_next(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        start = clock()
        clock.advance(hours=3)
        ran = await _acquire(ctx, "a", clock)
        assert ran is not None
        async with ctx.sessionmaker.begin() as session:
            await leases.release(session, ran, now=clock.advance(minutes=1))

        clock.now = start + timedelta(minutes=1)

        assert await _acquire(ctx, "a", clock) is not None

    async def test_a_run_that_ended_while_the_clock_ran_ahead_does_not_block_the_next(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        start = clock()
        ran = await _acquire(ctx, "a", clock)  # started on a right clock, ended on one a day ahead
        assert ran is not None
        async with ctx.sessionmaker.begin() as session:
            await leases.release(session, ran, now=start + timedelta(days=1))

        clock.now = start + RECONCILE.interval + timedelta(minutes=1)  # put right; the next run is due

        assert await _acquire(ctx, "b", clock) is not None

    async def test_a_lease_held_with_a_longer_ttl_of_its_own_is_not_taken(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        held = await _acquire(ctx, "a", clock)
        assert held is not None
        clock.advance(seconds=RECONCILE.interval.total_seconds())  # a long run: the next one is due
        async with ctx.sessionmaker.begin() as session:  # a replica configured with a 10-minute TTL
            assert await leases.renew(session, held, now=clock(), ttl=timedelta(minutes=10))

        assert await _acquire(ctx, "b", clock) is None

    async def test_two_replicas_reading_the_clock_a_moment_apart_do_not_both_run(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        later = clock() + timedelta(seconds=2)
        first = await _acquire(ctx, "a", FrozenClock(later))  # read the clock a moment after b did
        second = await _acquire(ctx, "b", clock)
        assert first is not None and second is None
        async with ctx.sessionmaker.begin() as session:
            assert await leases.renew(session, first, now=later, ttl=TTL)  # a renews, as its clock reads
        third = await _acquire(ctx, "c", clock)

        assert third is None
