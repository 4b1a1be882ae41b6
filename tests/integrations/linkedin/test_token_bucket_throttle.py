"""The in-process throttle: record bucket per minute, requests per UTC day, pauses after a 429."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rsc_service.integrations.linkedin import Group, Limit, Throttle, Throttled, TokenBucketThrottle


class Timeline:
    """A clock that only moves when the throttle sleeps."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def timeline() -> Timeline:
    return Timeline(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))


def bucket(timeline: Timeline, limits: dict[str, Limit], *, max_wait: float = 60.0) -> TokenBucketThrottle:
    return TokenBucketThrottle(
        limits, clock=timeline.clock, sleep=timeline.sleep, jitter=lambda: 1.0, max_wait=max_wait
    )


class TestRecordsPerMinute:
    async def test_full_bucket_sends_at_once_then_waits_for_refill(self, timeline: Timeline) -> None:
        throttle = bucket(timeline, {Group.SYNC: Limit(records_per_minute=600)})

        for _ in range(6):
            await throttle.acquire(Group.SYNC, 100)
        await throttle.acquire(Group.SYNC, 100)

        assert timeline.slept == [pytest.approx(10.0)]  # 100 records at 10 per second

    async def test_a_batch_larger_than_the_bucket_waits_for_a_full_bucket(self, timeline: Timeline) -> None:
        throttle = bucket(timeline, {Group.SYNC: Limit(records_per_minute=60)})

        await throttle.acquire(Group.SYNC, 30)
        await throttle.acquire(Group.SYNC, 100)

        assert timeline.slept == [pytest.approx(30.0)]

    async def test_groups_have_separate_budgets(self, timeline: Timeline) -> None:
        throttle = bucket(timeline, {Group.SYNC: Limit(records_per_minute=10)})

        await throttle.acquire(Group.SYNC, 10)
        await throttle.acquire(Group.PROSPECT, 10)

        assert timeline.slept == []

    async def test_refuses_to_wait_longer_than_max_wait(self, timeline: Timeline) -> None:
        throttle = bucket(timeline, {Group.SYNC: Limit(records_per_minute=60)}, max_wait=5)
        await throttle.acquire(Group.SYNC, 60)

        with pytest.raises(Throttled) as raised:
            await throttle.acquire(Group.SYNC, 60)

        assert raised.value.retry_after == pytest.approx(60.0)
        assert not raised.value.daily_limit


class TestRequestsPerDay:
    async def test_spent_day_raises_until_midnight_utc_then_resets(self, timeline: Timeline) -> None:
        throttle = bucket(timeline, {Group.PROSPECT: Limit(requests_per_day=2)})
        await throttle.acquire(Group.PROSPECT, 1)
        await throttle.acquire(Group.PROSPECT, 1)

        with pytest.raises(Throttled) as raised:
            await throttle.acquire(Group.PROSPECT, 1)

        assert raised.value.daily_limit
        assert raised.value.retry_after == pytest.approx(12 * 3600)
        timeline.now = datetime(2026, 11, 26, 0, 0, 1, tzinfo=UTC)
        await throttle.acquire(Group.PROSPECT, 1)


class TestPauses:
    async def test_retry_after_pauses_the_group(self, timeline: Timeline) -> None:
        throttle = bucket(timeline, {})

        await throttle.note_retry_after(Group.SYNC, 7.0)
        await throttle.acquire(Group.SYNC, 1)
        await throttle.acquire(Group.PROSPECT, 1)

        assert timeline.slept == [pytest.approx(7.0)]

    async def test_retry_after_is_clamped_to_at_least_a_second(self, timeline: Timeline) -> None:
        throttle = bucket(timeline, {})

        await throttle.note_retry_after(Group.SYNC, 0.0)
        await throttle.acquire(Group.SYNC, 1)

        assert timeline.slept == [pytest.approx(1.0)]

    async def test_429_without_retry_after_backs_off_exponentially(self, timeline: Timeline) -> None:
        throttle = bucket(timeline, {}, max_wait=10_000)

        for _ in range(3):
            await throttle.note_retry_after(Group.SYNC, None)
            await throttle.acquire(Group.SYNC, 1)

        assert timeline.slept == [pytest.approx(30.0), pytest.approx(60.0), pytest.approx(120.0)]

    async def test_daily_429_pauses_until_midnight(self, timeline: Timeline) -> None:
        throttle = bucket(timeline, {})

        await throttle.note_retry_after(Group.SYNC, None, daily_limit=True)

        with pytest.raises(Throttled) as raised:
            await throttle.acquire(Group.SYNC, 1)
        assert raised.value.retry_after == pytest.approx(12 * 3600)
        assert raised.value.daily_limit


class TestUnlimited:
    def test_never_waits_even_after_a_retry_after(self) -> None:
        throttle = Throttle.unlimited()
        noted = throttle.note_retry_after(Group.SYNC, 3600)
        with pytest.raises(StopIteration):
            noted.send(None)

        # Finishing on its first step means it never suspended: no sleep, no lock, nothing awaited.
        acquired = throttle.acquire(Group.SYNC, 1_000_000)
        with pytest.raises(StopIteration):
            acquired.send(None)
