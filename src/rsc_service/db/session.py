"""Engines and sessionmakers: SQLite (WAL, foreign keys, busy timeout, BEGIN IMMEDIATE) or PostgreSQL.

Both engines hide bound parameters: a database error's message and traceback (and echoed statements)
would otherwise carry mirrored personal data and secrets into logs (docs/architecture.md#16-security).
"""

from __future__ import annotations

from typing import Any

import pydantic_core
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from rsc_service.settings import DatabaseSettings

# Set on every SQLite connection, with the busy timeout from the settings.
SQLITE_PRAGMAS = ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL")


def _sqlite_pragmas(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver, so "begin" below decides the lock mode.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (*SQLITE_PRAGMAS, f"busy_timeout={int(busy_timeout_ms)}"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # One writer at a time, decided at BEGIN rather than at the first write (no upgrade deadlocks).
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _discard_closed(engine: AsyncEngine) -> None:
    """A pooled connection the server has closed (a restart, a failover, an idle timeout) is replaced at
    checkout: asyncpg knows, without a round trip, once its socket was closed. A ping at every checkout
    cost three round trips (BEGIN, a query, ROLLBACK), a quarter of an ingest batch's. A connection that
    dies between checkout and use fails its statement; the pool then replaces every older connection, the
    webhook writer retries its batch, and any other request answers 503 with Retry-After."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is not None and driver.is_closed():
            raise DisconnectionError("the server closed this connection")


def json_text(value: Any) -> str:
    """A JSON column's value as text: the same document as `json.dumps` writes, compact, in about a sixth
    of the time (an ingested record writes four such documents; docs/architecture.md#14-ingest)."""
    return pydantic_core.to_json(value).decode()


# Every engine reads and writes JSON columns with pydantic's JSON codec rather than the standard library's.
_JSON = {"json_serializer": json_text, "json_deserializer": pydantic_core.from_json}


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    if settings.is_sqlite:
        # One connection: SQLite has one writer anyway, and queueing for it here is fair and immediate,
        # where several connections would sleep in SQLite's busy handler (seconds of tail latency).
        engine = create_async_engine(
            settings.url, echo=settings.echo, hide_parameters=True, pool_size=1, max_overflow=0, **_JSON
        )
        _sqlite_pragmas(engine, settings.busy_timeout_ms)
        return engine
    # Client-side deadlines (docs/architecture.md#18-jobs-that-run-where): a server that accepts packets and
    # never answers (a partition, a hung server) fails the statement, the connect or the wait for a pooled
    # connection with a TimeoutError (a database unreachable: 503 with Retry-After) instead of hanging it.
    timeout = settings.statement_timeout_seconds
    engine = create_async_engine(
        settings.url,
        echo=settings.echo,
        hide_parameters=True,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_timeout=timeout,
        connect_args={"command_timeout": timeout, "timeout": timeout},
        **_JSON,
    )
    _discard_closed(engine)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def insert_for(session: AsyncSession, model: type[Any]) -> Any:
    """The dialect's own INSERT, for ON CONFLICT upserts; PostgreSQL and SQLite speak the same subset."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)
