"""Reconcile: compare the ATS's lists with the mirror and owe LinkedIn what differs — the cure for webhooks
that never arrived (docs/architecture.md#17-reconcile)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rsc_service.context import AppContext
from rsc_service.errors import Conflict
from rsc_service.integrations.ats import AtsClient, AtsError
from rsc_service.mirror import changes
from rsc_service.mirror.changes import Listed
from rsc_service.push import service as push_service
from rsc_service.reconcile import repository
from rsc_service.tenants import ats as tenant_ats
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage, Tenant

log = structlog.get_logger()

# Covers clock skew between the ATS and us, and changes committed in the ATS just after a page was read.
OVERLAP = timedelta(minutes=10)
PAGE_SIZE = 100
# A tenant in its initial sync is being walked already (docs/onboarding.md#initial-sync); reconcile starts
# from where that walk began once it is active.
RECONCILED_STAGES = frozenset({Stage.ACTIVE})
# Parents before children, so an application finds its job and candidate in the mirror (users first: notes
# and feedback embed their authors' names).
KINDS: Final[tuple[str, ...]] = ("user", "job", "candidate", "application", "note", "interview_feedback")


@dataclass
class Report:
    tenant_key: str
    seen: int = 0  # records the ATS listed
    applied: int = 0  # of those, newer than the mirror (or missing from it): applied and owed to LinkedIn
    error: str | None = None
    # Records that could never be stored (an id too long, a NUL in a value), as "kind id: field reason";
    # skipped rather than failing the walk on every run.
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Status:
    last_started_at: datetime | None
    last_finished_at: datetime | None  # when every kind was last walked to the end; None until then
    last_error: str | None


def _listing(ats: AtsClient, kind: str, since: datetime | None) -> AsyncIterator[Listed]:
    lists: dict[str, Callable[..., AsyncIterator[Listed]]] = {
        "user": ats.list_users,
        "job": ats.list_jobs,
        "candidate": ats.list_candidates,
        "application": ats.list_applications,
        "note": ats.list_notes,
        "interview_feedback": ats.list_interview_feedback,
    }
    return lists[kind](updated_since=since, include_deleted=True)


async def _pages(records: AsyncIterator[Listed], size: int) -> AsyncIterator[list[Listed]]:
    """The listed records in lists of `size`, the last one shorter."""
    page: list[Listed] = []
    async for record in records:
        page.append(record)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page


async def reconcile_tenant(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    tenant_id: uuid.UUID,
    tenant_key: str,
    ats: AtsClient,
    clock: Callable[[], datetime],
    overlap: timedelta = OVERLAP,
    page_size: int = PAGE_SIZE,
) -> Report:
    """Walk every kind changed since its cursor less `overlap`, applying each page as webhooks would.

    The cursor moves with each page's transaction, so a crash repeats at most one page, and applying a
    version the mirror already holds changes nothing: running it again enqueues nothing new.
    """
    report = Report(tenant_key)
    started = clock()
    for kind in KINDS:
        async with sessionmaker.begin() as session:
            cursor = await repository.lock_cursor(session, tenant_id=tenant_id, kind=kind)
            cursor.last_started_at = started
            since = _since(cursor.since, started=started, overlap=overlap)
        try:
            async for page in _pages(_listing(ats, kind, since), page_size):
                await _apply_page(
                    sessionmaker,
                    tenant_id=tenant_id,
                    kind=kind,
                    page=page,
                    started=started,
                    now=clock(),
                    report=report,
                )
        except lifecycle.TenantDeactivated:
            # Deactivated during the walk: what the deactivation dropped or purged is not stored again.
            report.error = f"{kind}: the tenant was deactivated: the walk stopped"
            log.info("reconcile.stopped_deactivated", tenant_key=tenant_key, kind=kind)
            return report
        except AtsError as error:
            report.error = f"{kind}: {error}"
            await _finish(
                sessionmaker, tenant_id=tenant_id, kind=kind, since=None, now=clock(), error=report.error
            )
            log.warning("reconcile.failed", tenant_key=tenant_key, kind=kind, error=str(error))
            return report  # later kinds would be compared against parents this walk could not read
        await _finish(sessionmaker, tenant_id=tenant_id, kind=kind, since=started, now=clock(), error=None)
    log.info("reconcile.finished", tenant_key=tenant_key, seen=report.seen, applied=report.applied)
    return report


class Deactivated(Conflict):
    """A deactivated tenant's ATS is not read again: its data was purged, or is being (docs/onboarding.md)."""

    code = "wrong_stage"


