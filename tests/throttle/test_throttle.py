"""The database throttle: one budget per LinkedIn application, shared by every replica
(docs/architecture.md#10-throttle)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rsc_service.context import AppContext
from rsc_service.integrations.linkedin.errors import Throttled
from rsc_service.throttle.service import Budget, DatabaseThrottle, ThrottleConfig, remaining
from rsc_service.web import metrics
from tests.conftest import FrozenClock


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
    return DatabaseThrottle(ctx.sessionmaker, app="sim-customer", config=config, now=now, sleep=sleeps)


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
        assert left == 150  # the first 200 have left the window; the last 100 remain

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

    async def test_a_long_wait_gives_the_claim_back(self, ctx: AppContext, clock: FrozenClock) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps, records_per_window=10_000)
        await throttle.note_retry_after("sync", 600)
        with pytest.raises(Throttled):
            await throttle.acquire("sync", 1)
        assert sleeps.slept == []

    async def test_without_limits_a_429_pause_is_still_honoured(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        sleeps = _Sleeps(clock)
        throttle = _throttle(ctx, clock, sleeps)  # no record or request budget at all
        await throttle.acquire("sync", 100)
        await throttle.note_retry_after("sync", 4)
        await throttle.acquire("sync", 100)
        assert sleeps.slept == [4.0]
