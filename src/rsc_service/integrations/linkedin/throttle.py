"""Request and record budgets per throttle group, and pauses after LinkedIn answers 429."""

from __future__ import annotations

import asyncio
import random
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from rsc_service.integrations.linkedin import errors
from rsc_service.integrations.linkedin.errors import Throttled


class Group(StrEnum):
    """Which LinkedIn budget a call spends (docs/architecture.md#10-throttle, docs/linkedin.md#throttles)."""

    # candidates, applications and their sub-resources, deletes; job posts too (LinkedIn publishes no budget
    # of their own, so they spend this one rather than none)
    SYNC = "sync"
    ACLS = "acls"  # atsEntityAcls and atsEntityAclAssignees: a budget of their own, the same size as sync's
    JOB_TASKS = "job_tasks"  # simpleJobPostingTasks has its own daily budget
    PROSPECT = "prospect"  # seats, seatsV2, conversationEvents, prospectNotes, mailStubs share one
    EXPORTS = "exports"  # exportedCandidates, atsPurgedExportedCandidates
    INTEGRATIONS = "integrations"
    PROVISIONING = "provisioning"


class Throttle(ABC):
    """Decides when a call may go out. The service's database-backed throttle implements the same methods."""

    @abstractmethod
    async def acquire(self, group: str, records: int) -> None:
        """Wait until `records` may be sent in `group`; raise `Throttled` rather than wait for long."""

    @abstractmethod
    async def note_retry_after(
        self, group: str, retry_after: float | None, *, daily_limit: bool = False
    ) -> None:
        """LinkedIn answered 429: pause `group` (for `retry_after` seconds when LinkedIn said so)."""

    @staticmethod
    def unlimited() -> Throttle:
        return _Unlimited()


class _Unlimited(Throttle):
    async def acquire(self, group: str, records: int) -> None:
        return None

    async def note_retry_after(
        self, group: str, retry_after: float | None, *, daily_limit: bool = False
    ) -> None:
        return None


@dataclass(frozen=True)
class Limit:
    records_per_minute: int | None = None
    requests_per_day: int | None = None  # resets at 00:00 UTC


DEFAULT_LIMITS: Final[Mapping[str, Limit]] = MappingProxyType(
    {
        Group.SYNC: Limit(records_per_minute=10_000, requests_per_day=100_000),
        Group.ACLS: Limit(records_per_minute=10_000, requests_per_day=100_000),
        Group.JOB_TASKS: Limit(requests_per_day=300_000),
        Group.PROSPECT: Limit(requests_per_day=100_000),
        Group.EXPORTS: Limit(requests_per_day=100_000),
        Group.INTEGRATIONS: Limit(requests_per_day=5_000),
    }
)


@dataclass
class _Bucket:
    tokens: float
    refilled_at: datetime
    day: date
    requests_today: int = 0
    paused_until: datetime | None = None
    paused_for_the_day: bool = False
    consecutive_429s: int = 0
    last_429_at: datetime | None = None


class TokenBucketThrottle(Throttle):
    """An in-process throttle for one application: a per-minute record bucket and a daily request count.

    Runs standalone (scripts, tests); replicas sharing one application need the database-backed throttle.
    """

    def __init__(
        self,
        limits: Mapping[str, Limit] = DEFAULT_LIMITS,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_wait: float = 60.0,
        backoff: tuple[float, float] = (30.0, 900.0),
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait
        self._backoff_base, self._backoff_cap = backoff
        self._jitter = jitter
        self._buckets: dict[str, _Bucket] = {}

    async def acquire(self, group: str, records: int) -> None:
        while True:
            now = self._clock()
            bucket = self._bucket(group, now)
            wait, daily = self._wait(group, bucket, records, now)
            if wait <= 0:
                self._take(group, bucket, records)
                return
            if wait > self._max_wait:
                raise Throttled(f"{group} budget spent", retry_after=wait, daily_limit=daily, status=None)
            await self._sleep(wait)

    async def note_retry_after(
        self, group: str, retry_after: float | None, *, daily_limit: bool = False
    ) -> None:
        now = self._clock()
        bucket = self._bucket(group, now)
        if daily_limit:
            pause = (_next_midnight(now) - now).total_seconds()
        elif retry_after is not None:
            # Honoured, clamped to 1 s..24 h (docs/architecture.md#10-throttle).
            pause = errors.clamp_retry_after(retry_after)
        else:
            if (
                bucket.last_429_at is not None
                and (now - bucket.last_429_at).total_seconds() > self._backoff_cap
            ):
                bucket.consecutive_429s = 0
            backoff = min(self._backoff_cap, self._backoff_base * 2**bucket.consecutive_429s)
            pause = backoff * (0.5 + self._jitter() / 2)
            bucket.consecutive_429s += 1
        bucket.last_429_at = now
        until = now + timedelta(seconds=pause)
        if bucket.paused_until is None or until >= bucket.paused_until:
            bucket.paused_until, bucket.paused_for_the_day = until, daily_limit

    def _bucket(self, group: str, now: datetime) -> _Bucket:
        limit = self._limits.get(group, Limit())
        bucket = self._buckets.get(group)
        if bucket is None:
            bucket = _Bucket(tokens=float(limit.records_per_minute or 0), refilled_at=now, day=now.date())
            self._buckets[group] = bucket
        if bucket.day != now.astimezone(UTC).date():
            bucket.day, bucket.requests_today = now.astimezone(UTC).date(), 0
        if limit.records_per_minute is not None:
            rate = limit.records_per_minute / 60
            elapsed = max(0.0, (now - bucket.refilled_at).total_seconds())
            bucket.tokens = min(float(limit.records_per_minute), bucket.tokens + elapsed * rate)
        bucket.refilled_at = now
        return bucket

    def _wait(self, group: str, bucket: _Bucket, records: int, now: datetime) -> tuple[float, bool]:
        limit = self._limits.get(group, Limit())
        if limit.requests_per_day is not None and bucket.requests_today >= limit.requests_per_day:
            return (_next_midnight(now) - now).total_seconds(), True
        if bucket.paused_until is not None and bucket.paused_until > now:
            return (bucket.paused_until - now).total_seconds(), bucket.paused_for_the_day
        if limit.records_per_minute is not None:
            needed = min(
                records, limit.records_per_minute
            )  # a batch larger than the bucket waits for a full one
            if bucket.tokens < needed:
                return (needed - bucket.tokens) / (limit.records_per_minute / 60), False
        return 0.0, False

    def _take(self, group: str, bucket: _Bucket, records: int) -> None:
        limit = self._limits.get(group, Limit())
        bucket.requests_today += 1
        if limit.records_per_minute is not None:
            bucket.tokens -= min(records, limit.records_per_minute)


def _next_midnight(now: datetime) -> datetime:
    today = now.astimezone(UTC).date()
    return datetime.combine(today + timedelta(days=1), time(0), tzinfo=UTC)
