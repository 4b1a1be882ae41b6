"""Fixtures for a test module whose data must be committed, on a database of the test's own, through the
service's own pool: concurrent transactions each take their own connections, where the shared fixtures
(tests/conftest.py) join one connection's transaction. A module takes them by importing them:

    from tests.committed import database_url, engine, sessionmaker, settings  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
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
