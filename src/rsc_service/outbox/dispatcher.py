"""Drain the outbox: claim due rows with a lease, send parents before children in batches, settle per key.

One claim transaction, then every send with no transaction open, then one settle transaction per batch
guarded by the lease token (a stale worker's settle touches nothing). The resources it sends, and how, come
from the push's declarations (`Routes`); it knows nothing of what the records mean
(docs/architecture.md#4-the-outbox).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rsc_service.crypto import SecretsUnavailable
from rsc_service.errors import ServiceError
from rsc_service.integrations.linkedin.errors import (
    AuthFailed,
    Category,
    EntityError,
    Forbidden,
    LinkedInError,
    Rejected,
    Throttled,
    clamp_retry_after,
)
from rsc_service.outbox import policy, repository, settling
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State
from rsc_service.outbox.sending import Item, Routes, Sent, Target
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.apps import TenantApp

log = structlog.get_logger()


@dataclass(frozen=True)
class DispatchSettings:
    claim_limit: int = 2000
    per_tenant: int = 1000
    batch_size: int = policy.MAX_BATCH
    lease: timedelta = timedelta(seconds=120)
    concurrency: int = 8
    dependency_wait: timedelta = timedelta(seconds=1)
    task_poll: timedelta = timedelta(seconds=2)
    forbidden_pause: timedelta = timedelta(minutes=5)
    backoff: policy.Backoff = field(default_factory=policy.Backoff)


@dataclass
class Counts:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    waiting: int = 0
    batches: int = 0

    def add(self, other: Counts) -> None:
        for name in ("claimed", "sent", "retried", "dead", "waiting", "batches"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class _Pass:
    """One drain pass's `now` and its held tenants, each read once for the whole pass."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._paused: set[uuid.UUID] | None = None

    async def paused(self, session: AsyncSession) -> set[uuid.UUID]:
        if self._paused is None:
            self._paused = await tenant_service.paused_ids(session, now=self.now)
        return self._paused


class Dispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        routes: Routes,
        app_for: Callable[[uuid.UUID], Awaitable[TenantApp]],
        now: Callable[[], Awaitable[datetime]],
        settings: DispatchSettings | None = None,
        rng: random.Random | None = None,
        on_batch: Callable[[str, Counts], None] | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._routes = routes
        self._app_for = app_for
        self._now = now
        self.settings = settings or DispatchSettings()
        self._rng = rng or random.Random()  # noqa: S311 - jitter
        self._on_batch = on_batch
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        self._held: set[uuid.UUID] = set()  # lease tokens of the claims under way
        self._quiet_tasks_until: datetime | None = None  # no job task is due before then

    async def drain_once(self) -> Counts:
        """One claim and everything it sends. Returns what happened; zero claimed means nothing was due."""
        counts = Counts()
        held = _Pass(await self._now())
        counts.add(await self._holding(lambda token: self._poll_tasks(token, held)))
        counts.add(await self._holding(lambda token: self._send_due(token, held)))
        return counts

    async def release_held(self) -> int:
        """Give back the rows this dispatcher holds under a lease (at shutdown), so another replica takes
        them at once instead of waiting for the lease to run out. Returns how many were released."""
        if not self._held:
            return 0
        now = await self._now()
        async with self._sessionmaker.begin() as session:
            released = await repository.release_leases(session, tokens=sorted(self._held), now=now)
        self._held.clear()
        return released

    async def _holding(self, work: Callable[[uuid.UUID], Awaitable[Counts]]) -> Counts:
        token = uuid.uuid4()
        self._held.add(token)
        try:
            counts = await work(token)
        except Exception as error:
            self._held.discard(token)
            await self._give_back(token, error)
            raise
        # Cancelled (shutdown): the token stays held, for release_held() to give its rows back.
        self._held.discard(token)
        return counts

    async def _give_back(self, token: uuid.UUID, error: Exception) -> None:
        """A pass that failed unexpectedly (a bug, the database gone mid-pass) gives back the rows it still
        holds: pending again, due now, the attempt not counted, rather than in flight until the lease runs
        out. Rows it settled before it failed stay settled."""
        try:
            now = await self._now()
            async with self._sessionmaker.begin() as session:
                released = await repository.release_leases(session, tokens=[token], now=now)
        except Exception as failure:  # the database is gone too: the rows wait for their lease to end
            log.warning(
                "outbox.release_failed", error_type=type(error).__name__, release_error=type(failure).__name__
            )
            return
        log.warning("outbox.pass_failed", error_type=type(error).__name__, released=released)

    async def _send_due(self, token: uuid.UUID, held: _Pass) -> Counts:
        counts = Counts()
        claimed, waiting, dead = await self._claim(token, held)
        counts.claimed, counts.waiting, counts.dead = len(claimed), waiting, dead
        landed: set[tuple[object, str]] = set()
        in_claim = {(row.tenant_id, policy.ref(row.resource, row.key)) for row in claimed}
        by_tier: dict[int, list[OutboxMessage]] = defaultdict(list)
        for row in claimed:
            by_tier[policy.tier(row, self._routes.tier)].append(row)
        for tier in sorted(by_tier):
            ready: list[OutboxMessage] = []
            blocked: list[OutboxMessage] = []
            for row in by_tier[tier]:
                pending_deps = [d for d in row.depends_on if (row.tenant_id, d) in in_claim]
                (ready if all((row.tenant_id, d) in landed for d in pending_deps) else blocked).append(row)
            if blocked:
                counts.waiting += await self._release(
                    blocked, token, f"{settling.WAITING}a record it depends on"
                )
            batches = policy.batches(
                ready, size=self.settings.batch_size, parent_in_url=self._routes.parent_in_url
            )
            # Every batch of the tier settles before a failure of one is raised (its rows are given back).
            results = await asyncio.gather(
                *(self._send(batch, token) for batch in batches), return_exceptions=True
            )
            failures = [result for result in results if isinstance(result, BaseException)]
            for result in results:
                if not isinstance(result, BaseException):
                    counts.add(result[0])
                    landed |= result[1]
            if failures:
                raise failures[0]
        return counts

    async def _claim(self, token: uuid.UUID, held: _Pass) -> tuple[list[OutboxMessage], int, int]:
        """Rows leased to `token`, parents with their children: (rows, rows left waiting, dead letters)."""
        now = await self._now()  # fresh: checking tasks before may have taken a while
        async with self._sessionmaker.begin() as session:
            paused = await held.paused(session)
            due = await repository.claim_candidates(
                session,
                now=now,
                limit=self.settings.claim_limit,
                per_tenant=self.settings.per_tenant,
                skip_tenants=paused,
            )
            unknown = [row for row in due if not self._routes.knows(row.resource)]
            due = [row for row in due if self._routes.knows(row.resource)]
            for row in unknown:  # nothing here could send it: a dead letter to replay after an upgrade
                settling.unknown_resource(row, now=now)
            refs = [tuple(d.split(":", 1)) for row in due for d in row.depends_on]
            known = await repository.find_refs(
                session,
                tenant_ids=list({row.tenant_id for row in due}),
                refs=[(r[0], r[1]) for r in refs if len(r) == 2],
            )
            landed = self._landed(known)
            in_claim = policy.sendable(due, landed)
            ready, waiting = [], 0
            dead_letters = list(unknown)
            for row in due:
                if (row.tenant_id, policy.ref(row.resource, row.key)) in in_claim:
                    settling.wait_over(row)
                    ready.append(row)
                    continue
                dead = policy.dead_dependency(row, known)
                if dead is not None:  # it would wait forever: a dead letter naming what it waits for
                    settling.blocked(row, now=now, by=dead)
                else:  # saying what it waits for; one never received gives up in time (docs §11)
                    on, received = policy.awaited(row, known, landed)
                    settling.waiting(
                        row,
                        now=now,
                        on=on,
                        received=received,
                        until=now + self.settings.dependency_wait,
                        backoff=self.settings.backoff,
                    )
                if row.state is State.DEAD:
                    dead_letters.append(row)
                else:
                    waiting += 1
            arrived = [row for row in ready if row.sent_revision is None and row.op is not Op.DELETE]
            await repository.mark_claimed(session, ready, token=token, leased_until=now + self.settings.lease)
            # A record sent for the first time has arrived at last: rows that gave up waiting for it go too.
            await repository.release_awaited(session, rows=arrived, now=now)
        for resource in sorted({row.resource for row in unknown}):
            rows = sum(row.resource == resource for row in unknown)
            log.warning("outbox.unknown_resource", resource=resource, rows=rows)
        for resource in sorted({row.resource for row in dead_letters}):
            self._report(resource, Counts(dead=sum(row.resource == resource for row in dead_letters)))
        return ready, waiting, len(dead_letters)

    @staticmethod
    def _landed(
        known: Mapping[tuple[uuid.UUID, str, str], OutboxMessage],
    ) -> Callable[[OutboxMessage, str], bool]:
        def landed(row: OutboxMessage, dependency: str) -> bool:
            resource, _, key = dependency.partition(":")
            return policy.satisfied(row, known.get((row.tenant_id, resource, key)))

        return landed

    async def _send(
        self, batch: list[OutboxMessage], token: uuid.UUID
    ) -> tuple[Counts, set[tuple[object, str]]]:
        async with self._slots:
            # A record with nothing built to send (refused as built, or its parents never arrived) is never
            # sent: a None payload would read as a delete.
            empty = {row.key for row in batch if row.op is not Op.DELETE and row.payload is None}
            refused = {
                row.key: EntityError(
                    status=422,
                    category=Category.REJECTED,
                    message=row.refused
                    or row.last_error
                    or "nothing was built to send: its parent records never arrived",
                )
                for row in batch
                if row.key in empty
            }
            sent = Sent()
            try:
                if len(empty) < len(batch):
                    tenant = await self._app_for(batch[0].tenant_id)
                    batch = await self._renew(batch, empty, token)
                    if not batch:
                        return Counts(), set()
                    sending = [row for row in batch if row.key not in empty]
                    if sending:
                        items = [(row.key, None if row.op is Op.DELETE else row.payload) for row in sending]
                        sent = await self._send_items(tenant, sending, items)
            except Exception as error:
                return await self._settle_failure(batch, token, error), set()
            sent.errors.update(refused)
            return await self._settle(batch, token, sent)

    async def _renew(
        self, batch: list[OutboxMessage], empty: set[str], token: uuid.UUID
    ) -> list[OutboxMessage]:
        """The batch's rows to send, their lease re-checked and renewed as the batch goes to its sender (one
        statement): a row whose lease ran out while the batch waited for its turn and that another worker took
        over is left out (docs/architecture.md#4-the-outbox). The renewed lease outlasts the sender's wait for
        LinkedIn's budget (at most a quarter of the lease, docs/architecture.md#10-throttle) and then the
        request (the settings keep the lease at least twice LinkedIn's timeout). Rows with nothing to send are
        kept as they are: their settle is guarded by the lease.

        A batch going out with three quarters of its lease still ahead (the usual case: sent at once after its
        claim) needs no renewal: no other worker may take its rows before the lease ends, and what is left
        covers that wait and the request. The hot path writes nothing more; only a batch that waited renews.
        """
        now = await self._now()
        ahead = self.settings.lease * 3 / 4
        if all(row.leased_until is not None and row.leased_until - now >= ahead for row in batch):
            return batch
        async with self._sessionmaker.begin() as session:
            renewed = await repository.renew_lease(
                session,
                [row for row in batch if row.key not in empty],
                token=token,
                leased_until=now + self.settings.lease,
            )
        kept = {row.id for row in renewed}
        lost = sum(row.key not in empty and row.id not in kept for row in batch)
        if lost:
            log.warning("outbox.lease_lost", resource=batch[0].resource, rows=lost)
        return [row for row in batch if row.key in empty or row.id in kept]

    async def _send_items(self, tenant: TenantApp, batch: list[OutboxMessage], items: Sequence[Item]) -> Sent:
        first = batch[0]
        landed = frozenset(row.key for row in batch if row.landed_at is not None)
        held = {row.key: row.held for row in batch if row.held is not None}
        target = Target(tenant.app, tenant.integration_context, first.path_parent, landed, held)
        return await self._routes.sender(first.resource)(target, items)

    async def _settle(
        self, batch: list[OutboxMessage], token: uuid.UUID, sent: Sent
    ) -> tuple[Counts, set[tuple[object, str]]]:
        ok, errors = sent.ok, sent.errors
        now = await self._now()
        counts = Counts(batches=1)
        landed: set[tuple[object, str]] = set()
        deleted = batch[0].op is Op.DELETE  # a batch is all deletions or all writes (policy.batches)
        if all(
            ok.get(row.key, "") is None for row in batch
        ):  # the usual case: all landed, no task to wait for
            async with self._sessionmaker.begin() as session:
                counts.sent = await repository.settle_landed(
                    session, ids=[row.id for row in batch], token=token, now=now, deleted=deleted
                )
            self._report(batch[0].resource, counts)  # the rows it settled, taken over or not
            if counts.sent < len(batch):
                log.warning("outbox.stale_settle", resource=batch[0].resource, rows=len(batch) - counts.sent)
                # Some were taken over: which ones landed for us is unknown, so none count as landed.
                return counts, landed
            return counts, {(row.tenant_id, policy.ref(row.resource, row.key)) for row in batch}
        async with self._sessionmaker.begin() as session:
            for row in await self._still_ours(session, batch, token):
                if row.key in ok:
                    settling.landed(
                        row,
                        now=now,
                        task_id=ok[row.key],
                        task_poll=self.settings.task_poll,
                        holding=sent.holding.get(row.key),
                        deleted=deleted,
                    )
                    counts.sent += 1
                    counts.dead += row.state is State.DEAD  # its newer revision was refused as built
                    landed.add((row.tenant_id, policy.ref(row.resource, row.key)))
                    continue
                error = errors.get(row.key)
                message = error.message if error else "LinkedIn returned no result for this key"
                if error is not None and error.category is Category.REJECTED:
                    settling.rejected(row, now=now, message=f"{error.status} {message}")
                else:
                    settling.retry(
                        row, now=now, message=message, backoff=self.settings.backoff, rng=self._rng
                    )
                counts.dead += row.state is State.DEAD
                counts.retried += row.state is not State.DEAD
        self._report(batch[0].resource, counts)
        return counts, landed

    async def _settle_failure(self, batch: list[OutboxMessage], token: uuid.UUID, error: Exception) -> Counts:
        now = await self._now()
        counts = Counts(batches=1)
        message = (
            getattr(error, "message", None)
            or getattr(error, "detail", None)
            or f"{type(error).__name__}: {error}"
        )
        if isinstance(error, SecretsUnavailable):  # its text names the column, never the secret
            message = f"a stored secret cannot be read with RSC_SECURITY__ENCRYPTION_KEYS: {error}"
        # Refused by LinkedIn as a whole, or our own configuration stands in the way (LinkedIn not
        # configured, secrets unreadable): pause the tenant with the reason and spend no attempts
        # (docs/architecture.md#1-tenants).
        own = isinstance(error, ServiceError | SecretsUnavailable)
        pausing = own or isinstance(error, Forbidden | AuthFailed)
        if own:
            log.warning("outbox.tenant_paused", tenant_id=str(batch[0].tenant_id), reason=message)
        async with self._sessionmaker.begin() as session:
            if pausing:
                await tenant_service.pause_sending(
                    session,
                    tenant_id=batch[0].tenant_id,
                    until=now + self.settings.forbidden_pause,
                    reason=f"the service cannot send for this tenant: {message}"
                    if own
                    else f"LinkedIn refused the integration ({getattr(error, 'status', '')}): {message}",
                )
            for row in await self._still_ours(session, batch, token):
                if isinstance(error, Rejected):
                    settling.rejected(row, now=now, message=f"{error.status} {message}")
                elif pausing or isinstance(error, Throttled):
                    settling.retry(
                        row, now=now, message=message, backoff=self.settings.backoff, rng=self._rng,
                        count_attempt=False, at=self._resume_at(error, now),
                    )  # fmt: skip
                else:
                    if not isinstance(error, LinkedInError):
                        log.warning(
                            "outbox.send_failed", resource=row.resource, error_type=type(error).__name__
                        )
                    settling.retry(
                        row, now=now, message=message, backoff=self.settings.backoff, rng=self._rng
                    )
                counts.dead += row.state is State.DEAD
                counts.retried += row.state is not State.DEAD
        self._report(batch[0].resource, counts)
        return counts

    def _resume_at(self, error: Exception, now: datetime) -> datetime | None:
        if isinstance(error, Throttled):
            if error.retry_after is None:
                return None
            # LinkedIn's Retry-After is honoured within 1 s .. 24 h: a huge value must not park rows for
            # decades, nor overflow the date; 0, a negative value or a past date waits a second
            # (docs/architecture.md#10-throttle).
            return now + timedelta(seconds=clamp_retry_after(error.retry_after))
        return now + self.settings.forbidden_pause

    async def _release(self, rows: Sequence[OutboxMessage], token: uuid.UUID, message: str) -> int:
        now = await self._now()
        async with self._sessionmaker.begin() as session:
            for row in await self._still_ours(session, rows, token):
                settling.retry(
                    row, now=now, message=message, backoff=self.settings.backoff, rng=self._rng,
                    count_attempt=False, at=now + self.settings.dependency_wait,
                )  # fmt: skip
        return len(rows)

    async def _poll_tasks(self, token: uuid.UUID, held: _Pass) -> Counts:
        """Jobs wait on LinkedIn's tasks: each final state ends the row (settling.task_answered). After a look
        that found none due, the next waits `task_poll`: a task is never due sooner, and the drain spares
        a transaction on every pass."""
        counts = Counts()
        now = held.now
        if self._quiet_tasks_until is not None and now < self._quiet_tasks_until:
            return counts
        async with self._sessionmaker.begin() as session:
            rows = await repository.claim_candidates(
                session,
                now=now,
                limit=self.settings.claim_limit,
                per_tenant=self.settings.per_tenant,
                states=(State.AWAITING_TASK,),
                skip_tenants=await held.paused(session),
            )
            rows = [*rows, *await self._riders(session, rows, now)]
            await repository.mark_claimed(session, rows, token=token, leased_until=now + self.settings.lease)
        self._quiet_tasks_until = None if rows else now + self.settings.task_poll
        by_tenant: dict[uuid.UUID, list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            by_tenant[row.tenant_id].append(row)
        for tenant_id, tenant_rows in by_tenant.items():
            for start in range(0, len(tenant_rows), self.settings.batch_size):
                chunk = tenant_rows[start : start + self.settings.batch_size]
                counts.add(await self._check_tasks(tenant_id, chunk, token))
        return counts

    async def _riders(
        self, session: AsyncSession, due: Sequence[OutboxMessage], now: datetime
    ) -> list[OutboxMessage]:
        """Each tenant's reads are filled with its tasks not due yet: a read costs the same however many
        tasks it names, and the next look at each follows from its age again (docs/architecture.md#6-jobs)."""
        riders: list[OutboxMessage] = []
        size = self.settings.batch_size
        for tenant_id in sorted({row.tenant_id for row in due}):
            count = sum(row.tenant_id == tenant_id for row in due)
            room = -count % size
            if room:
                riders += await repository.task_riders(session, tenant_id=tenant_id, now=now, limit=room)
        return riders

    async def _check_tasks(self, tenant_id: uuid.UUID, rows: list[OutboxMessage], token: uuid.UUID) -> Counts:
        counts = Counts()
        try:
            tenant = await self._app_for(tenant_id)
            result = await tenant.app.get_job_tasks([row.task_ids[0] for row in rows if row.task_ids])
        except Exception as error:
            return await self._settle_failure(rows, token, error)
        now = await self._now()
        by_resource: dict[str, Counts] = defaultdict(Counts)
        async with self._sessionmaker.begin() as session:
            for row in await self._still_ours(session, rows, token):
                task_id = row.task_ids[0] if row.task_ids else None
                task = result.ok.get(task_id) if task_id else None
                gone = (
                    task_id is not None and task_id in result.errors and result.errors[task_id].status == 404
                )
                outcome = settling.task_answered(
                    row,
                    status=None if gone else (task.status if task else ""),
                    reason=task.reason if task else None,
                    now=now,
                    poll=policy.task_poll_after(
                        now - (row.task_started_at or now), base=self.settings.task_poll
                    ),
                )
                # A job whose newer revision was refused as built is a dead letter once its task answers.
                settled = Counts(sent=int(outcome == "landed"), dead=int(row.state is State.DEAD))
                counts.add(settled)
                by_resource[row.resource].add(settled)
        for resource, settled in sorted(by_resource.items()):
            self._report(resource, settled)
        return counts

    async def _still_ours(
        self, session: AsyncSession, rows: Sequence[OutboxMessage], token: uuid.UUID
    ) -> Sequence[OutboxMessage]:
        """The claimed rows our lease still holds, locked; the others belong to whoever took them over."""
        locked = await repository.lock_claimed(session, ids=[r.id for r in rows], token=token)
        if len(locked) < len(rows):
            log.warning("outbox.stale_settle", resource=rows[0].resource, rows=len(rows) - len(locked))
        return locked

    def _report(self, resource: str, counts: Counts) -> None:
        if self._on_batch is not None:
            self._on_batch(resource, counts)
