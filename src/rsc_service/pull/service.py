"""The pull: Recruiter notes, InMails and InMail-reply stubs written into the ATS exactly once (docs/pull.md).

Per tenant and contract each stream has a cursor. A stream reads LinkedIn in windows (12 hours at most, each
starting a little before the last one ended) and pages; each page is: skip items already pulled → map → write
to the ATS with `external_id` → record the items and move the cursor in one transaction. That transaction
first locks the pull lease's row and checks its epoch, so a run that lost its lease writes nothing more; and
since every ATS write carries an `external_id`, a page that runs twice (a crash between the ATS write and
the commit) lands on the same ATS records.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, TypeVar

import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rsc_service.context import AppContext
from rsc_service.db.leases import Lease
from rsc_service.integrations.ats import AtsClient, AtsError, AtsNotFound, AtsRejected
from rsc_service.integrations.ats import wire as ats_wire
from rsc_service.integrations.linkedin import (
    AuthFailed,
    Forbidden,
    LinkedInApp,
    LinkedInError,
    Rejected,
    Throttled,
    wire,
)
from rsc_service.links import service as link_service
from rsc_service.links.models import LinkSource
from rsc_service.pull import mapping, pacing, repository
from rsc_service.pull.mapping import Skip, Stream, Window
from rsc_service.pull.models import PullCursor, PulledItem
from rsc_service.push import service as push_service
from rsc_service.seats import service as seat_service
from rsc_service.seats.models import Seat
from rsc_service.settings import PullSettings
from rsc_service.tenants import ats as tenant_ats
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.apps import TenantApps
from rsc_service.tenants.models import Stage, Tenant
from rsc_service.web import metrics

log = structlog.get_logger()

LEASE_NAME: Final = "pull"
PULLED_STAGES: Final = frozenset({Stage.ACTIVE})
RETRY_PAUSE: Final = 0.05  # seconds before a failed page is asked again, doubled each time
_Body = TypeVar("_Body", ats_wire.NoteCreate, ats_wire.EmailCreate)
_Answer = TypeVar("_Answer", ats_wire.Note, ats_wire.Email)
CONTRACT_WIDE: Final = ""  # seat_id of the streams read for a whole contract
# Refusals that are not about the item written: the ATS's credentials, a missing parent (handled as "no
# linked candidate"), a conflict, the ATS's rate limit. Any other 4xx refuses the item itself.
NOT_ABOUT_THE_ITEM: Final = frozenset({401, 403, 404, 408, 409, 429})


class LeaseLost(Exception):
    """Another replica holds the pull lease now: this run stops without writing."""


DEACTIVATED: Final = "the tenant was deactivated: the pull stopped"


class TenantRefused(Exception):
    """LinkedIn refused the tenant's application as a whole (401, 403): its other streams would fail alike."""


@dataclass(frozen=True)
class RejectedItem:
    """An item the ATS refused: recorded as skipped with `reason` (status, problem code, fields named)."""

    item_id: str
    reason: str


@dataclass
class StreamReport:
    stream: str
    contract_urn: str
    seat_id: str = CONTRACT_WIDE
    pages: int = 0
    written: int = 0
    skipped: int = 0  # recorded without a write, not counting `rejected`
    withdrawn: int = 0
    error: str | None = None
    rejected: list[RejectedItem] = field(default_factory=list)


@dataclass
class TenantReport:
    tenant_key: str
    streams: list[StreamReport] = field(default_factory=list)
    error: str | None = None

    @property
    def written(self) -> int:
        return sum(s.written for s in self.streams)


@dataclass
class RunReport:
    tenants: list[TenantReport] = field(default_factory=list)

    @property
    def written(self) -> int:
        return sum(t.written for t in self.tenants)

    @property
    def failed(self) -> list[str]:
        return [t.tenant_key for t in self.tenants if t.error or any(s.error for s in t.streams)]


@dataclass
class Fence:
    """The lease a run writes under; every commit checks it first (`check`)."""

    sessionmaker: async_sessionmaker[AsyncSession]
    lease: Lease

    async def check(self, session: AsyncSession) -> None:
        if await repository.lock_epoch(session, self.lease) != self.lease.epoch:
            raise LeaseLost(f"the pull lease moved past epoch {self.lease.epoch}")

    async def still_held(self) -> None:
        async with self.sessionmaker() as session:
            await self.check(session)


# ---- the run ------------------------------------------------------------------------------------------


