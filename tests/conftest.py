"""Shared fixtures: a migrated database per run, a savepoint-joined session per test, the app, a client."""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rsc_service.app import create_app
from rsc_service.context import AppContext
from rsc_service.db.session import create_engine
from rsc_service.settings import Settings, load_settings
from tests import databases

ADMIN_TOKEN = "admin-test-token"
ENCRYPTION_KEY = "uJ3Nq0h7cR7l8cL3oVh6Q2mJm2E6mCk1bqYgC0wX1-U="


class FrozenClock:
    """The shared test clock: moves only when a test moves it."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database": {"url": database_url},
        "scheduler": {"enabled": False},
        "allow_insecure_local": True,
        "admin": {"token": ADMIN_TOKEN},
        "security": {"encryption_keys": [ENCRYPTION_KEY]},
        "logging": {"format": "console", "level": "WARNING"},
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("db")


@pytest.fixture(scope="session")
async def database_url(tmp_root: Path) -> AsyncIterator[str]:
    url = await databases.create_migrated(tmp_root)
    yield url
    await databases.drop(url)


@pytest.fixture
async def fresh_database(tmp_root: Path) -> AsyncIterator[Callable[[bool], Awaitable[str]]]:
    """Factory of empty (or migrated) databases of the pass's kind, for tests that need committed data."""
    created: list[str] = []

    async def make(migrated: bool = True) -> str:
        url = await (databases.create_migrated(tmp_root) if migrated else databases.create(tmp_root))
        created.append(url)
        return url

    yield make
    for url in created:
        await databases.drop(url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(make_settings(database_url).database)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sessionmaker(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    # SQLAlchemy's "join a session into an external transaction" recipe: the app's commits become savepoints.
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        await transaction.rollback()


@functools.cache
def tls() -> ssl.SSLContext:
    """One TLS context per test process: a new one per client loads the CA bundle again (tens of ms)."""
    return httpx.create_ssl_context()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def ctx(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> AsyncIterator[AppContext]:
    async with httpx.AsyncClient(verify=tls()) as http:
        yield AppContext(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            http=http,
            ats_http=http,  # tests talk to loopback ATS fakes, which the pinning lets through anyway
            clock=clock,
            holder="test",
        )


@pytest.fixture
def app(settings: Settings, ctx: AppContext) -> FastAPI:
    return create_app(settings, context=ctx)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as client:
        yield client
