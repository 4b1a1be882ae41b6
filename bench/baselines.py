"""The ingest benchmark's baselines: three endpoints taking the same webhooks as the service, minus its work.

Each has the service's own speed-ups, so only what the service does beyond them is compared: the body read
raw and parsed with `model_validate_json`, the INSERT statement built once, the raw body stored as it came,
an endpoint called with the request and returning its `Response` directly (no FastAPI parameter handling,
as the service's webhook route does), FastAPI's telemetry off, and the garbage collector prepared before
serving as `rsc-service serve` does (`prepare_collector`: modules frozen, the youngest generation collected
less often). None checks the signature.

- `per-request`: one INSERT committed per request, through the service's engine (on SQLite its one
  connection serialises them; on PostgreSQL up to the pool's connections commit side by side).
- `group-commit`: requests hand their row to one writer task, which inserts everything waiting in one
  statement and one commit, then answers each request (the service's ingest design, without its work).
- `raw-group-commit` (SQLite only): the same group commit with the leanest store Python has, the standard
  library's `sqlite3` on one writer thread (no SQLAlchemy, no aiosqlite), with the service's pragmas: how
  near the ceiling any endpoint that stores a webhook on this machine can come.
- `no-database`: reads the body and answers; verifies and stores nothing: this machine's HTTP ceiling.

`python -m bench.baselines MODE DATABASE_URL PORT` serves one of them (the benchmark starts it so).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateTable

from rsc_service.cli.process import prepare_collector
from rsc_service.db.session import SQLITE_PRAGMAS, create_engine
from rsc_service.settings import load_settings

MODES = ("per-request", "group-commit", "raw-group-commit", "no-database")
GROUP_LIMIT = 256  # most rows per commit, as the service's `ats.ingest_batch`
NO_TELEMETRY: Any = {"tracing": False, "metrics": False, "logs": False}
ACCEPTED = b'{"status":"accepted"}'

metadata = MetaData()
events = Table(
    "bare_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(200), nullable=False, unique=True),
    Column("event_type", String(60), nullable=False),
    Column("body", Text, nullable=False),
)
INSERT = insert(events)  # built once: each request only binds its values


class Envelope(BaseModel):
    """The webhook body as a baseline reads it: the envelope typed, the record left raw."""

    type: str
    id: str
    occurred_at: datetime
    data: dict[str, Any]


Endpoint = Callable[[Request], Awaitable[Response]]


class DirectRoute(APIRoute):
    """Calls the endpoint with the request and sends the Response it returns, as the service's webhook
    route does (src/rsc_service/ats_webhooks/routes.py)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            return await endpoint(request)

        return handler


def _accepted() -> Response:
    return Response(ACCEPTED, 202, media_type="application/json")


def _row(body: bytes) -> dict[str, str]:
    event = Envelope.model_validate_json(body)
    return {"event_id": event.id, "event_type": event.type, "body": body.decode()}


class GroupWriter:
    """One task commits every row waiting, then answers each request; the next batch gathers meanwhile."""

    def __init__(self, write: Callable[[list[dict[str, str]]], Awaitable[None]]) -> None:
        self._write = write
        self._queue: list[tuple[dict[str, str], asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def add(self, row: dict[str, str]) -> None:
        answer: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((row, answer))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        await answer

    async def _run(self) -> None:
        while self._queue:
            batch = self._queue[:GROUP_LIMIT]
            del self._queue[: len(batch)]
            try:
                await self._write([row for row, _ in batch])
            except Exception as error:
                for _, answer in batch:
                    answer.set_exception(error)
                continue
            for _, answer in batch:
                answer.set_result(None)


class RawStore:
    """SQLite through the standard library on one thread of its own: a batch is one executemany and one
    commit, with the pragmas the service sets."""

    def __init__(self, path: str) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raw-store")
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in SQLITE_PRAGMAS:
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute(str(CreateTable(events, if_not_exists=True).compile(dialect=sqlite.dialect())))
        named = sqlite.dialect(paramstyle="named")
        self._insert = str(INSERT.compile(dialect=named, column_keys=["event_id", "event_type", "body"]))

    def _commit(self, rows: list[dict[str, str]]) -> None:
        self._db.execute("BEGIN")
        try:
            self._db.executemany(self._insert, rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    async def write(self, rows: list[dict[str, str]]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._commit, rows)


def create_app(mode: str, database_url: str) -> FastAPI:
    if mode not in MODES:
        raise SystemExit(f"mode must be one of {', '.join(MODES)}")
    url = make_url(database_url)
    if mode == "raw-group-commit" and url.get_backend_name() != "sqlite":
        raise SystemExit("raw-group-commit runs on SQLite only")
    engine = create_engine(load_settings(database={"url": database_url}).database)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if mode in ("per-request", "group-commit"):
            async with engine.begin() as connection:
                await connection.run_sync(metadata.create_all)
        yield
        await engine.dispose()

    async def write(rows: list[dict[str, str]]) -> None:
        async with engine.begin() as connection:
            await connection.execute(INSERT, rows)

    # The two group-commit modes differ only in the store the one writer task commits to.
    writer = GroupWriter(RawStore(str(url.database)).write if mode == "raw-group-commit" else write)

    async def per_request(request: Request) -> Response:
        await write([_row(await request.body())])
        return _accepted()

    async def group_commit(request: Request) -> Response:
        await writer.add(_row(await request.body()))
        return _accepted()

    async def no_database(request: Request) -> Response:
        await request.body()
        return _accepted()

    endpoints: dict[str, Endpoint] = {
        "per-request": per_request,
        "group-commit": group_commit,
        "raw-group-commit": group_commit,
        "no-database": no_database,
    }
    app = FastAPI(lifespan=lifespan, telemetry=NO_TELEMETRY)
    app.router.add_api_route(
        "/events", endpoints[mode], methods=["POST"], status_code=202, route_class_override=DirectRoute
    )

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve(mode: str, database_url: str, port: int) -> None:
    """One baseline with the service's own server settings (`rsc-service serve`)."""
    import uvicorn

    application = create_app(mode, database_url)
    prepare_collector()  # as `rsc-service serve` does
    uvicorn.run(application, host="127.0.0.1", port=port, log_config=None, access_log=False)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], int(sys.argv[3]))
