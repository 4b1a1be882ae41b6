"""The database throttle: one budget per LinkedIn application, shared by every replica
(docs/architecture.md#10-throttle)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.integrations.linkedin.errors import Throttled
from rsc_service.throttle.models import ThrottleSlot
from rsc_service.throttle.service import Budget, DatabaseThrottle, ThrottleConfig, remaining, tick_of
from rsc_service.web import metrics
from tests.conftest import FrozenClock
from tests.observe import reads, statements


class _Sleeps:
    """Sleeping moves the shared clock instead of waiting."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(seconds=seconds)


def _throttle(ctx: AppContext, clock: FrozenClock, sleeps: _Sleeps, **budget: int) -> DatabaseThrottle:
    async def now() -> datetime:
        return clock()

    config = ThrottleConfig(
        budgets={"sync": Budget(**budget)}, margin=timedelta(0), max_wait=timedelta(minutes=2)
    )
    return DatabaseThrottle(
        ctx.sessionmaker,
        app="sim-customer",
        config=config,
        now=now,
        sleep=sleeps,
        monotonic=lambda: clock().timestamp(),  # the test clock stands in for this process's monotonic one
    )


class TestDatabaseThrottle:
    async def test_records_per_sliding_window_are_shared_by_replicas(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        sleeps = _Sleeps(clock)
        replica_a = _throttle(ctx, clock, sleeps, records_per_window=250)
        replica_b = _throttle(ctx, clock, sleeps, records_per_window=250)

        await replica_a.acquire("sync", 100)
        await replica_b.acquire("sync", 100)
        clock.advance(seconds=10)
        await replica_a.acquire("sync", 100)  # 300 > 250: waits until the first 100 leave the window

        assert sleeps.slept == [50.0]
        async with ctx.sessionmaker() as session:
            left, _ = await remaining(
                session, app="sim-customer", group="sync", budget=Budget(records_per_window=250),
                now=clock(), window=timedelta(seconds=60),
            )  # fmt: skip
        # The first 200 have left the window; the last 100 remain, beside the credit the take reserved with
        # them (a twentieth of the window) for the replica's next requests of that second.
        assert left == 250 - 100 - 250 // 20

    async def test_daily_cap_pauses_until_midnight_utc(self, ctx: AppContext, clock: FrozenClock) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps, requests_per_day=2)
        throttle._config = ThrottleConfig(budgets=throttle._config.budgets, max_wait=timedelta(seconds=5))
        await throttle.acquire("sync", 1)
        await throttle.acquire("sync", 1)

        with pytest.raises(Throttled) as raised:
            await throttle.acquire("sync", 1)

        midnight = datetime(2026, 11, 26, tzinfo=UTC)
        assert raised.value.retry_after == (midnight - clock()).total_seconds()
        clock.now = midnight + timedelta(seconds=1)
        await throttle.acquire("sync", 1)  # a new UTC day, a new budget

    async def test_retry_after_is_honoured_and_backoff_without_it(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps, records_per_window=10_000)

        before = metrics.LINKEDIN_429.labels("sync")._value.get()
        await throttle.note_retry_after("sync", 7)
        await throttle.acquire("sync", 1)
        assert sleeps.slept == [7.0]
        assert metrics.LINKEDIN_429.labels("sync")._value.get() == before + 1

        await throttle.note_retry_after("sync", None)
        await throttle.acquire("sync", 1)
        assert 15 <= sleeps.slept[-1] <= 30  # 30 s base with jitter, no Retry-After given

    async def test_the_429s_of_requests_in_flight_together_back_off_once(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps, records_per_window=10_000)
        for _ in range(8):  # eight batches in flight, all refused at once
            await throttle.note_retry_after("sync", None)

        await throttle.acquire("sync", 1)

        # One refusal's backoff (30 s base with jitter), not the eighth's (capped at 15 minutes).
        assert 15 <= sum(sleeps.slept) <= 30, sleeps.slept

    @pytest.mark.parametrize("microsecond", [0, 990_000], ids=["start of a second", "end of a tick"])
    async def test_a_record_leaves_the_window_a_full_second_after_linkedins_and_little_more(
        self, ctx: AppContext, clock: FrozenClock, microsecond: int
    ) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps, records_per_window=1000)
        throttle._config = ThrottleConfig(budgets=throttle._config.budgets, max_wait=timedelta(minutes=2))
        clock.now = clock.now.replace(microsecond=microsecond)
        taken = clock()
        await throttle.acquire("sync", 1000)  # the whole window's budget
        clock.now = taken + timedelta(seconds=60.1)

        await throttle.acquire("sync", 1)  # waits until the first have surely left LinkedIn's window

        # Sent and counted by LinkedIn up to a second after they were taken, the first records have left
        # LinkedIn's 60 s window before the next one reaches it; and the wait is no longer than that and a
        # tick (whole seconds made it up to two seconds).
        waited = clock() - taken
        assert timedelta(seconds=61) <= waited <= timedelta(seconds=61.1), waited

    async def test_a_long_wait_gives_the_claim_back(self, ctx: AppContext, clock: FrozenClock) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps, records_per_window=10_000)
        await throttle.note_retry_after("sync", 600)
        with pytest.raises(Throttled):
            await throttle.acquire("sync", 1)
        assert sleeps.slept == []

    async def test_the_wait_for_another_senders_take_counts_against_the_longest_wait(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        """A sender queued behind another one's wait for the budget must not then wait its own whole turn:
        each acquire is bounded by `max_wait` in all, so a batch settles before its lease runs out
        (docs/architecture.md#10-throttle)."""
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps, records_per_window=100)
        throttle._config = ThrottleConfig(budgets=throttle._config.budgets, max_wait=timedelta(seconds=65))
        began = clock()
        await throttle.acquire("sync", 100)  # the whole window
        clock.advance(seconds=10)

        first, second = await asyncio.gather(
            throttle.acquire("sync", 100), throttle.acquire("sync", 100), return_exceptions=True
        )

        assert first is None  # waited for the first 100 to leave the window, about 50 s
        # Queued that long, the second gives its claim back rather than wait for the next window too.
        assert isinstance(second, Throttled), (second, sleeps.slept)
        assert clock() - began <= timedelta(seconds=75), sleeps.slept

    async def test_without_limits_a_429_pause_is_still_honoured(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps)  # no record or request budget at all
        await throttle.acquire("sync", 100)
        await throttle.note_retry_after("sync", 4)
        await throttle.acquire("sync", 100)
        assert sleeps.slept == [4.0]


