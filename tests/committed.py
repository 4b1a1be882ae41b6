"""Fixtures for a test module whose data must be committed, on a database of the test's own, through the
service's own pool: concurrent transactions each take their own connections, where the shared fixtures
(tests/conftest.py) join one connection's transaction. A module takes them by importing them:

    from tests.committed import database_url, engine, sessionmaker, settings  # noqa: F401
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rsc_service.db.session import create_engine, create_sessionmaker
from rsc_service.settings import Settings
from tests.conftest import make_settings


@pytest.fixture
async def database_url(fresh_database: Callable[[bool], Awaitable[str]]) -> str:
    return await fresh_database(True)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


async def until_one_waits_for_a_lock(engine: AsyncEngine, *, on: str = "the tenant's lock") -> None:
    """Until another transaction of the test's PostgreSQL database waits for a lock, as the one the test
    holds makes it."""
    async with engine.connect() as connection:
        for _ in range(600):
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            await connection.rollback()  # pg_stat_activity is read once per transaction
            if waiting:
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"no transaction waited for {on}")
