"""LinkedIn's budgets in the database, shared by every replica (docs/architecture.md#10-throttle).

Per (application, group): records in a sliding 60 s window (one row per tenth of a second, a tick) and
requests per UTC day, plus a pause set by 429s. Taking from the budget is one short transaction that locks
the bucket row.

A take may reserve a little more than the request needs, a credit this process spends on its next
requests within the same tick without a transaction; what is left of it is given back by the next take
(docs/architecture.md#10-throttle).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rsc_service.db.session import insert_for
from rsc_service.integrations.linkedin.errors import Throttled, clamp_retry_after
from rsc_service.integrations.linkedin.throttle import Group, Throttle
from rsc_service.settings import LinkedInSettings
from rsc_service.throttle.models import ThrottleBucket, ThrottleSlot
from rsc_service.web import metrics


@dataclass(frozen=True)
class Budget:
    records_per_window: int | None = None
    requests_per_day: int | None = None


@dataclass(frozen=True)
class ThrottleConfig:
    budgets: Mapping[str, Budget]
    window: timedelta = timedelta(seconds=60)
    # Sends reach LinkedIn a little after their budget is taken, and our window counts whole ticks: a record
    # counted in a tick leaves our window `window + margin` after the tick began, so up to a tick less after
    # it was taken. 1.1 s keep a full second between a take and LinkedIn's count, at 1.8 % of the budget
    # (docs/architecture.md#10-throttle).
    margin: timedelta = timedelta(seconds=1.1)
    max_wait: timedelta = timedelta(seconds=30)
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(minutes=15)

    @property
    def window_ticks(self) -> int:
        """The window we count, margin included, in ticks."""
        return (self.window + self.margin) // TICK


WINDOW = timedelta(seconds=60)
# The window's unit: records are counted per tick, so a record leaves the window at most a tick early.
TICK = timedelta(milliseconds=100)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A take reserves room for up to this many requests of its size, and at most a twentieth of the window's
# records: the next requests of the tick go without a transaction, and other replicas keep their share.
CREDIT_REQUESTS = 16
CREDIT_SHARE = 20


@dataclass
class _Credit:
    """Budget this process took and has not spent yet: records counted in `tick`'s slot, requests in the
    day's count."""

    tick: int
    day: str
    records: int
    requests: int
    until: float  # the end of `tick`, on this process's monotonic clock: spending needs no clock read


def budgets(settings: LinkedInSettings) -> dict[str, Budget]:
    """The budgets enforced per LinkedIn application, by throttle group (docs/architecture.md#10-throttle)."""
    return {
        Group.SYNC: Budget(
            records_per_window=settings.records_per_minute, requests_per_day=settings.requests_per_day
        ),
        # ACLs have LinkedIn budgets of their own, as large as the sync group's.
        Group.ACLS: Budget(
            records_per_window=settings.records_per_minute, requests_per_day=settings.requests_per_day
        ),
        Group.PROSPECT: Budget(requests_per_day=settings.prospect_requests_per_day),
        Group.JOB_TASKS: Budget(requests_per_day=settings.job_task_requests_per_day),
    }


def config(settings: LinkedInSettings, *, lease_seconds: float) -> ThrottleConfig:
    # A sender waits for its budget at most a quarter of its lease, so it settles before the lease runs out.
    return ThrottleConfig(budgets=budgets(settings), max_wait=timedelta(seconds=min(30.0, lease_seconds / 4)))


def tick_of(now: datetime) -> int:
    """The tick `now` falls in, counted exactly from the epoch (no float rounding at a tick's edge)."""
    return (now - _EPOCH) // TICK


