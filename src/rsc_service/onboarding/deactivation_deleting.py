"""Deleting a deactivated tenant's records at LinkedIn, one kind at a time, children before parents; jobs are
closed, never deleted (docs/architecture.md#8-deleting, docs/architecture.md#6-jobs).

What to delete is what the outbox says LinkedIn may hold. Each kind walks those rows in pages of at most
100 and keeps where it is in its progress row (`setup_progress`), so a process killed at any point
continues where the last one stopped:

1. claim the next page: the cursor moves past it, and the page's row ids are written as a claim that
   ends after a lease — in the same swap of the cursor, so of two workers only one sends a page;
2. send the page's deletions (or closes) through the tenant's LinkedIn app, under its shared throttle;
3. settle: count what LinkedIn deleted (a key it answers 404 for is gone too), what it refused for good,
   and keep what failed for now as the claim, due again later.

A worker killed between 2 and 3 leaves its claim: once the lease is over the page is sent again, the only
case in which a key is deleted twice (LinkedIn answers the second time that it is gone). The outbox of a
deactivated tenant is held (lifecycle.SENDING), so nothing lands at LinkedIn meanwhile; rows that a
dispatcher held under a lease when the tenant was deactivated are waited for.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

import structlog

from rsc_service.context import AppContext
from rsc_service.errors import ServiceError
from rsc_service.integrations.linkedin import MAX_BATCH, AuthFailed, Category, Forbidden, LinkedInError
from rsc_service.integrations.linkedin import Throttled as LinkedInThrottled
from rsc_service.integrations.linkedin import wire as li
from rsc_service.integrations.linkedin.wire_keys import IntegrationType
from rsc_service.onboarding import deactivation_repository as repository
from rsc_service.onboarding.models import SetupProgress
from rsc_service.outbox import tenant_rows
from rsc_service.outbox.sending import Item, Sent, Target
from rsc_service.push.postings import JOBS
from rsc_service.push.registry import Registry
from rsc_service.tenants.apps import TenantApp, TenantApps

log = structlog.get_logger()

# The configuration the service wrote at onboarding that makes LinkedIn push to us
# (docs/onboarding.md#kick-off-a1-a2): removed last, so LinkedIn stops calling the service for this customer.
CALLBACK_KIND: Final = "atsIntegrations/configurations"
RETRY: Final = timedelta(minutes=1)  # a page that failed for now is sent again after this
PAUSE: Final = timedelta(minutes=5)  # LinkedIn refused the tenant as a whole, or our configuration did


class Step(StrEnum):
    FINISHED = "finished"  # every record of the kind is deleted (or refused for good)
    WAITING = "waiting"  # a claim, a retry or a job's task is not due yet: the next run goes on
    STOPPED = "stopped"  # this run's budget of requests is spent


@dataclass
class Budget:
    """LinkedIn requests a run may still make; None: as many as it takes."""

    requests: int | None = None

    @property
    def spent(self) -> bool:
        return self.requests is not None and self.requests <= 0

    def spend(self) -> None:
        if self.requests is not None:
            self.requests -= 1


@dataclass(frozen=True)
class Walk:
    """A kind's cursor, as stored in its progress row: where the walk is, the page claimed (or due again),
    the closes whose tasks LinkedIn has not finished, and what failed."""

    after: tuple[str, int] | None = None  # (parent key or "", outbox row id) of the last row claimed
    claim: tuple[int, ...] = ()  # outbox row ids being sent, or due again at `until`
    until: datetime | None = None
    token: str | None = None  # who claimed: makes every claim's cursor unique
    tasks: dict[str, str] = field(default_factory=dict)  # job key -> task URN of its close
    failed: int = 0  # keys LinkedIn refused for good (or that kept failing past the give-up time)
    error: str | None = None  # LinkedIn's last word on a failure
    failing_since: datetime | None = None  # start of the current run of failures for now

    def dump(self) -> str:
        return json.dumps(
            {
                "after": list(self.after) if self.after else None,
                "claim": list(self.claim),
                "until": self.until.isoformat() if self.until else None,
                "token": self.token,
                "tasks": self.tasks,
                "failed": self.failed,
                "error": self.error,
                "failing_since": self.failing_since.isoformat() if self.failing_since else None,
            },
            sort_keys=True,
        )

    @classmethod
    def load(cls, text: str | None) -> Walk:
        if not text:
            return cls()
        data: dict[str, Any] = json.loads(text)
        after = data.get("after")
        return cls(
            after=(str(after[0]), int(after[1])) if after else None,
            claim=tuple(int(i) for i in data.get("claim") or ()),
            until=_when(data.get("until")),
            token=data.get("token"),
            tasks={str(k): str(v) for k, v in (data.get("tasks") or {}).items()},
            failed=int(data.get("failed") or 0),
            error=data.get("error"),
            failing_since=_when(data.get("failing_since")),
        )


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@dataclass
class KindRow:
    """A progress row as this run knows it; kept in step with every swap it wins."""

    id: int
    kind: str
    cursor: str | None
    done: int
    total: int | None
    finished: bool

    @classmethod
    def of(cls, row: SetupProgress) -> KindRow:
        return cls(row.id, row.kind, row.cursor, row.done, row.total, row.finished)


@dataclass
class _Outcome:
    """What one page's sends did, per outbox row id."""

    deleted: int = 0
    tasks: dict[str, str] = field(default_factory=dict)
    refused: list[int] = field(default_factory=list)
    later: list[int] = field(default_factory=list)  # failed for now: due again at `retry_at`
    unsent: list[int] = field(default_factory=list)  # not tried (the budget ran out): due at once
    error: str | None = None
    retry_at: datetime | None = None


