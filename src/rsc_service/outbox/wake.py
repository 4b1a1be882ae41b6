"""Waking the dispatcher the moment outbox rows are committed: in this process, and on other replicas.

`announce()` marks a transaction that wrote outbox rows (and, on PostgreSQL, sends NOTIFY inside it, unless
the statement that inserted them already did: a trigger on `outbox_messages` notifies on insert). A
Wake attached to a sessionmaker sets its event when such a transaction commits, and `listening()` sets it
when another replica's NOTIFY arrives. One Wake is built at start-up (bootstrap.py) and handed to the
drain loop; nothing here is installed at import.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import structlog
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from rsc_service.web import metrics

CHANNEL = "rsc_outbox"
log = structlog.get_logger()
Connect = Callable[[str], Awaitable[Any]]  # asyncpg.connect, or a stand-in
_TOUCHED = "outbox_touched"  # session.info flag: this transaction wrote outbox rows
_CLOSE_WITHIN = 1.0  # seconds a LISTEN connection's graceful close may take before its socket is aborted


async def announce(session: AsyncSession, *, inserted: bool = False) -> None:
    """Wake dispatchers when this transaction commits: in-process by flag, other replicas by NOTIFY.

    `inserted`: this transaction inserted outbox rows, whose statement's trigger sent the NOTIFY on
    PostgreSQL (migration 3f7a9c1e5b28), so no statement of its own is needed.
    """
    if session.info.get(_TOUCHED):
        return
    session.info[_TOUCHED] = True
    if not inserted and session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


class Wake:
    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.hearing = False  # other replicas' commits reach this one now (LISTEN is up)

    def attach(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """Sessions made by `sessionmaker` from now on set this Wake when they commit outbox rows.

        The listeners go on a Session class of the sessionmaker's own, made once: other sessionmakers are
        left alone, and attaching again (each service built on it) only adds a Wake to notify.
        """
        waking = sessionmaker.kw.get("sync_session_class", Session)
        if not issubclass(waking, _WakingSession):
            waking = type("WakingSession", (_WakingSession, waking), {"wakes": weakref.WeakSet()})
            event.listen(waking, "after_commit", _after_commit)
            event.listen(waking, "after_rollback", _forget)
            sessionmaker.configure(sync_session_class=waking)
        waking.wakes.add(self)

    @contextlib.asynccontextmanager
    async def listening(
        self,
        engine: AsyncEngine,
        *,
        connect: Connect = asyncpg.connect,
        max_delay: float = 30.0,
        check_every: float = 15.0,
        answer_within: float = 10.0,
    ) -> AsyncIterator[None]:
        """On PostgreSQL, other replicas' commits wake this one too (their NOTIFY is sent in the commit).

        The LISTEN connection is kept up beside the caller: a database that is down at start or goes away
        later is retried with backoff, while the drain goes on polling; it never fails the caller. Every
        `check_every` seconds the connection must answer a `SELECT 1` within `answer_within` seconds (as
        must a connect): a connection whose server stopped answering without closing it (a partition, a
        hung server) is dropped and made again, and `hearing` is False meanwhile.
        """
        if engine.dialect.name != "postgresql":
            yield
            return
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        keeper = asyncio.create_task(
            self._keep_listening(url, connect, max_delay, check_every, answer_within), name="outbox-listen"
        )
        try:
            yield
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    async def _keep_listening(
        self, url: str, connect: Connect, max_delay: float, check_every: float, answer_within: float
    ) -> None:
        delay = first_delay = min(1.0, max_delay)
        while True:
            try:
                async with asyncio.timeout(answer_within):
                    connection = await connect(url)
            except Exception as error:  # down, refusing or unanswering: polling carries the drain meanwhile
                log.warning(
                    "outbox.listen_failed", error_type=type(error).__name__, error=str(error), retry_in=delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_delay)
                continue
            lost = asyncio.Event()
            connection.add_termination_listener(functools.partial(_set, lost))
            try:
                async with asyncio.timeout(answer_within):
                    await connection.add_listener(CHANNEL, self._notified)
                self.hearing = True
                metrics.DRAIN_LISTENING.set(1)
                delay = first_delay
                self.event.set()  # what was committed while nobody listened is looked for now
                reason = await _watch(connection, lost, check_every=check_every, answer_within=answer_within)
                log.warning("outbox.listen_lost", reason=reason)
            except Exception as error:
                log.warning(
                    "outbox.listen_failed", error_type=type(error).__name__, error=str(error), retry_in=delay
                )
                await asyncio.sleep(delay)
            finally:
                self.hearing = False
                metrics.DRAIN_LISTENING.set(0)
                # A server that answers takes the close at once; asyncpg aborts the socket when the close is
                # cancelled (an unanswering server), so a lost connection or a shutdown never waits long.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), min(answer_within, _CLOSE_WITHIN))

    def _notified(self, *_: Any) -> None:
        self.event.set()


class _WakingSession(Session):
    wakes: weakref.WeakSet[Wake]


def _after_commit(session: Session) -> None:
    # Rows are visible only now; waking before the commit would find nothing to send. A SAVEPOINT's
    # release fires this hook too, while the real transaction is still open: that is not the commit.
    if session.in_nested_transaction() or not session.info.pop(_TOUCHED, False):
        return
    if isinstance(session, _WakingSession):
        for wake in list(session.wakes):
            wake.event.set()


async def _watch(connection: Any, lost: asyncio.Event, *, check_every: float, answer_within: float) -> str:
    """Wait until the LISTEN connection is closed or stops answering a cheap query; returns which."""
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(lost.wait(), timeout=check_every)
        if lost.is_set():
            return "closed"
        try:
            async with asyncio.timeout(answer_within):
                await connection.fetchval("SELECT 1")
        except Exception as error:
            return f"no answer to a liveness check ({type(error).__name__})"


def _set(event: asyncio.Event, *_: Any) -> None:
    event.set()


def _forget(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