def next_midnight(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


class DatabaseThrottle(Throttle):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        app: str,
        config: ThrottleConfig,
        now: Callable[[], Awaitable[datetime]],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._app = app
        self._config = config
        self._now = now
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
        self._paused: dict[str, datetime] = {}
        self._credits: dict[str, _Credit] = {}
        self._monotonic = monotonic
        self._taking: dict[str, asyncio.Lock] = {}

    async def acquire(self, group: str, records: int) -> None:
        budget = self._config.budgets.get(group)
        if budget is None or (budget.records_per_window is None and budget.requests_per_day is None):
            await self._honour_local_pause(group)  # nothing to count: skip the database round trip
            return
        if self._spend_credit(group, records, budget):
            return
        # One take at a time per group in this process: the others then spend the credit it brings. The time
        # queued behind another sender's wait counts against `max_wait` too, so no acquire waits longer than
        # that in all and a batch settles before its lease runs out (docs/architecture.md#10-throttle).
        queued = self._monotonic()
        async with self._taking.setdefault(group, asyncio.Lock()):
            waited = timedelta(seconds=max(0.0, self._monotonic() - queued))
            while True:
                if self._spend_credit(group, records, budget):
                    return
                wait = await self._try_take(group, records, budget, await self._now())
                if wait is None:
                    return
                if waited + wait > self._config.max_wait:
                    # Stop rather than wait: the caller releases its claim and comes back
                    # (docs/architecture.md#10-throttle).
                    raise Throttled(
                        "LinkedIn budget spent for now", status=429, retry_after=wait.total_seconds()
                    )
                await self._sleep(wait.total_seconds())
                waited += wait

    def _spend_credit(self, group: str, records: int, budget: Budget) -> bool:
        credit = self._credits.get(group)
        if credit is None or self._monotonic() >= credit.until:
            return False
        if budget.records_per_window is not None and credit.records < records:
            return False
        if budget.requests_per_day is not None and credit.requests < 1:
            return False
        credit.records -= records if budget.records_per_window is not None else 0
        credit.requests -= 1 if budget.requests_per_day is not None else 0
        return True

    async def note_retry_after(
        self, group: str, retry_after: float | None, *, daily_limit: bool = False
    ) -> None:
        metrics.LINKEDIN_429.labels(group).inc()
        now = await self._now()
        async with self._sessionmaker.begin() as session:
            bucket = await self._bucket(session, group, now)
            # LinkedIn said stop: nothing more goes on what was taken before, and it is given back.
            await self._give_back(session, group, bucket, tick_of(now) - self._config.window_ticks)
            if daily_limit:
                until = next_midnight(now)
            elif retry_after is not None:
                until = now + timedelta(seconds=clamp_retry_after(retry_after))
            elif bucket.paused_until is not None and bucket.paused_until > now:
                # The answer to a request sent before this pause began (several are in flight at once): the
                # same refusal, which neither lengthens the pause nor raises the backoff.
                until = bucket.paused_until
            else:
                cap = self._config.backoff_cap
                if bucket.paused_until is None or now - bucket.paused_until > cap:
                    # No refusal for as long as the longest backoff since the last pause ended: the storm is
                    # over, and the backoff starts again from its base (docs/architecture.md#10-throttle).
                    bucket.backoff_level = 0
                step = self._config.backoff_base * 2**bucket.backoff_level
                until = now + min(step, cap) * (0.5 + self._rng.random() / 2)
                if step < cap:  # at the cap the level stops rising: 2**level stays a small number
                    bucket.backoff_level += 1
            bucket.paused_until = max(bucket.paused_until or until, until)
            self._paused[group] = bucket.paused_until

    async def _honour_local_pause(self, group: str) -> None:
        until = self._paused.get(group)
        if until is None:
            return
        wait = until - await self._now()
        if wait > self._config.max_wait:
            raise Throttled("LinkedIn asked us to wait", status=429, retry_after=wait.total_seconds())
        if wait > timedelta(0):
            await self._sleep(wait.total_seconds())

    async def _try_take(self, group: str, records: int, budget: Budget, now: datetime) -> timedelta | None:
        """Take `records` and one request, and a credit beside them where the budget has room; or say how long
        until it would have room."""
        tick = tick_of(now)
        window = self._config.window_ticks
        async with self._sessionmaker.begin() as session:
            bucket = await self._bucket(session, group, now)
            await self._give_back(session, group, bucket, tick - window)
            if bucket.paused_until is not None and bucket.paused_until > now:
                return bucket.paused_until - now
            # The backoff level stays: the request taken now may be refused again, and its 429 then pauses
            # twice as long. It falls back once LinkedIn has refused nothing for a while (note_retry_after).
            extra_requests = 0
            if budget.requests_per_day is not None:
                if bucket.requests_today >= budget.requests_per_day:
                    bucket.paused_until = next_midnight(now)
                    return bucket.paused_until - now
                extra_requests = min(CREDIT_REQUESTS - 1, budget.requests_per_day - bucket.requests_today - 1)
            extra_records = 0
            if budget.records_per_window is not None:
                limit = budget.records_per_window
                used = await self._window_total(session, group, tick, window)
                if not _fits(used, records, limit):
                    slots = await self._window_slots(session, group)
                    return _window_wait(slots, tick, window, used + records - limit)
                room = limit - used - records
                extra_records = max(0, min((CREDIT_REQUESTS - 1) * records, limit // CREDIT_SHARE, room))
                if records > 0 and extra_records < records:
                    extra_requests = 0  # no room for another request of this size: no credit
                await self._add_records(session, group, tick, records + extra_records)
            bucket.requests_today += 1 + extra_requests
        # Valid for the rest of the tick it was counted in, measured locally (the database's clock is a
        # round trip on PostgreSQL).
        left = (_EPOCH + (tick + 1) * TICK - now).total_seconds()
        until = self._monotonic() + max(0.0, left)
        self._credits[group] = _Credit(tick, now.date().isoformat(), extra_records, extra_requests, until)
        return None

    async def _give_back(
        self, session: AsyncSession, group: str, bucket: ThrottleBucket, expired: int
    ) -> None:
        """Return what is left of this process's last credit to the shared budget."""
        credit = self._credits.pop(group, None)
        if credit is None:
            return
        if credit.records and credit.tick > expired:
            slot = ThrottleSlot.records
            await session.execute(
                update(ThrottleSlot)
                .where(
                    ThrottleSlot.app == self._app,
                    ThrottleSlot.group == group,
                    ThrottleSlot.tick == credit.tick,
                )
                .values(records=case((slot > credit.records, slot - credit.records), else_=0))
            )
        if credit.requests and bucket.day == credit.day:
            bucket.requests_today = max(0, bucket.requests_today - credit.requests)

    async def _window_total(self, session: AsyncSession, group: str, tick: int, window: int) -> int:
        """The records counted in the window; older slots are dropped."""
        await session.execute(
            delete(ThrottleSlot).where(
                ThrottleSlot.app == self._app,
                ThrottleSlot.group == group,
                ThrottleSlot.tick <= tick - window,
            )
        )
        total = await session.scalar(
            select(func.coalesce(func.sum(ThrottleSlot.records), 0)).where(
                ThrottleSlot.app == self._app, ThrottleSlot.group == group
            )
        )
        return int(total or 0)

    async def _window_slots(self, session: AsyncSession, group: str) -> list[tuple[int, int]]:
        """(tick, records) of the slots in the window, oldest first (read only when a take must wait)."""
        slots = await session.execute(
            select(ThrottleSlot.tick, ThrottleSlot.records)
            .where(ThrottleSlot.app == self._app, ThrottleSlot.group == group)
            .order_by(ThrottleSlot.tick)
        )
        return [(int(at), int(count)) for at, count in slots.all()]

    async def _add_records(self, session: AsyncSession, group: str, tick: int, records: int) -> None:
        insert = insert_for(session, ThrottleSlot).values(
            app=self._app, group=group, tick=tick, records=records
        )
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=["app", "group", "tick"], set_={"records": ThrottleSlot.records + records}
            )
        )

    async def _bucket(self, session: AsyncSession, group: str, now: datetime) -> ThrottleBucket:
        await session.execute(
            insert_for(session, ThrottleBucket)
            .values(app=self._app, group=group, day=now.date().isoformat(), requests_today=0, backoff_level=0)
            .on_conflict_do_nothing(index_elements=["app", "group"])
        )
        bucket = await session.scalar(
            select(ThrottleBucket)
            .where(ThrottleBucket.app == self._app, ThrottleBucket.group == group)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert bucket is not None
        today = now.date().isoformat()
        if bucket.day != today:
            bucket.day, bucket.requests_today = today, 0
        return bucket


def _fits(used: int, records: int, limit: int) -> bool:
    """Whether `records` fit beside the `used` records of the window; a request larger than the whole
    budget goes alone into an empty window."""
    return used + records <= limit or used == 0


def _window_wait(slots: list[tuple[int, int]], tick: int, window: int, excess: int) -> timedelta:
    """How long until `excess` records of `slots` (tick, records; oldest first) have left the window."""
    freed = 0
    for slot_tick, count in slots:  # the earliest tick at which enough has left the window
        freed += count
        if freed >= excess:
            return (slot_tick + window - tick) * TICK
    return window * TICK


async def remaining(
    session: AsyncSession, *, app: str, group: str, budget: Budget, now: datetime, window: timedelta
) -> tuple[int | None, int | None]:
    """(records left in the window, requests left today), for metrics and sync health."""
    since = tick_of(now) - window // TICK
    used = await session.scalar(
        select(func.coalesce(func.sum(ThrottleSlot.records), 0)).where(
            ThrottleSlot.app == app, ThrottleSlot.group == group, ThrottleSlot.tick > since
        )
    )
    bucket = await session.get(ThrottleBucket, (app, group))
    today = bucket.requests_today if bucket and bucket.day == now.date().isoformat() else 0
    records_left = None if budget.records_per_window is None else budget.records_per_window - int(used or 0)
    requests_left = None if budget.requests_per_day is None else budget.requests_per_day - today
    return records_left, requests_left


@dataclass(frozen=True)
class Quota:
    group: str
    records_left: int | None  # None: the group has no such budget
    requests_left: int | None
    paused_until: datetime | None  # set after a 429 or once the day's requests are spent


async def quota(session: AsyncSession, *, app: str, group: str, budget: Budget, now: datetime) -> Quota:
    """What is left of one application's budget in one group, and whether LinkedIn paused it."""
    records_left, requests_left = await remaining(
        session, app=app, group=group, budget=budget, now=now, window=WINDOW
    )
    bucket = await session.get(ThrottleBucket, (app, group))
    paused = bucket.paused_until if bucket and bucket.paused_until and bucket.paused_until > now else None
    return Quota(group, records_left, requests_left, paused)