class Deleter:
    """One run's deletions for one tenant."""

    def __init__(
        self,
        ctx: AppContext,
        apps: TenantApps,
        resources: Registry,
        *,
        tenant_id: uuid.UUID,
        budget: Budget,
    ) -> None:
        self._ctx = ctx
        self._apps = apps
        self._resources = resources
        self._tenant_id = tenant_id
        self._budget = budget
        self._lease = timedelta(seconds=ctx.settings.outbox.lease_seconds)
        self._give_up = timedelta(hours=ctx.settings.outbox.give_up_hours)
        self._app: TenantApp | None = None

    async def senders_busy(self) -> bool:
        """Whether a dispatcher still holds some of the tenant's rows: they may land after we look."""
        now = await self._ctx.db_now()
        async with self._ctx.sessionmaker() as session:
            return await tenant_rows.live_leases(session, self._tenant_id, now=now) > 0

    async def kind(self, row: KindRow) -> Step:
        """Walk one kind until it is finished, must wait, or the budget is spent."""
        if row.kind == CALLBACK_KIND:
            return await self._callback(row)
        resource = self._resources[row.kind]
        closing = resource.name == JOBS.name
        while not row.finished:
            now = await self._ctx.db_now()
            walk = Walk.load(row.cursor)
            if walk.tasks:
                if self._budget.spent:
                    return Step.STOPPED
                if not await self._poll_tasks(row, walk, now):
                    return Step.WAITING
                continue
            if walk.claim and walk.until is not None and walk.until > now:
                return Step.WAITING
            if self._budget.spent:
                return Step.STOPPED
            async with self._ctx.sessionmaker() as session:
                if walk.claim:  # claimed by a worker that stopped, or due again after a failure
                    rows = await tenant_rows.held_rows(session, self._tenant_id, walk.claim)
                else:
                    rows = await tenant_rows.held_page(
                        session, self._tenant_id, row.kind, after=walk.after, limit=MAX_BATCH
                    )
            if not rows:
                # The end of the walk; or a claim whose rows are gone, after which the walk goes on.
                cleared = replace(walk, claim=(), until=None)
                if not await self._swap(row, cleared, now, finished=not walk.claim):
                    return Step.WAITING
                continue
            claimed = replace(
                walk,
                claim=tuple(r.id for r in rows),
                until=now + self._lease,
                token=uuid.uuid4().hex,
                after=walk.after if walk.claim else (rows[-1].path_parent or "", rows[-1].id),
            )
            if not await self._swap(row, claimed, now):
                return Step.WAITING  # another worker claimed this page first
            outcome = await self._send(resource.name, rows, closing=closing, now=now)
            await self._settle(row, claimed, outcome)
        return Step.FINISHED

    # ---- sending a page ----

    async def _send(
        self, resource: str, rows: Sequence[tenant_rows.HeldRow], *, closing: bool, now: datetime
    ) -> _Outcome:
        outcome = _Outcome()
        ids = {row.key: row.id for row in rows}
        groups: dict[str | None, list[tenant_rows.HeldRow]] = {}
        by_parent = self._resources.parent_in_url(resource)  # ACLs are filed under a job not in their URL
        for row in rows:
            groups.setdefault(row.path_parent if by_parent else None, []).append(row)
        send = self._resources.sender(resource)
        unsent = list(groups.items())
        while unsent:
            parent, members = unsent.pop(0)
            items: list[Item] = []
            for member in members:
                if not closing:
                    items.append((member.key, None))
                elif member.closed:  # its close, or a closed posting, has landed: nothing to do
                    outcome.deleted += 1
                elif member.payload is None:  # never built: there is no posting to re-send closed
                    outcome.refused.append(member.id)
                    outcome.error = f"{resource} {member.key}: no last-known posting to close"
                else:
                    items.append((member.key, {**member.payload, "state": "CLOSED"}))
            if not items:
                continue
            if self._budget.spent:
                outcome.unsent += [ids[key] for key, _ in items]
                continue
            try:
                tenant = await self._tenant_app()
                self._budget.spend()
                landed = frozenset(key for key, _ in items) if closing else frozenset()
                sent = await send(Target(tenant.app, tenant.integration_context, parent, landed), items)
            except (LinkedInError, ServiceError) as error:
                self._failed_whole(outcome, error, [ids[key] for key, _ in items], now)
                for _, rest in unsent:  # the requests after it would fail alike: they wait too
                    outcome.later += [row.id for row in rest]
                break
            self._count(outcome, sent, ids, closing=closing)
        return outcome

    def _count(self, outcome: _Outcome, sent: Sent, ids: dict[str, int], *, closing: bool) -> None:
        for key, task in sent.ok.items():
            if closing and task is not None:
                outcome.tasks[key] = task  # closed once its task ends
            else:
                outcome.deleted += 1
        for key, error in sent.errors.items():
            outcome.error = f"{key}: {error.status} {error.message}"
            if error.category is Category.REJECTED:
                outcome.refused.append(ids[key])
            else:
                outcome.later.append(ids[key])

    def _failed_whole(self, outcome: _Outcome, error: Exception, ids: list[int], now: datetime) -> None:
        outcome.error = _message(error)
        if isinstance(error, LinkedInError) and error.category is Category.REJECTED:
            outcome.refused += ids
            return
        outcome.later += ids
        if isinstance(error, LinkedInThrottled):
            wait = min(max(error.retry_after or 60.0, 1.0), 86_400.0)
            outcome.retry_at = now + timedelta(seconds=wait)
        elif isinstance(error, Forbidden | AuthFailed | ServiceError):
            outcome.retry_at = now + PAUSE
        else:
            outcome.retry_at = now + RETRY
        log.warning("deactivation.send_failed", error_type=type(error).__name__)

    async def _settle(self, row: KindRow, claimed: Walk, outcome: _Outcome) -> None:
        now = await self._ctx.db_now()
        later = tuple(outcome.later)
        failed = claimed.failed + len(outcome.refused)
        failing_since = (claimed.failing_since or now) if later else None
        error = outcome.error or claimed.error
        if later and failing_since is not None and now - failing_since > self._give_up:
            failed += len(later)
            error = f"gave up after {self._give_up} of failures: {error}"
            later, failing_since = (), None
        due = (outcome.retry_at or now + RETRY) if later else now
        settled = replace(
            claimed,
            claim=later + tuple(outcome.unsent),
            until=due if later or outcome.unsent else None,
            tasks={**claimed.tasks, **outcome.tasks},
            failed=failed,
            error=error,
            failing_since=failing_since,
        )
        await self._swap(row, settled, now, deleted=outcome.deleted)

    # ---- jobs: a close is done when its task ends ----

    async def _poll_tasks(self, row: KindRow, walk: Walk, now: datetime) -> bool:
        """Ask after the closes' tasks; True when none is left to wait for. Tasks still running past the
        give-up time count as failed."""
        waiting = dict(walk.tasks)
        closed = refused = 0
        error = walk.error
        try:
            tenant = await self._tenant_app()
            keys = list(waiting)
            for start in range(0, len(keys), MAX_BATCH):
                chunk = keys[start : start + MAX_BATCH]
                self._budget.spend()
                result = await tenant.app.get_job_tasks([waiting[key] for key in chunk])
                for key in chunk:
                    task_id = waiting[key]
                    task = result.ok.get(task_id)
                    status = task.status.upper() if task is not None else None
                    if task is not None and (
                        status == "SUCCEEDED" or (status == "PROCESSED" and not task.reason)
                    ):
                        closed += 1
                    elif task is not None and status in ("FAILED", "PROCESSED"):
                        refused += 1
                        error = f"{key}: the close's task {status.lower()}: {task.reason or 'no reason'}"
                    elif task is None and task_id in result.errors:
                        refused += 1
                        error = f"{key}: the close's task is unknown to LinkedIn (expired)"
                    else:
                        continue
                    del waiting[key]
        except (LinkedInError, ServiceError) as failed:
            error = _message(failed)
        since = (walk.failing_since or now) if waiting else None
        if waiting and since is not None and now - since > self._give_up:
            refused += len(waiting)
            error = f"gave up after {self._give_up} waiting for the closes' tasks: {error}"
            waiting, since = {}, None
        polled = replace(walk, tasks=waiting, failed=walk.failed + refused, error=error, failing_since=since)
        if (polled != walk or closed) and not await self._swap(row, polled, now, deleted=closed):
            return False
        return not waiting

    # ---- the callback URL ----

    async def _callback(self, row: KindRow) -> Step:
        """Remove the CALLBACK_URL written at onboarding (one request; LinkedIn's 404 means it is gone)."""
        now = await self._ctx.db_now()
        walk = Walk.load(row.cursor)
        if walk.until is not None and walk.until > now:
            return Step.WAITING
        if self._budget.spent:
            return Step.STOPPED
        outcome = _Outcome()
        try:
            tenant = await self._tenant_app()
            self._budget.spend()
            key = li.IntegrationKey(
                integration_context=tenant.integration_context,
                integration_type=IntegrationType.ONE_CLICK_EXPORT,
            )
            result = await tenant.app.delete_configurations(key, [li.ConfigurationName.CALLBACK_URL])
        except (LinkedInError, ServiceError) as failure:
            self._failed_whole(outcome, failure, [0], now)
        else:
            for problem in result.errors.values():
                if problem.status == 404:  # already gone: what a delete wanted
                    continue
                outcome.error = f"{problem.status} {problem.message}"
                if problem.category is Category.REJECTED:
                    outcome.refused.append(0)
                else:
                    outcome.later.append(0)
                    outcome.retry_at = now + RETRY
            if not outcome.refused and not outcome.later:
                outcome.deleted = 1
        since = (walk.failing_since or now) if outcome.later else None
        if outcome.later and since is not None and now - since > self._give_up:
            outcome.refused, outcome.later = [0], []
        if outcome.later:
            waiting = replace(walk, until=outcome.retry_at, error=outcome.error, failing_since=since)
            await self._swap(row, waiting, now)
            return Step.WAITING
        error = outcome.error or walk.error
        done = replace(walk, until=None, failed=len(outcome.refused), error=error, failing_since=None)
        await self._swap(row, done, now, deleted=outcome.deleted, finished=True)
        return Step.FINISHED

    # ---- shared ----

    async def _tenant_app(self) -> TenantApp:
        if self._app is None:
            self._app = await self._apps.for_tenant(self._tenant_id)
        return self._app

    async def _swap(
        self, row: KindRow, walk: Walk, now: datetime, *, deleted: int = 0, finished: bool = False
    ) -> bool:
        cursor = walk.dump()
        done = row.done + deleted
        owed = done + walk.failed + len(walk.claim) + len(walk.tasks)
        # The count taken at deactivation grows if more turn up; once finished it is exact.
        total = done + walk.failed if finished else max(row.total or 0, owed)
        async with self._ctx.sessionmaker.begin() as session:
            won = await repository.swap_progress(
                session,
                row.id,
                old_cursor=row.cursor,
                cursor=cursor,
                done=done,
                total=total,
                finished=finished,
                now=now,
            )
        if won:
            row.cursor, row.done, row.total, row.finished = cursor, done, total, finished
        else:
            log.info("deactivation.cursor_moved", kind=row.kind)
        return won


def _message(error: Exception) -> str:
    found = getattr(error, "message", None) or getattr(error, "detail", None)
    return str(found or f"{type(error).__name__}: {error}")[:500]


def progress_of(walk_text: str | None) -> tuple[int, str | None]:
    """(failed, last error) of a kind, for the progress answer."""
    walk = Walk.load(walk_text)
    return walk.failed, walk.error
