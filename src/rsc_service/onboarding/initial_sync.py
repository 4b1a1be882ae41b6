"""The initial sync (PRODUCT A4): once LinkedIn enables the integration, everything of the ATS that LinkedIn
should show is pushed, then the tenant is `active` and the admin who activated it gets one email.

Why a walk and not only the mirror: until the customer connected its organization, webhooks were stored in
the mirror but owed nothing (a payload needs the organization URN), and the mirror holds only what changed
since the tenant was registered. So the sync walks the ATS's lists (initial_sync_walk.py: parents first,
jobs of the last two years), applies each page to the mirror exactly as reconcile does
(`push.service.apply_ats_changes`), and owes LinkedIn every record of the page — those the mirror already
held at that version change nothing there, so they are owed again from the mirror
(`push.service.owe_records`; the outbox's enqueue upserts, so owing a record twice is harmless).

Counts: each record is counted once per walk, though the ATS lists a record that changes while the walk
pages again at the end (initial_sync_progress.note_walked); so a kind's total, and the email, say how many
records the ATS has, not how many listings the walk read.

Resume: each page is one transaction — its mirror changes, its outbox rows, the records it noted as walked,
and the kind's saved position and count (`setup_progress`) — so a process killed at any point continues from
the page after the last one committed, and `done` never goes down. The position is read and compared under the
row's lock before a page is committed: two walkers of one tenant (the job and `rsc-service backfill`) never
apply the same page twice; the slower one drops its page and reads the next.

Pace: a page is read only while the tenant owes fewer than `bound` rows not yet sent (by default twice
LinkedIn's per-minute record budget), so the outbox never holds a huge backlog of the tenant and its live
webhooks still go out promptly; the dispatcher sends within the throttle as for any change.

Finish: when every kind is walked and every row the tenant owes has landed (dead letters count as finished
with errors and are reported; rows waiting for a parent the walk did not sync are reported too), the
activation email is sent and the tenant moves to `active`. The email's idempotency key (the ATS's
`external_id` on `POST /users/{id}/emails`, openapi/ats-api.yaml) is saved before it is sent, and the
tenant's move and the email's "sent" are committed together after: a crash in between sends it again
with the same key, which the ATS answers with the email it already sent. So the admin gets it once.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.integrations.ats import AtsClient, AtsRejected
from rsc_service.integrations.ats import wire as ats
from rsc_service.mirror.unit import MirrorUnit
from rsc_service.onboarding import initial_sync_progress as saved
from rsc_service.onboarding.initial_sync_progress import EMAIL, Budgets, KindProgress, Settled
from rsc_service.onboarding.initial_sync_walk import (
    JOB_HISTORY,
    KINDS,
    PAGE_SIZE,
    Page,
    Parents,
    Position,
    classify,
    job_synced,
    parent_ids,
    read_page,
)
from rsc_service.outbox import service as outbox_service
from rsc_service.push import service as push_service
from rsc_service.reconcile import service as reconcile_service
from rsc_service.settings import LinkedInSettings
from rsc_service.tenants import ats as tenant_ats
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage, Tenant

log = structlog.get_logger()

# The bound on rows owed and not yet sent when LinkedIn's per-minute budget is switched off.
DEFAULT_BOUND: Final = 20_000
SUBJECT: Final = "LinkedIn Recruiter System Connect: initial sync finished"


def default_bound(linkedin: LinkedInSettings) -> int:
    """Twice the per-minute record budget: a minute of sending in hand, and live changes a minute behind."""
    per_minute = linkedin.records_per_minute
    return 2 * per_minute if per_minute is not None else DEFAULT_BOUND


@dataclass(frozen=True)
class Step:
    """What one call did: `walking` (stopped for time), `paced` (the tenant owes enough for now), `stopped`
    (after `max_pages`), `sending` (walked; rows still on their way), `activated`, or `not_syncing`."""

    state: str
    pages: int = 0


async def start_initial_sync(session: AsyncSession, tenant: Tenant, *, now: datetime) -> bool:
    """Move an `enabled` tenant to `initial_sync` with its progress reset; False (and nothing changed) for a
    tenant in another stage or without an organization. Flushes; the caller commits, and the
    `advance_onboarding` job (or `rsc-service backfill`) walks from there."""
    # The job and the CLI may both start the same tenant: the second waits here, sees `initial_sync` and
    # leaves the walk the first one began alone (docs/onboarding.md#initial-sync).
    await tenant_service.lock_stage(session, tenant)
    if tenant.stage is not Stage.ENABLED:
        return False
    if tenant.linkedin_organization_urn is None:
        log.warning("initial_sync.no_organization", tenant_key=tenant.key)
        return False
    await _begin(
        session,
        tenant,
        actor=lifecycle.SERVICE,
        reason="LinkedIn enabled the integration: the initial sync starts",
        now=now,
    )
    return True


async def force_step(
    session: AsyncSession, tenant: Tenant, stage: Stage, *, reason: str, now: datetime
) -> None:
    """An operator's forced step (the admin route, `rsc-service tenant advance`), audited as the operator and
    decided on the stage as committed now, under the tenant's lock: a move a job is making is waited for,
    never overridden from the stage it left. `enabled → initial_sync` starts the sync as the job does (the
    walk from the start, reconcile's cursors at now); the other steps only move the stage."""
    await tenant_service.lock_stage(session, tenant)
    if tenant.stage is Stage.ENABLED and stage is Stage.INITIAL_SYNC:
        await _begin(session, tenant, actor=lifecycle.OPERATOR, reason=reason, now=now)
        return
    lifecycle.advance(session, tenant, stage, actor=lifecycle.OPERATOR, reason=reason, now=now)


async def _begin(
    session: AsyncSession, tenant: Tenant, *, actor: lifecycle.Actor, reason: str, now: datetime
) -> None:
    lifecycle.advance(session, tenant, Stage.INITIAL_SYNC, actor=actor, reason=reason, now=now)
    await saved.reset(session, tenant.id, now=now)
    await reconcile_service.start_cursors(session, tenant_id=tenant.id, since=now)
    await session.flush()
    log.info("initial_sync.started", tenant_key=tenant.key)


async def continue_initial_sync(
    ctx: AppContext,
    tenant_id: uuid.UUID,
    *,
    bound: int | None = None,
    until: float | None = None,
    max_pages: int | None = None,
    page_size: int = PAGE_SIZE,
) -> Step:
    """Walk on from the saved position while the tenant owes fewer than `bound` unsent rows, until
    `time.monotonic()` passes `until` or `max_pages` pages are committed; once walked, finish when every
    row has landed. Safe to call at any time, from several processes at once."""
    async with ctx.sessionmaker.begin() as session:
        tenant = await tenant_service.get(session, tenant_id)
        if tenant.stage is not Stage.INITIAL_SYNC:
            return Step("not_syncing")
        await saved.ensure(session, tenant_id, now=await ctx.db_now())
    async with ctx.sessionmaker() as session:
        cutoff = (await saved.rows(session, tenant_id))["job"].started_at - JOB_HISTORY
    client = await tenant_ats.ats_client(ctx, tenant)
    limit = bound if bound is not None else default_bound(ctx.settings.linkedin)
    pages = 0
    while True:
        async with ctx.sessionmaker() as session:
            rows = await saved.rows(session, tenant_id)
            open_kinds = [kind for kind in KINDS if not rows[kind].finished]
            if not open_kinds:
                break
            if max_pages is not None and pages >= max_pages:
                return Step("stopped", pages)
            if until is not None and time.monotonic() >= until:
                return Step("walking", pages)
            if await outbox_service.has_backlog(session, tenant_id=tenant_id, rows=limit):
                return Step("paced", pages)
            kind, expected = open_kinds[0], rows[open_kinds[0]].cursor
        page = await read_page(client, kind, Position.load(expected), cutoff=cutoff, limit=page_size)
        committed = await _commit_page(ctx, tenant_id, kind, expected, page, cutoff=cutoff)
        if committed is None:
            return Step("not_syncing", pages)
        pages += committed
        # A first sync fills a new database: its tables are analyzed once they hold rows, or every look-up
        # by tenant and keys slows as they grow (db/statistics.py).
        ctx.planner_statistics.wrote(len(page.records) if committed else 0)
    return Step(await _finish(ctx, tenant_id, client), pages)


async def _commit_page(
    ctx: AppContext, tenant_id: uuid.UUID, kind: str, expected: str | None, page: Page, *, cutoff: datetime
) -> bool | None:
    """Apply one page and save the position after it, in one transaction: True; False when another walker
    committed this page first (the position moved); None when the tenant left the sync meanwhile."""
    now = await ctx.db_now()
    async with ctx.sessionmaker.begin() as session:
        tenant = await tenant_service.get(session, tenant_id)
        row = await saved.lock(session, tenant_id, kind)
        if tenant.stage is not Stage.INITIAL_SYNC or row is None:
            return None
        if row.finished or row.cursor != expected:
            return False
        parents = await _parents(session, tenant_id, kind, page, cutoff=cutoff)
        synced, skipped = classify(kind, page.records, parents)
        stored = await push_service.apply_ats_changes(
            session, [(tenant, change) for change in synced], now=now
        )
        # What the mirror already held (a webhook before the organization was connected) is owed from it.
        again = [(c.kind, c.ats_id) for c, record in zip(synced, stored, strict=True) if record is None]
        if again:
            await push_service.owe_records(session, tenant=tenant, keys=again, now=now)
        # Each record once: one the ATS lists again (it changed while we paged) was counted when first listed.
        new_synced, new_skipped = await saved.note_walked(
            session,
            tenant_id,
            kind,
            synced=[c.ats_id for c in synced],
            skipped=[item.ats_id for item in skipped],
        )
        position = Position.load(expected)
        after = Position(page.after.phase, page.after.cursor, position.skipped + new_skipped)
        row.cursor = after.dump()
        row.done += new_synced
        row.finished = page.finished
        row.total = row.done if page.finished else None
        row.updated_at = now
        if page.finished:
            await saved.forget_walked(session, tenant_id, kind)
    for item in skipped:
        log.info("initial_sync.skipped", tenant_id=str(tenant_id), kind=item.kind, reason=item.reason)
    return True


async def _parents(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, page: Page, *, cutoff: datetime
) -> Parents:
    """The synced parents the page's records name, as the mirror holds them (walked before them)."""
    wanted = parent_ids(kind, page.records)
    if not any(wanted.values()):
        return Parents()
    unit = MirrorUnit(session)
    applications = [
        r for r in await unit.find_many(tenant_id, "application", wanted["application"]) if not r.deleted
    ]
    jobs = wanted["job"] | {a.job_id for a in applications if a.job_id}
    candidates = wanted["candidate"] | {a.candidate_id for a in applications if a.candidate_id}
    return Parents(
        jobs={
            r.ats_id: r.data
            for r in await unit.find_many(tenant_id, "job", jobs)
            if not r.deleted and job_synced(r.data, cutoff)
        },
        candidates={
            r.ats_id for r in await unit.find_many(tenant_id, "candidate", candidates) if not r.deleted
        },
        applications={a.ats_id: a.data for a in applications},
    )


# ---- finishing: the email, then `active` ----


async def _finish(ctx: AppContext, tenant_id: uuid.UUID, client: AtsClient) -> str:
    async with ctx.sessionmaker() as session:
        settled = await saved.settled(session, tenant_id)
        if settled is None:
            return "sending"
        kinds = await saved.progress(session, tenant_id, budgets=Budgets(None, None, None, ctx.clock()))
    now = await ctx.db_now()
    async with ctx.sessionmaker.begin() as session:
        tenant = await tenant_service.get(session, tenant_id)
        row = await saved.lock(session, tenant_id, EMAIL)
        if tenant.stage is not Stage.INITIAL_SYNC or row is None:
            return "not_syncing"
        if row.cursor is None:  # the intent, saved before the email is sent
            row.cursor = f"initial-sync-done:{tenant.key}:{row.started_at:%Y%m%dT%H%M%SZ}"
            row.updated_at = now
        key, admin, tenant_key = row.cursor, tenant.activated_by_user_id, tenant.key
    sent = await _send_email(client, admin, key, email_body(kinds, settled), tenant_key=tenant_key)
    now = await ctx.db_now()
    async with ctx.sessionmaker.begin() as session:
        row = await saved.lock(session, tenant_id, EMAIL)
        tenant = await tenant_service.get(session, tenant_id)
        if row is not None and row.finished:
            return "activated"  # another walker finished it meanwhile
        if row is None or tenant.stage is not Stage.INITIAL_SYNC:
            return "not_syncing"
        lifecycle.advance(
            session,
            tenant,
            Stage.ACTIVE,
            actor=lifecycle.SERVICE,
            reason=f"initial sync finished ({settled.dead} dead letters)",
            now=now,
        )
        row.finished, row.done, row.total, row.updated_at = True, int(sent), 1, now
    log.info("initial_sync.activated", tenant_key=tenant_key, dead=settled.dead, email_sent=sent)
    return "activated"


async def _send_email(
    client: AtsClient, user_id: str | None, key: str, body: str, *, tenant_key: str
) -> bool:
    """Send the activation email once (idempotent on `key`); False when there is no one to send it to. An
    ATS that is down or refuses us raises, and the next run sends it with the same key."""
    if user_id is None:
        log.info("initial_sync.no_admin_to_email", tenant_key=tenant_key)
        return False
    try:
        await client.send_user_email(
            user_id, ats.UserEmailCreate(external_id=key, subject=SUBJECT, body=body)
        )
    except AtsRejected as error:
        if error.status not in (404, 422):
            raise
        # The admin's user is gone, or the ATS will never take this email: activation does not wait for it.
        log.warning("initial_sync.email_refused", tenant_key=tenant_key, status=error.status)
        return False
    return True


def email_body(kinds: Sequence[KindProgress], settled: Settled) -> str:
    by_kind = {k.kind: k for k in kinds}

    def count(kind: str, label: str) -> str:
        found = by_kind.get(kind)
        return f"{found.walked if found else 0:,} {label}"

    lines = [
        f"{count('job', 'jobs')} (open, or closed in the last two years), {count('candidate', 'candidates')} "
        f"and {count('application', 'applications')}, with {count('note', 'notes')} and "
        f"{count('interview_feedback', 'interview feedback')}, now appear in LinkedIn Recruiter.",
        "From now on every change in the ATS reaches LinkedIn within seconds.",
    ]
    if settled.dead:
        lines.append(
            f"{settled.dead:,} records could not be sent: "
            "the integration page lists each with LinkedIn's reason."
        )
    if settled.stranded:
        lines.append(
            f"{settled.stranded:,} records wait for a job or candidate that was not synced; they are sent "
            "when it arrives."
        )
    return "\n\n".join(lines)


# ---- what the API and the CLI show ----


@dataclass(frozen=True)
class Overview:
    tenant_key: str
    stage: Stage
    started_at: datetime | None
    updated_at: datetime | None
    walked: bool  # every kind walked to the end
    email_sent: bool | None  # None until the sync finished
    kinds: list[KindProgress]
    eta_seconds: float | None
    eta_partial: bool  # kinds still being walked: their totals, and so the ETA, are not known yet


async def overview(session: AsyncSession, ctx: AppContext, tenant: Tenant) -> Overview:
    now = ctx.clock()
    budgets = await saved.budgets(
        session, app=tenant.linkedin_client_id, linkedin=ctx.settings.linkedin, now=now
    )
    kinds = await saved.progress(session, tenant.id, budgets=budgets)
    rows = await saved.rows(session, tenant.id)
    email = rows.get(EMAIL)
    walked = all(k.finished for k in kinds) and bool(rows)
    return Overview(
        tenant_key=tenant.key,
        stage=tenant.stage,
        started_at=min((r.started_at for r in rows.values()), default=None),
        updated_at=max((r.updated_at for r in rows.values()), default=None),
        walked=walked,
        email_sent=bool(email.done) if email is not None and email.finished else None,
        kinds=kinds,
        eta_seconds=saved.eta(kinds, budgets),
        eta_partial=not walked,
    )