async def run_now(ctx: AppContext, *, tenant_key: str | None = None) -> list[Report]:
    """Reconcile one tenant (any stage but deactivated) or every tenant that is syncing, one after another.

    A tenant that fails is reported and logged; the others still run.
    """
    async with ctx.sessionmaker() as session:
        if tenant_key is not None:
            tenants: Sequence[Tenant] = [await tenant_service.get_by_key(session, tenant_key)]
            if tenants[0].stage is Stage.DEACTIVATED:
                raise Deactivated(f"tenant {tenant_key} is deactivated: its ATS is not read again")
        else:
            tenants = [t for t in await tenant_service.list_all(session) if t.stage in RECONCILED_STAGES]
    reports = []
    for tenant in tenants:  # loaded above; detached now, which is all the walk needs of them
        try:
            ats = await tenant_ats.ats_client(ctx, tenant)
            reports.append(
                await reconcile_tenant(
                    ctx.sessionmaker, tenant_id=tenant.id, tenant_key=tenant.key, ats=ats, clock=ctx.clock
                )
            )
        except Exception as error:
            log.exception("reconcile.tenant_failed", tenant_key=tenant.key)
            reports.append(Report(tenant.key, error=f"{type(error).__name__}: {error}"))
    return reports


def _since(cursor: datetime | None, *, started: datetime, overlap: timedelta) -> datetime | None:
    """Where a walk lists from: `overlap` before the cursor, a cursor past the walk's start read as the start
    (see `_moved`); None, everything, when that would fall before the year 1."""
    if cursor is None:
        return None
    at = min(cursor, started)
    return at - overlap if at - changes.EARLIEST >= overlap else None


def _moved(cursor: datetime | None, to: datetime, *, started: datetime) -> datetime:
    """The cursor moved on to `to`, but never past when the walk started: a record the ATS dates in the
    future must not hide every change after it (docs/architecture.md#17-reconcile)."""
    return min(to if cursor is None else max(cursor, to), started)


async def _apply_page(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    tenant_id: uuid.UUID,
    kind: str,
    page: Sequence[Listed],
    started: datetime,
    now: datetime,
    report: Report,
) -> None:
    storable = []
    times = []  # of the page's changes, those a timestamp column holds
    for record in page:
        change = changes.from_listed(record)
        if changes.storable_time(change.occurred_at):
            times.append(change.occurred_at)
        problems = changes.unstorable(change)
        if problems:
            report.skipped.append(f"{kind} {record.id[:80]}: " + "; ".join(f"{f} {r}" for f, r in problems))
            log.warning("reconcile.skipped_record", tenant_id=str(tenant_id), kind=kind, fields=len(problems))
        else:
            storable.append(change)
    async with sessionmaker.begin() as session:
        tenant = await tenant_service.get(session, tenant_id)
        # Each page checks the stage under the tenant's lock, which a deactivation takes to change it: a page
        # is stored wholly before the deactivation (which then drops what it owes) or not at all.
        await tenant_service.hold_stage(session, tenant)
        lifecycle.check_not_deactivated(tenant)
        cursor = await repository.lock_cursor(session, tenant_id=tenant_id, kind=kind)
        stored = await push_service.apply_ats_changes(
            session, [(tenant, change) for change in storable], now=now
        )
        report.applied += sum(record is not None for record in stored)
        report.seen += len(page)
        # Lists come oldest change first (openapi/ats-api.yaml): all before this page's newest is seen.
        if times:
            cursor.since = _moved(cursor.since, max(times), started=started)


async def _finish(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    tenant_id: uuid.UUID,
    kind: str,
    since: datetime | None,
    now: datetime,
    error: str | None,
) -> None:
    """Record the kind's walk; `since`, its start, when it was walked to the end."""
    async with sessionmaker.begin() as session:
        cursor = await repository.lock_cursor(session, tenant_id=tenant_id, kind=kind)
        cursor.last_error = error
        if since is not None:
            cursor.since = _moved(cursor.since, since, started=since)
            cursor.last_finished_at = now


async def start_cursors(session: AsyncSession, *, tenant_id: uuid.UUID, since: datetime) -> None:
    """Every kind counts as compared up to `since`: the initial sync, starting now, walks what came before
    (and leaves out jobs older than it keeps), so reconcile's first walk must not list everything again."""
    for kind in KINDS:
        cursor = await repository.lock_cursor(session, tenant_id=tenant_id, kind=kind)
        cursor.since = since


async def status(session: AsyncSession, *, tenant_id: uuid.UUID) -> Status:
    cursors = await repository.list_cursors(session, tenant_id=tenant_id)
    started = [c.last_started_at for c in cursors if c.last_started_at is not None]
    finished = [c.last_finished_at for c in cursors]
    complete = len(cursors) == len(KINDS) and all(at is not None for at in finished)
    errors = [f"{c.kind}: {c.last_error}" for c in cursors if c.last_error]
    return Status(
        last_started_at=max(started) if started else None,
        last_finished_at=min(at for at in finished if at is not None) if complete else None,
        last_error="; ".join(errors) or None,
    )
