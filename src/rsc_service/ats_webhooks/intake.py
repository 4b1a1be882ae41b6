"""Intake: what the webhook route keeps between requests — tenants' signing keys and the group-commit writer.

SigningKeys holds, per tenant key, the tenant's id, stage and decrypted webhook secrets for a few seconds
(`ats.tenant_cache_seconds`), so a webhook costs no database read before its write; past that time the copy
is re-read beside the requests (one read, however many arrive) and serves until the new one is in. A
signature that fails against the kept secrets is checked once more against fresh ones (a rotation made by
another replica or the CLI is seen at once); a deactivation or deletion elsewhere is seen within about the
cache time, and at once in the replica that made it.

GroupWriter commits concurrent webhooks together (docs/architecture.md#14-ingest): a request hands its
verified event over and waits; one writer task takes everything waiting, applies it in one transaction and
answers each request after that commit (on PostgreSQL up to `ats.ingest_writers` such commits run at once).
While one commit runs the next batch gathers; a batch about to start waits only for requests already being
verified, and at most `ats.ingest_gather_ms`. A batch that fails is retried (a concurrent insert of the same
key on PostgreSQL), then split into single deliveries so one bad event fails only its own request.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from rsc_service import crypto
from rsc_service.ats_webhooks import service
from rsc_service.ats_webhooks.service import Delivery
from rsc_service.context import AppContext
from rsc_service.errors import NotFound, ServiceUnavailable, database_unreachable, sqlstate
from rsc_service.push.registry import RESOURCES, Registry
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage
from rsc_service.web import metrics

log = structlog.get_logger()

_MAX_TENANTS = 10_000  # tenant keys remembered, unknown ones included
_RECHECK_SECONDS = 1.0  # fresh secrets are read at most this often per tenant after a failed signature
_USABLE_FOR = 3  # a kept copy older than the cache time serves (while it is re-read) up to this many times it
_ATTEMPTS = 3
# A commit starts beside one already running only for at least this many webhooks: each costs eight round
# trips whatever its size, so a few webhooks are better off waiting for the running one to finish.
_BESIDE_AT_LEAST = 16


@dataclass(frozen=True)
class SigningTenant:
    """A tenant as the webhook route needs it; also what the push needs (push.service.TenantRef)."""

    id: uuid.UUID
    key: str
    stage: Stage
    linkedin_organization_urn: str | None
    job_availability: str | None
    secrets: tuple[tuple[str, datetime | None], ...]  # (secret, stops verifying at), newest first

    def secrets_at(self, now: datetime) -> list[str]:
        return [secret for secret, expires in self.secrets if expires is None or expires > now]


@dataclass
class _Kept:
    tenant: SigningTenant | None  # None: no tenant has this key
    read_at: float


class SigningKeys:
    def __init__(
        self,
        ctx: AppContext,
        *,
        gate: asyncio.Lock | None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ctx = ctx
        self._gate = gate
        self._monotonic = monotonic
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._wanted: dict[str, asyncio.Future[SigningTenant | None]] = {}  # keys the next read answers
        self._reader: asyncio.Task[None] | None = None
        self._rechecked: dict[str, tuple[float, asyncio.Future[SigningTenant | None]]] = {}

    async def get(self, key: str) -> SigningTenant | None:
        kept = self._kept.get(key)
        if kept is not None:
            age = self._monotonic() - kept.read_at
            fresh_for = self._ctx.settings.ats.tenant_cache_seconds
            if age < fresh_for:
                return kept.tenant
            if age < _USABLE_FOR * fresh_for:
                # Still usable while a fresh copy is read beside the request, so requests never queue for it.
                self._want(key)
                return kept.tenant
        return await asyncio.shield(self._want(key))

    async def recheck(self, key: str) -> SigningTenant | None:
        """Fresh secrets after a failed signature. The rechecks of a key within a second share one read, under
        way or done: a flood of forged signatures costs one read a second, and webhooks arriving together
        after a rotation made elsewhere all verify against the secrets that read found."""
        now = self._monotonic()
        last = self._rechecked.get(key)
        if last is not None and now - last[0] < _RECHECK_SECONDS:
            return await asyncio.shield(last[1])
        if len(self._rechecked) >= _MAX_TENANTS:
            self._rechecked.clear()
        read = self._want(key)
        self._rechecked[key] = (now, read)
        return await asyncio.shield(read)

    def forget(self, key: str) -> None:
        self._kept.pop(key, None)

    def _want(self, key: str) -> asyncio.Future[SigningTenant | None]:
        """The answer for `key` from the next read. Keys asked for while a read runs are read together in
        the one after it, so a flood of unknown keys costs a few statements, not one each."""
        wanted = self._wanted.get(key)
        if wanted is None:
            wanted = self._wanted[key] = asyncio.get_running_loop().create_future()
            wanted.add_done_callback(_seen)  # a read beside the request may fail with nobody waiting
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_all(), name="webhook-signing-keys")
        return wanted

    async def _read_all(self) -> None:
        while self._wanted:
            batch, self._wanted = self._wanted, {}
            found = await self._read_apart(sorted(batch))
            for key, waiting in batch.items():
                if waiting.done():
                    continue
                answer = found.get(key)
                if isinstance(answer, BaseException):
                    waiting.set_exception(answer)
                else:
                    waiting.set_result(answer)

    async def _read_apart(self, keys: list[str]) -> dict[str, SigningTenant | BaseException]:
        """The keys read together; if the database refused that read, each key read alone, so a key (or a
        row) the read trips on fails only its own requests, never those of the others it was read with. An
        unreachable database fails them all at once (each would wait for it in turn)."""
        try:
            return await self._read(keys)
        except Exception as error:
            log.warning("ats_webhooks.signing_keys_unreadable", keys=len(keys), error=type(error).__name__)
            found: dict[str, SigningTenant | BaseException] = dict.fromkeys(keys, error)
            if len(keys) == 1 or database_unreachable(error):
                return found
        for key in keys:
            try:
                found.update(await self._read([key]))
            except Exception as error:
                found[key] = error
        return found

    async def _read(self, keys: list[str]) -> dict[str, SigningTenant | BaseException]:
        read_at = self._monotonic()
        found: dict[str, SigningTenant | BaseException] = {}
        async with self._gate or contextlib.nullcontext(), self._ctx.sessionmaker() as session:
            tenants = await tenant_service.find_by_keys(session, keys)
            for tenant in tenants:
                try:
                    secrets = await tenant_service.signing_keys(
                        session, tenant, cipher=self._ctx.cipher, now=self._ctx.clock()
                    )
                except crypto.SecretsUnavailable as error:
                    # This replica lacks the key that sealed them (docs/architecture.md#15-secrets): only this
                    # tenant's webhooks wait, 503, as for any of the service's own configuration faults.
                    log.error(
                        "ats_webhooks.webhook_secret_unreadable", tenant_key=tenant.key, reason=str(error)
                    )
                    found[tenant.key] = ServiceUnavailable("the tenant's webhook secret cannot be read")
                    continue
                found[tenant.key] = SigningTenant(
                    id=tenant.id,
                    key=tenant.key,
                    stage=tenant.stage,
                    linkedin_organization_urn=tenant.linkedin_organization_urn,
                    job_availability=tenant.job_availability,
                    secrets=tuple(secrets),
                )
        for key in keys:  # an unknown key is kept too: asked again within the cache time, it costs nothing
            answer = found.get(key)
            if isinstance(answer, BaseException):
                self._kept.pop(key, None)  # read again on its next request
                continue
            self._kept[key] = _Kept(answer, read_at)
            self._kept.move_to_end(key)
        while len(self._kept) > _MAX_TENANTS:
            self._kept.popitem(last=False)
        return found


@dataclass
class _Waiting:
    delivery: Delivery
    answer: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def _seen(future: asyncio.Future[SigningTenant | None]) -> None:
    if not future.cancelled():
        future.exception()


class GroupWriter:
    def __init__(
        self,
        ctx: AppContext,
        *,
        gate: asyncio.Lock | None,
        resources: Registry,
        writers: int = 1,
    ) -> None:
        self._ctx = ctx
        self._resources = resources
        self._gate = gate
        self._queue: list[_Waiting] = []
        self._task: asyncio.Task[None] | None = None
        self._writers = asyncio.Semaphore(writers)  # commits in flight at once
        self._writing: set[asyncio.Task[None]] = set()
        self._arriving = 0  # requests being read and verified, about to be written
        self._arrived = asyncio.Event()
        self._moved = asyncio.Event()  # a delivery queued or a commit finished

    @contextlib.contextmanager
    def arriving(self) -> Iterator[None]:
        """Around a request's reading and verification: a batch about to start waits briefly for it."""
        self._arriving += 1
        try:
            yield
        finally:
            self._arriving -= 1
            if self._arriving == 0:
                self._arrived.set()

    async def _gather(self) -> None:
        """Let requests already being verified join the next batch, for at most `ingest_gather_ms`."""
        limit = self._ctx.settings.ats.ingest_gather_ms / 1000
        if not self._arriving or not limit or len(self._queue) >= self._ctx.settings.ats.ingest_batch:
            return
        self._arrived.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._arrived.wait(), timeout=limit)

    async def _beside(self) -> None:
        """While another commit runs, start one beside it only for a batch worth it; else wait for it."""
        while self._writing and len(self._queue) < _BESIDE_AT_LEAST:
            self._moved.clear()
            await self._moved.wait()

    async def write(self, delivery: Delivery) -> bool:
        """True when the delivery was new, False for a duplicate; returns once its rows are committed."""
        waiting = _Waiting(delivery)
        self._queue.append(waiting)
        self._moved.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="ats-webhook-writer")
        # Shielded: a request that goes away does not take its delivery out of a batch being committed.
        return await asyncio.shield(waiting.answer)

    async def _run(self) -> None:
        while self._queue:
            # Where the database has several connections, the next batch commits beside this one; the
            # version guard and row locks keep them correct as they do for several replicas. The batch is
            # taken once a commit may start, so it holds everything that arrived while the others ran.
            await self._writers.acquire()
            await self._beside()
            await self._gather()
            batch = self._queue[: self._ctx.settings.ats.ingest_batch]
            del self._queue[: len(batch)]
            metrics.INGEST_BATCH.observe(len(batch))
            writing = asyncio.create_task(self._write(batch), name="ats-webhook-commit")
            self._writing.add(writing)
            writing.add_done_callback(self._written)

    def _written(self, task: asyncio.Task[None]) -> None:
        self._writing.discard(task)
        self._writers.release()
        self._moved.set()

    async def _write(self, batch: list[_Waiting]) -> None:
        try:
            answers: Sequence[bool | BaseException] = await self._commit([w.delivery for w in batch])
            # Until PostgreSQL has statistics for the tables a batch reads, they are analyzed beside the
            # writes once they hold rows (db/statistics.py).
            self._ctx.planner_statistics.wrote(len(batch))
        except Exception as error:
            if len(batch) == 1 or database_unreachable(error):
                # Alone, each would wait for an unreachable database in turn: all are answered at once (503).
                answers = [error] * len(batch)
            else:
                log.warning("ats_webhooks.batch_split", size=len(batch), error=type(error).__name__)
                answers = [await self._alone(w.delivery) for w in batch]
        for waiting, answer in zip(batch, answers, strict=True):
            if waiting.answer.done():
                continue
            if isinstance(answer, BaseException):
                waiting.answer.set_exception(answer)
            else:
                waiting.answer.set_result(answer)

    async def _alone(self, delivery: Delivery) -> bool | BaseException:
        try:
            return (await self._commit([delivery]))[0]
        except Exception as error:
            return error

    async def _commit(self, deliveries: Sequence[Delivery]) -> list[bool]:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                async with self._gate or contextlib.nullcontext(), self._ctx.sessionmaker.begin() as session:
                    return await service.receive_all(
                        session, deliveries, now=self._ctx.clock(), resources=self._resources
                    )
            except (IntegrityError, DBAPIError) as error:
                # A concurrent first insert of the same key, a deadlock or a serialisation failure between
                # replicas (a new transaction sees the winner's rows), or a connection that was lost.
                if attempt == _ATTEMPTS or not _retryable(error):
                    raise
        raise AssertionError("unreachable")


