"""The pause after 429s without Retry-After: 30 s doubling to 15 minutes across a storm of refusals, back to
30 s once LinkedIn has refused nothing for that long (docs/architecture.md#10-throttle)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.throttle.models import ThrottleBucket
from rsc_service.throttle.service import Budget, DatabaseThrottle, ThrottleConfig
from tests.conftest import FrozenClock

_LATENCY = 0.5  # seconds between a request going out and its 429 being read


class _Sleeps:
    """Sleeping moves the shared clock instead of waiting."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(seconds=seconds)


class _NoJitter(random.Random):
    def random(self) -> float:
        return 1.0  # the pause is the backoff's full step


def _throttle(ctx: AppContext, clock: FrozenClock, sleeps: _Sleeps) -> DatabaseThrottle:
    async def now() -> datetime:
        return clock()

    return DatabaseThrottle(
        ctx.sessionmaker,
        app="storm-app",
        config=ThrottleConfig(
            budgets={"sync": Budget(records_per_window=10_000)}, max_wait=timedelta(hours=1)
        ),
        now=now,
        sleep=sleeps,
        rng=_NoJitter(),
        monotonic=lambda: clock().timestamp(),  # the test clock stands in for this process's monotonic one
    )


async def _refused_then_sent_again(throttle: DatabaseThrottle, clock: FrozenClock, times: int) -> None:
    """LinkedIn refuses every request with a 429 and no Retry-After: each request waits for the pause the
    previous refusal set, goes out, and is refused in turn."""
    for _ in range(times):
        await throttle.note_retry_after("sync", None)
        clock.advance(seconds=_LATENCY)
        await throttle.acquire("sync", 1)


async def _bucket(ctx: AppContext) -> ThrottleBucket:
    async with ctx.sessionmaker() as session:
        bucket = await session.scalar(select(ThrottleBucket).where(ThrottleBucket.app == "storm-app"))
        assert bucket is not None
        return bucket


class TestBackoffWithoutRetryAfter:
    async def test_the_pause_doubles_across_a_storm_of_429s(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps)

        await _refused_then_sent_again(throttle, clock, 5)

        # 30 s, 60 s, 120 s, 240 s, 480 s between requests (each less the moment its 429 took to come back).
        assert sleeps.slept == [step - _LATENCY for step in (30, 60, 120, 240, 480)]
        assert (await _bucket(ctx)).backoff_level == 5

    async def test_a_storm_of_hours_pauses_15_minutes_each_time(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps)

        await _refused_then_sent_again(throttle, clock, 60)

        assert sleeps.slept[5:] == [15 * 60 - _LATENCY] * 55
        assert (await _bucket(ctx)).backoff_level == 5  # the level stops where the step reaches the cap

    async def test_back_to_30_seconds_once_linkedin_refused_nothing_for_15_minutes(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps)
        await _refused_then_sent_again(throttle, clock, 3)  # the last pause was 120 s

        clock.advance(minutes=14)  # requests go out and are answered
        await throttle.note_retry_after("sync", None)
        clock.advance(seconds=_LATENCY)
        await throttle.acquire("sync", 1)
        assert sleeps.slept[-1] == 240 - _LATENCY  # refused again within 15 minutes: the storm goes on

        clock.advance(minutes=15, seconds=1)
        await throttle.note_retry_after("sync", None)
        clock.advance(seconds=_LATENCY)
        await throttle.acquire("sync", 1)
        assert sleeps.slept[-1] == 30 - _LATENCY  # a new storm starts from the base

    async def test_the_429s_of_requests_in_flight_together_raise_the_backoff_once(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps)
        for _ in range(3):  # three refusals in turn
            await throttle.note_retry_after("sync", None)
            clock.advance(seconds=_LATENCY)
            await throttle.acquire("sync", 1)
        for _ in range(8):  # then eight requests in flight together, all refused
            await throttle.note_retry_after("sync", None)
        clock.advance(seconds=_LATENCY)
        await throttle.acquire("sync", 1)

        assert sleeps.slept == [step - _LATENCY for step in (30, 60, 120, 240)]