def _slots(ctx: AppContext) -> Any:
    async def read() -> dict[int, int]:
        async with ctx.sessionmaker() as session:
            rows = await session.execute(select(ThrottleSlot.tick, ThrottleSlot.records))
            return {int(tick): int(records) for tick, records in rows.all()}

    return read


class TestCredit:
    """A take reserves room for the next requests of the tick; the rest is given back by the next take."""

    async def test_small_requests_of_one_tick_share_one_take(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        throttle = _throttle(ctx, clock, _Sleeps(clock), records_per_window=6000, requests_per_day=100_000)

        with statements(ctx.engine, reads("throttle_buckets")) as takes:  # each locks the bucket row once
            for _ in range(16):
                await throttle.acquire("sync", 3)  # an application's stages: a few records a request

        assert len(takes) == 1
        assert await _slots(ctx)() == {tick_of(clock()): 16 * 3}

    async def test_what_is_left_of_a_credit_is_given_back_by_the_next_take(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        throttle = _throttle(ctx, clock, _Sleeps(clock), records_per_window=6000, requests_per_day=1000)
        first = tick_of(clock())
        for _ in range(3):
            await throttle.acquire("sync", 10)
        clock.advance(seconds=0.1)

        await throttle.acquire("sync", 10)

        slots = await _slots(ctx)()
        assert slots[first] == 30  # only what was sent stays counted
        assert slots[first + 1] == 10 + 15 * 10  # the new take and its credit, in the next tick
        async with ctx.sessionmaker() as session:
            _, requests_left = await remaining(
                session, app="sim-customer", group="sync", now=clock(), window=timedelta(seconds=60),
                budget=Budget(records_per_window=6000, requests_per_day=1000),
            )  # fmt: skip
        assert requests_left == 1000 - 3 - 16  # three sent, then one take with its credit of 15

    async def test_a_credit_never_lets_two_replicas_past_the_window(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        sleeps = _Sleeps(clock)
        replicas = [_throttle(ctx, clock, sleeps, records_per_window=200) for _ in range(2)]
        sent: list[tuple[float, int]] = []
        for step in range(120):
            replica = replicas[step % 2]
            await replica.acquire("sync", 7)
            sent.append((clock().timestamp(), 7))
            clock.advance(seconds=0.25)

        for at, _ in sent:
            in_window = sum(n for t, n in sent if at - 60 < t <= at)
            assert in_window <= 200, (at, in_window)

    async def test_a_429_drops_the_credit(self, ctx: AppContext, clock: FrozenClock) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps, records_per_window=6000)
        await throttle.acquire("sync", 10)  # takes a credit for the rest of the tick

        await throttle.note_retry_after("sync", 5)
        await throttle.acquire("sync", 10)

        assert sleeps.slept == [5.0]  # the pause holds though the credit had room