def _retryable(error: DBAPIError) -> bool:
    if isinstance(error, IntegrityError) or error.connection_invalidated:
        # The connection was lost (the server restarted or closed it): the pool replaces it.
        return True
    return sqlstate(error) in {"40001", "40P01"}  # serialization_failure, deadlock_detected


class Intake:
    """What the webhook route keeps between requests; one per process, built at start-up (bootstrap.py)."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        resources: Registry = RESOURCES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        # Where every session shares one connection (SQLite's pool of one, or a sessionmaker bound to a
        # connection), key reads and writes take turns on it; elsewhere key reads never wait for a commit.
        gate = asyncio.Lock()
        bound = ctx.sessionmaker.kw.get("bind")
        shared = ctx.engine.dialect.name == "sqlite" or isinstance(bound, AsyncConnection)
        self.keys = SigningKeys(ctx, gate=gate if shared else None, monotonic=monotonic)
        self.writer = GroupWriter(
            ctx,
            gate=gate if shared else None,
            resources=resources,
            writers=1 if shared else ctx.settings.ats.ingest_writers,
        )

    async def receive(self, delivery: Delivery, tenant_key: str) -> bool:
        """Write a verified delivery (True if new); a tenant deleted since its keys were read: NotFound."""
        try:
            return await self.writer.write(delivery)
        except IntegrityError:
            self.keys.forget(tenant_key)
            if await self.keys.get(tenant_key) is None:
                raise NotFound("no tenant with this key") from None
            raise

    def forget(self, tenant_key: str) -> None:
        """A tenant deleted in this process: its webhooks are answered 404 at once."""
        self.keys.forget(tenant_key)
