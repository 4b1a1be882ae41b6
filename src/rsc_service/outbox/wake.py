"""Waking the dispatcher the moment outbox rows are committed: in this process, and on other replicas.

`announce()` marks a transaction that wrote outbox rows (and, on PostgreSQL, sends NOTIFY inside it). A
Wake attached to a sessionmaker sets its event when such a transaction commits, and `listening()` sets it
when another replica's NOTIFY arrives. One Wake is built at start-up (bootstrap.py) and handed to the
drain loop; nothing here is installed at import.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

CHANNEL = "rsc_outbox"
_TOUCHED = "outbox_touched"  # session.info flag: this transaction wrote outbox rows


async def announce(session: AsyncSession) -> None:
    """Wake dispatchers when this transaction commits: in-process by flag, other replicas by NOTIFY."""
    if session.info.get(_TOUCHED):
        return
    session.info[_TOUCHED] = True
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


class Wake:
    def __init__(self) -> None:
        self.event = asyncio.Event()

    def attach(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """Sessions made by `sessionmaker` from now on set this Wake when they commit outbox rows.

        The listeners go on a Session class of this Wake's own, so other sessionmakers are left alone.
        """
        base: type[Session] = sessionmaker.kw.get("sync_session_class", Session)
        waking = type("WakingSession", (base,), {})
        event.listen(waking, "after_commit", self._after_commit)
        event.listen(waking, "after_rollback", _forget)
        sessionmaker.configure(sync_session_class=waking)

    def _after_commit(self, session: Session) -> None:
        # Rows are visible only now; waking before the commit would find nothing to send. A SAVEPOINT's
        # release fires this hook too, while the real transaction is still open: that is not the commit.
        if session.in_nested_transaction():
            return
        if session.info.pop(_TOUCHED, False):
            self.event.set()

    @contextlib.asynccontextmanager
    async def listening(self, engine: AsyncEngine) -> AsyncIterator[None]:
        """On PostgreSQL, other replicas' commits wake this one too (their NOTIFY is sent in the commit)."""
        if engine.dialect.name != "postgresql":
            yield
            return
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(url)
        await connection.add_listener(CHANNEL, self._notified)
        try:
            yield
        finally:
            await connection.close()

    def _notified(self, *_: Any) -> None:
        self.event.set()


def _forget(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