async def run(
    ctx: AppContext,
    apps: TenantApps,
    fence: Fence,
    *,
    tenant_keys: Sequence[str] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> RunReport:
    """Pull every active tenant (or those of `tenant_keys`), `settings.pull.concurrency` at a time; a tenant
    that fails is reported and the others go on. Raises LeaseLost once the lease has moved on."""
    async with ctx.sessionmaker() as session:
        tenants = [t for t in await tenant_service.list_all(session) if t.stage in PULLED_STAGES]
    if tenant_keys is not None:
        wanted = set(tenant_keys)
        tenants = [t for t in tenants if t.key in wanted]
    # SQLite has one writer: tenants pulled side by side would only wait on each other's commits.
    sqlite = ctx.engine.dialect.name == "sqlite"
    gate = asyncio.Semaphore(1 if sqlite else ctx.settings.pull.concurrency)

    async def one(tenant: Tenant) -> TenantReport:
        async with gate:
            return await pull_tenant(ctx, apps, fence, tenant, sleep=sleep)

    reports = await asyncio.gather(*(one(t) for t in tenants), return_exceptions=True)
    out = RunReport()
    for tenant, report in zip(tenants, reports, strict=True):
        if isinstance(report, LeaseLost):
            raise report
        if isinstance(report, BaseException):
            if not isinstance(report, Exception):
                raise report
            log.error("pull.tenant_failed", tenant_key=tenant.key, error=type(report).__name__)
            out.tenants.append(TenantReport(tenant.key, error=_describe(report)))
        else:
            out.tenants.append(report)
    return out


@dataclass
class _Tenant:
    """What a tenant's streams share for one run."""

    ctx: AppContext
    fence: Fence
    tenant: Tenant
    app: LinkedInApp
    ats: AtsClient
    seats: Sequence[Seat]
    # conversationEvents is called only by the pull, one run fleet-wide at a time (the lease), so the run's
    # own count of each member's records is the application's (docs/pull.md#budgets).
    pace: pacing.MemberPace
    sleep: Callable[[float], Awaitable[None]]
    # The present every stream of the run reads up to, fixed once for the tenant: a reply's stub read by
    # the stub stream is then never later than its InMail read by the InMail stream (docs/pull.md).
    now: datetime
    # InMail records per member on the run's last conversationEvents page, whichever seat's it was: the
    # next page is paced on it (docs/pull.md#budgets).
    last_counts: dict[str, int] = field(default_factory=dict)

    @property
    def settings(self) -> PullSettings:
        return self.ctx.settings.pull

    def seat(self, seat_id: str | None) -> Seat | None:
        return next((s for s in self.seats if s.seat_id == seat_id), None) if seat_id else None

    def author(self, seat_id: str | None) -> mapping.Author:
        seat = self.seat(seat_id)
        if seat is None:
            return mapping.Author(None, None)
        return mapping.seat_author(seat.ats_user_id, seat.first_name, seat.last_name)


async def pull_tenant(
    ctx: AppContext,
    apps: TenantApps,
    fence: Fence,
    tenant: Tenant,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> TenantReport:
    report = TenantReport(tenant.key)
    try:
        app = (await apps.for_tenant(tenant.id)).app
        ats = await tenant_ats.ats_client(ctx, tenant)
    except Exception as error:
        report.error = _describe(error)
        await _record_tenant_failure(ctx, fence, tenant, report.error)
        return report
    async with ctx.sessionmaker() as session:
        seats = [s for s in await seat_service.list_seats(session, tenant.id) if s.active]
    shared = _Tenant(ctx, fence, tenant, app, ats, seats, pacing.MemberPace(), sleep, ctx.clock())
    try:
        for contract in [c.contract_urn for c in tenant.contracts]:
            stubs_failed = False
            for stream in mapping.STREAMS:
                if stream is Stream.INMAILS:
                    if stubs_failed:
                        # A reply whose candidate could not be made yet would find none: the InMails wait,
                        # cursors unmoved, for the run that makes it (docs/pull.md#streams-and-cursors).
                        log.info("pull.inmails_held", tenant_key=tenant.key, contract_urn=contract)
                        continue
                    for seat in [s for s in seats if s.contract_urn == contract]:
                        report.streams.append(await _guarded(shared, stream, contract, seat.seat_id))
                else:
                    done = await _guarded(shared, stream, contract, CONTRACT_WIDE)
                    report.streams.append(done)
                    if stream is Stream.STUBS:
                        stubs_failed = done.error is not None
        closed = await _closed_profiles_if_due(shared)
        if closed is not None:
            report.streams.append(closed)
    except TenantRefused as refused:
        report.error = str(refused)  # the stream it stopped on carries it in sync health
    except lifecycle.TenantDeactivated:  # deactivated since the run began: its other streams stop too
        report.error = DEACTIVATED
    return report


async def _guarded(shared: _Tenant, stream: Stream, contract: str, seat_id: str) -> StreamReport:
    report = StreamReport(stream.value, contract, seat_id)
    walker = _Walker(shared, stream, contract, seat_id, report)
    try:
        await walker.walk()
    except (LeaseLost, lifecycle.TenantDeactivated):
        raise  # the whole run, or the whole tenant, stops (pull_tenant)
    except Exception as error:
        report.error = _describe(error)
        log.warning(
            "pull.stream_failed",
            tenant_key=shared.tenant.key,
            stream=stream.value,
            error=type(error).__name__,
            status=getattr(error, "status", None),
        )
        metrics.PULL_FAILURES.labels(stream.value).inc()
        await walker.failed(report.error)
        if isinstance(error, AuthFailed | Forbidden):
            raise TenantRefused(report.error) from error
    metrics.PULL_ITEMS.labels(stream.value, "written").inc(report.written)
    metrics.PULL_ITEMS.labels(stream.value, "skipped").inc(report.skipped)
    metrics.PULL_ITEMS.labels(stream.value, "rejected").inc(len(report.rejected))
    metrics.PULL_ITEMS.labels(stream.value, "withdrawn").inc(report.withdrawn)
    return report


def _describe(error: BaseException) -> str:
    """What sync health shows: LinkedIn's own message and status where LinkedIn refused, the ATS error as
    the ATS client words it; of any other error its type alone, as its text may quote what it was given (a
    note's text, a member's name)."""
    if isinstance(error, LinkedInError):
        status = f" {error.status}" if error.status else ""
        return f"LinkedIn{status}: {error.message}"[:500]
    if isinstance(error, AtsError):
        return f"{type(error).__name__}: {error}"[:500]
    return type(error).__name__


async def _record_tenant_failure(ctx: AppContext, fence: Fence, tenant: Tenant, error: str) -> None:
    now = ctx.clock()
    async with ctx.sessionmaker.begin() as session:
        await fence.check(session)
        for contract in [c.contract_urn for c in tenant.contracts]:
            for stream in mapping.STREAMS:
                if stream is Stream.INMAILS:
                    continue  # per seat; the contract-wide streams carry the tenant's failure
                found = await repository.cursor(
                    session, tenant_id=tenant.id, contract_urn=contract, stream=stream, seat_id=CONTRACT_WIDE
                )
                await repository.update_cursor(
                    session, found.id, last_run_at=now, last_error=error, failures=found.failures + 1
                )


# ---- closed profiles (R9) -----------------------------------------------------------------------------

PURGED_PAGE: Final = 100
PURGED_MAX_PAGES: Final = 1000


async def _closed_profiles_if_due(shared: _Tenant) -> StreamReport | None:
    """At least every `closed_profiles_days` (30 at most): LinkedIn's list of exported members whose profiles
    were closed. Their notes and InMails are withdrawn from the ATS and their links and member ids dropped
    from our store; the ATS candidates stay (docs/pull.md#closed-profiles)."""
    ctx, tenant = shared.ctx, shared.tenant
    report = StreamReport(Stream.CLOSED.value, CONTRACT_WIDE)
    async with ctx.sessionmaker.begin() as session:
        await shared.fence.check(session)
        cursor = await repository.cursor(
            session,
            tenant_id=tenant.id,
            contract_urn=CONTRACT_WIDE,
            stream=Stream.CLOSED,
            seat_id=CONTRACT_WIDE,
        )
        now = ctx.clock()
        every = timedelta(days=shared.settings.closed_profiles_days)
        last = cursor.last_success_at
        # A last read dated after now (a clock that ran ahead, put right since) does not put the next off.
        if last is not None and last <= now and now - last < every:
            return None
        await repository.update_cursor(session, cursor.id, last_run_at=now)
    try:
        members = await _purged_members(shared.app)
        report.pages = 1
        for member in members:
            report.withdrawn += await _forget_member(shared, member)
    except LeaseLost:
        raise
    except Exception as error:
        report.error = _describe(error)
        metrics.PULL_FAILURES.labels(Stream.CLOSED.value).inc()
        async with ctx.sessionmaker.begin() as session:
            await shared.fence.check(session)
            await repository.update_cursor(
                session, cursor.id, last_error=report.error, failures=cursor.failures + 1
            )
        if isinstance(error, AuthFailed | Forbidden):
            raise TenantRefused(report.error) from error
        return report
    async with ctx.sessionmaker.begin() as session:
        await shared.fence.check(session)
        await repository.update_cursor(
            session, cursor.id, last_success_at=ctx.clock(), failures=0, last_error=None
        )
    metrics.PULL_ITEMS.labels(Stream.CLOSED.value, "withdrawn").inc(report.withdrawn)
    return report


async def _purged_members(app: LinkedInApp) -> list[str]:
    members: list[str] = []
    for page_number in range(PURGED_MAX_PAGES):
        page = await app.list_purged_exported_candidates(start=page_number * PURGED_PAGE, count=PURGED_PAGE)
        members += [m for m in (mapping.person_urn(e.member) for e in page.elements) if m]
        if len(page.elements) < PURGED_PAGE:
            break
    return sorted(set(members))


async def _forget_member(shared: _Tenant, member: str) -> int:
    """Withdraw what the pull wrote about `member` from the ATS, then drop the member from our store."""
    ctx, tenant = shared.ctx, shared.tenant
    async with ctx.sessionmaker() as session:
        items = await repository.of_members(session, tenant_id=tenant.id, member_urns=[member])
        candidates = (
            await link_service.candidates_of_members(session, tenant_id=tenant.id, member_urns=[member])
        ).get(member, [])
    if not items and not candidates:
        return 0
    withdrawn = []
    for item in items:
        if item.outcome != "written":
            continue
        with contextlib.suppress(AtsNotFound):
            if item.stream == Stream.NOTES:
                await shared.ats.withdraw_note(mapping.external_id(Stream.NOTES, item.item_id))
            elif item.stream == Stream.INMAILS:
                await shared.ats.withdraw_email(mapping.external_id(Stream.INMAILS, item.item_id))
            else:
                continue  # a stub's candidate stays; only its link goes
        withdrawn.append(item.id)
    now = ctx.clock()
    async with ctx.sessionmaker.begin() as session:
        await shared.fence.check(session)
        await repository.mark_withdrawn(session, withdrawn, now=now)
        await repository.forget_members(session, [item.id for item in items])
        for candidate in candidates:
            await link_service.set_link(
                session,
                tenant_id=tenant.id,
                ats_candidate_id=candidate,
                member_urn=None,
                source=LinkSource.MANUAL,
                now=now,
            )
    log.info("pull.member_forgotten", tenant_key=tenant.key, items=len(items), candidates=len(candidates))
    return len(withdrawn)


# ---- one stream ---------------------------------------------------------------------------------------


async def _live_links(
    session: AsyncSession, *, tenant_id: uuid.UUID, members: Sequence[str]
) -> dict[str, list[str]]:
    """Each member's linked candidates that its items may go on, first linked first: a candidate the mirror
    holds as deleted in the ATS is passed over (docs/pull.md#what-is-written)."""
    linked = await link_service.candidates_of_members(session, tenant_id=tenant_id, member_urns=members)
    deleted = await repository.deleted_candidates(
        session, tenant_id=tenant_id, candidate_ids=[c for found in linked.values() for c in found]
    )
    return {member: mapping.live_candidates(found, deleted) for member, found in linked.items()}


@dataclass
class _Page:
    elements: list[Any]
    total: int | None


@dataclass
class _Outcome:
    """One item of a page: what to record, and what else the commit must do."""

    row: dict[str, Any]
    link: tuple[str, str] | None = None  # (candidate, member) made from a stub
    withdrawn: PulledItem | None = None
    rejected: bool = False  # the ATS refused the item: recorded as skipped (Skip.ATS_REJECTED)


class _Walker:
    def __init__(
        self, shared: _Tenant, stream: Stream, contract: str, seat_id: str, report: StreamReport
    ) -> None:
        self.shared, self.stream, self.contract, self.seat_id = shared, stream, contract, seat_id
        self.report = report
        self.ctx = shared.ctx
        self.tenant = shared.tenant
        self.settings = shared.settings
        self.now = shared.now  # the present this walk reads up to: the tenant run's
        self.overlap = timedelta(minutes=self.settings.overlap_minutes)

    @property
    def page_size(self) -> int:
        if self.stream is Stream.INMAILS:
            return min(self.settings.page_size, mapping.INMAIL_PAGE_MAX)
        return self.settings.page_size

    async def _cursor(self, session: AsyncSession) -> PullCursor:
        return await repository.cursor(
            session,
            tenant_id=self.tenant.id,
            contract_urn=self.contract,
            stream=self.stream.value,
            seat_id=self.seat_id,
        )

    async def failed(self, error: str) -> None:
        async with self.ctx.sessionmaker.begin() as session:
            await self.shared.fence.check(session)
            found = await self._cursor(session)
            await repository.update_cursor(
                session, found.id, last_error=error, failures=found.failures + 1, last_run_at=self.ctx.clock()
            )

    def _window(self, position: datetime) -> Window | None:
        size = mapping.MAX_WINDOW
        if self.stream is Stream.STUBS:
            size = timedelta(hours=self.settings.stub_window_hours)
        return mapping.window(position, self.now, overlap=self.overlap, size=size)

    async def walk(self) -> None:
        self.overlap = timedelta(minutes=self.settings.overlap_minutes)
        async with self.ctx.sessionmaker.begin() as session:
            await self.shared.fence.check(session)
            cursor = await self._cursor(session)
            cursor.last_run_at = self.now
            self._behind_the_clock(cursor)
            if cursor.window_end is None:
                position = cursor.position or self.now - timedelta(hours=self.settings.initial_lookback_hours)
                opened = self._window(position)
                if opened is not None:
                    cursor.position, cursor.window_end = position, opened.end
                    cursor.page_start, cursor.page_total = 0, None
        previous_total = cursor.page_total
        while cursor.window_end is not None:
            assert cursor.position is not None
            current = Window(cursor.position - self.overlap, cursor.window_end)
            try:
                page = await self._fetch(current, cursor.page_start)
            except Rejected as error:
                half = current.start + (current.end - current.start) / 2
                if self.stream is Stream.STUBS and error.status == 400 and half > cursor.position:
                    # Over LinkedIn's 20,000-result ceiling: the same start, half as long.
                    cursor = await self._move(cursor, window_end=half, page_start=0, page_total=None)
                    previous_total = None
                    continue
                raise
            start = cursor.page_start
            if previous_total is not None and page.total is not None and page.total < previous_total:
                # Items left the window since the last page (a note edited to a later time): the rest moved
                # forward as many places, so step back rather than skip them; repeats are skipped below.
                shift = previous_total - page.total
                if shift and start:
                    start = max(0, start - shift)
                    page = await self._fetch(current, start)
            self.report.pages += 1
            finished = len(page.elements) < self.page_size or (
                page.total is not None and start + len(page.elements) >= page.total
            )
            previous_total = None if finished else page.total
            cursor = await self._apply(
                cursor, page.elements, start=start, total=page.total, finished=finished
            )

    def _behind_the_clock(self, cursor: PullCursor) -> None:
        """A cursor dated after the present was moved while the clock ran ahead (it was put right since).
        Read from there, every item written since the clock was put right would fall before its windows:
        the window being walked is given up, and a position in the future is read as none, so the stream
        starts again `initial_lookback_hours` back, as a new one does; what it pulled already is skipped.
        (docs/pull.md#streams-and-cursors)"""
        position_ahead = cursor.position is not None and cursor.position > self.now
        window_ahead = cursor.window_end is not None and cursor.window_end > self.now
        if not (position_ahead or window_ahead):
            return
        log.warning(
            "pull.cursor_ahead_of_clock",
            tenant_key=self.tenant.key,
            stream=self.stream.value,
            ahead_seconds=(
                max(d for d in (cursor.position, cursor.window_end) if d) - self.now
            ).total_seconds(),
        )
        if position_ahead:
            cursor.position = None
        cursor.window_end, cursor.page_start, cursor.page_total = None, 0, None

    async def _move(self, cursor: PullCursor, **values: Any) -> PullCursor:
        async with self.ctx.sessionmaker.begin() as session:
            await self.shared.fence.check(session)
            await repository.update_cursor(session, cursor.id, **values)
            return await self._reread(session, cursor)

    async def _reread(self, session: AsyncSession, cursor: PullCursor) -> PullCursor:
        found = await session.get(PullCursor, cursor.id, populate_existing=True)
        assert found is not None
        return found

    async def _fetch(self, current: Window, start: int) -> _Page:
        tries = self.settings.page_retries + 1
        for attempt in range(tries):
            try:
                return await self._fetch_once(current, start)
            except Throttled:
                raise  # LinkedIn's budget: the stream waits for the next run (the throttle remembers)
            except LinkedInError as error:
                if isinstance(error, Rejected) or attempt == tries - 1:
                    raise
                if error.category.value not in ("retriable",):
                    raise
                await self.shared.sleep(min(RETRY_PAUSE * 2**attempt, 5.0))
        raise AssertionError("unreachable: the last try raises")

    async def _fetch_once(self, current: Window, start: int) -> _Page:
        app, count = self.shared.app, self.page_size
        owners = [
            f"{mapping.SEAT_PREFIX}{s.seat_id}" for s in self.shared.seats if s.contract_urn == self.contract
        ]
        if self.stream is Stream.INMAILS:
            await self._before_inmails()
            events = await app.list_conversation_events(
                f"{mapping.SEAT_PREFIX}{self.seat_id}",
                window_start=current.start_ms,
                window_end=current.end_ms,
                start=start,
                count=count,
            )
            self._count_members(events.elements)
            return _Page(list(events.elements), events.paging.total)
        if self.stream is Stream.NOTES:
            notes = await app.list_prospect_notes(
                self.contract,
                owners=owners,
                cutoff_date=current.start_ms,
                before_date=current.end_ms,
                start=start,
                count=count,
            )
            return _Page(list(notes.elements), notes.paging.total)
        stubs = await app.list_mail_stubs(
            self.contract,
            owners=owners,
            created_start=current.start_ms,
            created_end=current.end_ms,
            start=start,
            count=count,
        )
        return _Page(list(stubs.elements), stubs.paging.total)

    async def _before_inmails(self) -> None:
        """Wait until the members of the last page could appear as often again within their minute: pages
        follow time, so the next one is most likely with the same members (12 records each a minute)."""
        wait = self.shared.pace.wait(self.shared.last_counts, self.ctx.clock())
        if wait > timedelta(0):
            await self.shared.sleep(wait.total_seconds())

    def _count_members(self, events: Sequence[wire.ConversationEvent]) -> None:
        counts: dict[str, int] = {}
        for event in events:
            member = mapping.person_urn(event.member)
            if member:
                counts[member] = counts.get(member, 0) + 1
        self.shared.pace.record(counts, self.ctx.clock())
        self.shared.last_counts = counts

    # ---- one page ----

    async def _apply(
        self, cursor: PullCursor, elements: Sequence[Any], *, start: int, total: int | None, finished: bool
    ) -> PullCursor:
        ids = [self._id(e) for e in elements]
        members = [m for m in (self._member(e) for e in elements) if m]
        if not elements:
            move = self._moved(cursor, start=start, count=0, total=total, finished=finished)
            return await self._commit(cursor, [], move)
        async with self.ctx.sessionmaker() as session:
            # Deactivated since the run began: nothing more is written into the customer's ATS
            # (docs/onboarding.md#deactivation-a8).
            lifecycle.check_not_deactivated(await tenant_service.get(session, self.tenant.id))
            done = await repository.pulled(
                session, tenant_id=self.tenant.id, stream=self.stream.value, item_ids=[i for i in ids if i]
            )
            linked = await _live_links(session, tenant_id=self.tenant.id, members=members)
        await self.shared.fence.still_held()  # before writing to the ATS, not only before recording it
        outcomes: list[_Outcome] = []
        seen: set[str] = set()
        try:
            for element, identifier in zip(elements, ids, strict=True):
                if identifier is None or identifier in seen:
                    continue
                seen.add(identifier)
                outcome = await self._item(element, identifier, done.get(identifier), linked)
                if outcome is not None:
                    outcomes.append(outcome)
        except (AtsError, LinkedInError):
            # Keep what did land, without moving the cursor: the page is read again and those are skipped.
            await self._commit(cursor, outcomes, None)
            raise
        return await self._commit(
            cursor,
            outcomes,
            self._moved(cursor, start=start, count=len(elements), total=total, finished=finished),
        )

    def _moved(
        self, cursor: PullCursor, *, start: int, count: int, total: int | None, finished: bool
    ) -> dict[str, Any]:
        """Where the cursor goes after a page: the next page, or the next window (opened in the same commit;
        none once the walk reached the present)."""
        if not finished:
            return {"page_start": start + count, "page_total": total}
        assert cursor.window_end is not None
        following = self._window(cursor.window_end)
        return {
            "position": cursor.window_end,
            "window_end": following.end if following else None,
            "page_start": 0,
            "page_total": None,
        }

    async def _commit(
        self, cursor: PullCursor, outcomes: Sequence[_Outcome], move: dict[str, Any] | None
    ) -> PullCursor:
        now = self.ctx.clock()
        async with self.ctx.sessionmaker.begin() as session:
            await self.shared.fence.check(session)
            await repository.record(session, [o.row for o in outcomes if o.withdrawn is None])
            withdrawn = [o.withdrawn.id for o in outcomes if o.withdrawn is not None]
            await repository.mark_withdrawn(session, withdrawn, now=now)
            links = [o.link for o in outcomes if o.link is not None]
            # A stub's webhook may be applied before or while its link is recorded: the two take turns, and
            # the candidate is owed again with the link, whichever came first (docs/pull.md#what-is-written).
            await link_service.hold(session, self.tenant.id, [candidate for candidate, _ in links])
            for candidate, member in links:
                await link_service.set_link(
                    session,
                    tenant_id=self.tenant.id,
                    ats_candidate_id=candidate,
                    member_urn=member,
                    source=LinkSource.INMAIL_STUB,
                    now=now,
                )
                await push_service.owe_again(
                    session, tenant=self.tenant, kind="candidate", ats_id=candidate, now=now
                )
            written = sum(1 for o in outcomes if o.withdrawn is None and o.row["outcome"] == "written")
            await repository.add_written(session, cursor.id, written)
            if move is not None:
                done = move.get("window_end", cursor.window_end) is None
                values = dict(move) | {"failures": 0, "last_error": None}
                if done:
                    values["last_success_at"] = now
                await repository.update_cursor(session, cursor.id, **values)
            fresh = await self._reread(session, cursor)
        for o in outcomes:
            if o.withdrawn is not None:
                self.report.withdrawn += 1
            elif o.rejected:
                self.report.rejected.append(RejectedItem(o.row["item_id"], o.row["reason"]))
            elif o.row["outcome"] == "written":
                self.report.written += 1
            else:
                self.report.skipped += 1
        return fresh

    def _id(self, element: Any) -> str | None:
        value: int | str | None = element.id
        return mapping.item_id(value)

    def _member(self, element: Any) -> str | None:
        if isinstance(element, wire.ProspectNote):
            return mapping.person_urn(element.prospect)
        member: str | None = element.member
        return mapping.person_urn(member)

    def _row(
        self,
        identifier: str,
        member: str | None,
        *,
        outcome: str,
        reason: str | None = None,
        ats_id: str | None = None,
        candidate: str | None = None,
        written: ats_wire.Note | ats_wire.Email | None = None,
    ) -> dict[str, Any]:
        return {
            **_metadata(written),
            "tenant_id": self.tenant.id,
            "stream": self.stream.value,
            "item_id": identifier,
            "contract_urn": self.contract,
            "member_urn": member,
            "outcome": outcome,
            "reason": reason,
            "ats_id": ats_id,
            "ats_candidate_id": candidate,
            "pulled_at": self.ctx.clock(),
            "withdrawn_at": None,
        }

    async def _item(
        self,
        element: Any,
        identifier: str,
        earlier: PulledItem | None,
        linked: dict[str, list[str]],
    ) -> _Outcome | None:
        member = self._member(element)
        now = self.ctx.clock()
        if self.stream is Stream.STUBS:
            if earlier is not None:
                return None
            return await self._stub(element, identifier, member, linked)
        if isinstance(element, wire.ProspectNote) and element.active is False:
            if earlier is not None and earlier.outcome == "written":
                # Deleted in Recruiter: withdrawn from the ATS too (docs/pull.md#what-is-written).
                with contextlib.suppress(AtsNotFound):  # deleted in the ATS already
                    await self.shared.ats.withdraw_note(mapping.external_id(Stream.NOTES, identifier))
                return _Outcome(row={}, withdrawn=earlier)
            if earlier is None:
                return _Outcome(self._row(identifier, member, outcome="skipped", reason=Skip.INACTIVE))
            return None
        if earlier is not None:
            return None  # written once; a later edit is not carried (docs/pull.md#what-is-written)
        candidates = linked.get(member or "", [])
        if not candidates:
            return _Outcome(self._row(identifier, member, outcome="skipped", reason=Skip.NO_CANDIDATE))
        write: Callable[[str], Awaitable[ats_wire.Note | ats_wire.Email]]
        if isinstance(element, wire.ProspectNote):
            author = self.shared.author(mapping.seat_id(element.owner))
            try:
                note = mapping.note(element, contract_urn=self.contract, author=author, now=now)
            except ValidationError as error:
                return self._refused(identifier, member, mapping.unwritable(error))
            if isinstance(note, Skip):
                return _Outcome(self._row(identifier, member, outcome="skipped", reason=note))

            async def write(candidate: str) -> ats_wire.Note | ats_wire.Email:
                create = functools.partial(self.shared.ats.create_note, candidate)
                return await self._by_name_if_unknown(create, note, "author", author)

        else:
            sender = self.shared.author(self.seat_id)
            try:
                email = mapping.email(element, contract_urn=self.contract, sender=sender, now=now)
            except ValidationError as error:
                return self._refused(identifier, member, mapping.unwritable(error))
            if isinstance(email, Skip):
                return _Outcome(self._row(identifier, member, outcome="skipped", reason=email))

            async def write(candidate: str) -> ats_wire.Note | ats_wire.Email:
                create = functools.partial(self.shared.ats.create_email, candidate)
                return await self._by_name_if_unknown(create, email, "sender", sender)

        for candidate in list(candidates):
            try:
                written = await write(candidate)
            except AtsNotFound:
                # Deleted in the ATS before the mirror heard of it: the member's next linked candidate, and
                # none of this page's later items tries this one again.
                candidates.remove(candidate)
                continue
            except AtsRejected as error:
                return self._rejected(error, identifier, member)
            return _Outcome(
                self._row(
                    identifier,
                    member,
                    outcome="written",
                    ats_id=written.id,
                    candidate=candidate,
                    written=written,
                )
            )
        return _Outcome(self._row(identifier, member, outcome="skipped", reason=Skip.NO_CANDIDATE))

    async def _by_name_if_unknown(
        self, write: Callable[[_Body], Awaitable[_Answer]], body: _Body, role: str, person: mapping.Author
    ) -> _Answer:
        """`write(body)`, and again with the note's author or the InMail's sender (`role`) as a name alone
        when the ATS no longer knows the seat's ATS user: the contract answers 422 naming
        `{role}_user_id` (docs/pull.md#what-is-written)."""
        try:
            return await write(body)
        except AtsRejected as error:
            field_name = f"{role}_user_id"
            user_id = getattr(body, field_name)
            if error.status != 422 or user_id is None or not mapping.names_field(error.detail, field_name):
                raise
        log.warning(
            "pull.ats_user_unknown",
            tenant_key=self.tenant.key,
            stream=self.stream.value,
            ats_user_id=user_id,
            hint="refresh the seats: the seat's ATS user is no longer in the ATS",
        )
        return await write(mapping.by_name(body, role, person))

    def _rejected(self, error: AtsRejected, identifier: str, member: str | None) -> _Outcome:
        """An item the ATS refused for itself (a 4xx about the write, such as a note longer than it stores):
        recorded as skipped with the ATS's status, code and the fields it named, and the page goes on. Any
        other refusal stops the stream, which resumes from its cursor next run (docs/pull.md#exactly-once)."""
        if error.status in NOT_ABOUT_THE_ITEM or not 400 <= error.status < 500:
            raise error
        return self._refused(identifier, member, mapping.rejection(error.status, error.code, error.detail))

    def _refused(self, identifier: str, member: str | None, reason: str) -> _Outcome:
        """An item that cannot be written, recorded as skipped with `reason` (which names no content), and
        reported as rejected: the page goes on past it (docs/pull.md#what-is-written)."""
        log.warning(
            "pull.item_rejected",
            tenant_key=self.tenant.key,
            stream=self.stream.value,
            contract_urn=self.contract,
            seat_id=self.seat_id or None,
            item_id=identifier,
            reason=reason,
        )
        return _Outcome(self._row(identifier, member, outcome="skipped", reason=reason), rejected=True)

    async def _stub(
        self, element: wire.MailStub, identifier: str, member: str | None, linked: dict[str, list[str]]
    ) -> _Outcome:
        """R2/L4: a reply's stub makes an unassigned candidate, linked to the member; never a second one while
        the member has a live one. A member whose candidates were all deleted in the ATS gets a new one, keyed
        by the reply: the member's own key would answer the deleted one (docs/pull.md#what-is-written)."""
        if member is None:
            return _Outcome(self._row(identifier, member, outcome="skipped", reason=Skip.EMPTY))
        existing = mapping.first_candidate(linked.get(member, []))
        if existing is not None:
            return _Outcome(
                self._row(
                    identifier, member, outcome="skipped", reason=Skip.ALREADY_LINKED, candidate=existing
                )
            )
        # Linked before, and every linked candidate deleted in the ATS since (`linked` holds the live ones).
        all_deleted = member in linked
        try:
            body = mapping.stub_candidate(element, member, reply=identifier if all_deleted else None)
        except ValidationError as error:
            return self._refused(identifier, member, mapping.unwritable(error))
        try:
            created = await self.shared.ats.create_candidate(body)
            if created.deleted and not all_deleted:
                # The member's key answered the candidate a reply made before, deleted in the ATS since.
                keyed = {"external_id": mapping.member_external_id(member, identifier)}
                created = await self.shared.ats.create_candidate(body.model_copy(update=keyed))
        except AtsRejected as error:
            return self._rejected(error, identifier, member)
        linked.setdefault(member, []).append(created.id)  # a later stub of this member in the page finds it
        return _Outcome(
            self._row(identifier, member, outcome="written", ats_id=created.id, candidate=created.id),
            link=(created.id, member),
        )


# ---- health -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamHealth:
    stream: str
    contract_urn: str
    seat_id: str | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    lag_seconds: float | None
    items_written: int
    failures: int
    last_error: str | None


async def health(session: AsyncSession, *, tenant_id: uuid.UUID, now: datetime) -> list[StreamHealth]:
    """Each stream's last pull, items written, lag and failures, for sync health and the metrics."""
    return [
        StreamHealth(
            stream=c.stream,
            contract_urn=c.contract_urn,
            seat_id=c.seat_id or None,
            last_run_at=c.last_run_at,
            last_success_at=c.last_success_at,
            lag_seconds=(now - c.last_success_at).total_seconds() if c.last_success_at else None,
            items_written=c.items_written,
            failures=c.failures,
            last_error=c.last_error,
        )
        for c in await repository.cursors(session, tenant_id)
    ]


async def refresh_lag_gauges(session: AsyncSession, *, now: datetime) -> None:
    """The pull lag per stream: now less the oldest last complete read among every tenant's cursors."""
    for stream, oldest in (await repository.oldest_success(session)).items():
        metrics.PULL_LAG.labels(stream).set((now - oldest).total_seconds() if oldest else float("nan"))


# ---- what was written, read back (R7, R8; docs/linkedin-activity.md) -------------------------------------


def _metadata(written: ats_wire.Note | ats_wire.Email | None) -> dict[str, Any]:
    """Who wrote a written note or InMail and when, kept beside the item; the content stays in the ATS."""
    if isinstance(written, ats_wire.Note):
        return {
            "author_user_id": written.author_user_id,
            "author_name": written.author_name,
            "direction": None,
            "dated_at": written.written_at,
        }
    if isinstance(written, ats_wire.Email):
        return {
            "author_user_id": written.sender_user_id,
            "author_name": written.sender_name,
            "direction": written.direction,
            "dated_at": written.sent_at,
        }
    return {"author_user_id": None, "author_name": None, "direction": None, "dated_at": None}


ACTIVITY_STREAMS: Final = (Stream.NOTES.value, Stream.INMAILS.value)


@dataclass(frozen=True)
class ActivityCount:
    notes: int
    inmails: int


async def activity_counts(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_ids: Sequence[str]
) -> dict[str, ActivityCount]:
    """R8: per ATS candidate, how many LinkedIn notes and InMails the pull wrote on it and has not withdrawn;
    candidates with none are absent."""
    counts = await repository.written_per_candidate(
        session, tenant_id=tenant_id, candidate_ids=candidate_ids, streams=ACTIVITY_STREAMS
    )
    found: dict[str, ActivityCount] = {}
    for candidate in {candidate for candidate, _ in counts}:
        found[candidate] = ActivityCount(
            notes=counts.get((candidate, Stream.NOTES.value), 0),
            inmails=counts.get((candidate, Stream.INMAILS.value), 0),
        )
    return found


async def activity_of(session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: str) -> list[PulledItem]:
    """R7: the LinkedIn notes and InMails the pull wrote on an ATS candidate and has not withdrawn, newest
    first."""
    return list(
        await repository.written_on_candidate(
            session, tenant_id=tenant_id, candidate_id=candidate_id, streams=ACTIVITY_STREAMS
        )
    )


# ---- one member, now: connect before alert (docs/pull.md#one-member-now) ---------------------------------


@dataclass
class MemberPulled:
    notes_written: int = 0
    inmails_written: int = 0
    error: str | None = None  # the first stream's failure, as sync health shows one; the others went on


class _Unfenced(Fence):
    """The member pull runs outside the pull lease: it moves no cursor, and each item is kept once by its
    unique `pulled_items` row and its `external_id`. Nothing of it may commit through a fence."""

    async def check(self, session: AsyncSession) -> None:
        raise AssertionError("the member pull commits without the pull lease")


async def pull_member(
    ctx: AppContext,
    apps: TenantApps,
    tenant: Tenant,
    *,
    member_urn: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> MemberPulled:
    """One member's Recruiter notes and InMails of the last `initial_lookback_hours`, written now onto the
    member's linked candidate (the first live one, as the pull chooses): items the pull recorded as skipped
    for want of a linked candidate are taken again, items it has not reached yet are written and recorded
    (so it skips them when it gets there), and nothing written already is written again. Every write carries
    the item's `external_id`. The streams' cursors do not move.
    A stream that fails is reported (`error`) and the others go on, unless LinkedIn refused the application
    as a whole; what landed before is kept. A deactivated tenant is not pulled: nothing is read or written
    (docs/pull.md#one-member-now)."""
    async with ctx.sessionmaker() as session:
        current = await session.get(Tenant, tenant.id)  # its stage as committed now, not as `tenant` was read
    if current is None or current.stage is Stage.DEACTIVATED:
        return MemberPulled()
    app = (await apps.for_tenant(tenant.id)).app
    ats = await tenant_ats.ats_client(ctx, tenant)
    async with ctx.sessionmaker() as session:
        seats = [s for s in await seat_service.list_seats(session, tenant.id) if s.active]
        linked = await _live_links(session, tenant_id=tenant.id, members=[member_urn])
    done = MemberPulled()
    if not linked.get(member_urn):
        return done
    fence = _Unfenced(ctx.sessionmaker, Lease(name=LEASE_NAME, holder="", epoch=-1))
    until = ctx.clock()
    shared = _Tenant(ctx, fence, tenant, app, ats, seats, pacing.MemberPace(), sleep, until)
    since = until - timedelta(hours=ctx.settings.pull.initial_lookback_hours)
    for contract in [c.contract_urn for c in tenant.contracts]:
        streams = [(Stream.NOTES, CONTRACT_WIDE)]
        streams += [(Stream.INMAILS, s.seat_id) for s in seats if s.contract_urn == contract]
        for stream, seat_id in streams:
            walker = _Walker(shared, stream, contract, seat_id, StreamReport(stream.value, contract, seat_id))
            try:
                written = await _member_stream(walker, member_urn, linked, since=since, until=until)
            except (LinkedInError, AtsError) as error:
                done.error = done.error or _describe(error)
                if isinstance(error, AuthFailed | Forbidden):
                    return done
                continue
            if stream is Stream.NOTES:
                done.notes_written += written
            else:
                done.inmails_written += written
    return done


async def _member_stream(
    walker: _Walker, member: str, linked: dict[str, list[str]], *, since: datetime, until: datetime
) -> int:
    """Walk one stream's windows from `since` to `until` as the pull opens them (each starting the overlap
    before the last one ended), page by page, taking the member's items."""
    written = 0
    position = since
    while (current := mapping.window(position, until, overlap=walker.overlap)) is not None:
        start = 0
        while True:
            page = await walker._fetch(current, start)
            mine = [e for e in page.elements if walker._member(e) == member]
            written += await _take(walker, mine, linked)
            start += len(page.elements)
            if len(page.elements) < walker.page_size or (page.total is not None and start >= page.total):
                break
        position = current.end
    return written


async def _take(walker: _Walker, elements: Sequence[Any], linked: dict[str, list[str]]) -> int:
    """Write the member's items of a page that are not written yet, each recorded once it landed."""
    ctx, tenant, stream = walker.ctx, walker.tenant, walker.stream.value
    ids = [i for i in (walker._id(e) for e in elements) if i]
    if not ids:
        return 0
    async with ctx.sessionmaker() as session:
        earlier = await repository.pulled(session, tenant_id=tenant.id, stream=stream, item_ids=ids)
    written = 0
    seen: set[str] = set()
    for element in elements:
        identifier = walker._id(element)
        if identifier is None or identifier in seen:
            continue
        seen.add(identifier)
        before = earlier.get(identifier)
        retake = before is not None and before.outcome == "skipped" and before.reason == Skip.NO_CANDIDATE
        if before is not None and not retake:
            continue
        outcome = await walker._item(element, identifier, None, linked)
        if outcome is None or outcome.withdrawn is not None:
            continue
        row = outcome.row
        if retake and row["outcome"] != "written":
            continue  # still nothing to write: the row stays as the pull recorded it
        async with ctx.sessionmaker.begin() as session:
            # A pull page that read the links before this member was linked may have recorded the item as
            # skipped (no linked candidate) since it was read above: what landed replaces that.
            await repository.record_over_no_candidate(session, row, no_candidate=Skip.NO_CANDIDATE)
        if row["outcome"] == "written":
            written += 1
            metrics.PULL_ITEMS.labels(stream, "written").inc()
    return written
