"""AppContext: the infrastructure jobs, routes and commands share (settings, engine, sessions, HTTP pool,
LinkedIn client, clocks). The objects built on it live in bootstrap.py."""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rsc_service import urls
from rsc_service.crypto import Cipher, SecretsUnavailable
from rsc_service.db import statistics
from rsc_service.db.session import create_engine, create_sessionmaker
from rsc_service.errors import ServiceUnavailable
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.settings import Settings

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient  # to LinkedIn
    ats_http: httpx.AsyncClient  # to tenants' ATS APIs: pinned to vetted addresses (urls.py)
    clock: Clock = system_clock
    holder: str = field(default_factory=default_holder)
    linkedin: LinkedInClient | None = None

    @functools.cached_property
    def cipher(self) -> Cipher:
        try:
            return Cipher([key.get_secret_value() for key in self.settings.security.encryption_keys])
        except SecretsUnavailable as error:
            raise ServiceUnavailable(str(error)) from None

    @functools.cached_property
    def planner_statistics(self) -> statistics.Watch:
        """Analyzes the tables this process fills while PostgreSQL has no statistics for them
        (db/statistics.py): the webhook writer and the initial sync report the rows they commit to it."""
        return statistics.Watch(self.engine, min_rows=self.settings.database.analyze_after_rows)

    async def db_now(self) -> datetime:
        """`now` for coordination SQL: the database server's clock, unless a test clock stands in."""
        if self.clock is not system_clock or self.engine.dialect.name != "postgresql":
            return self.clock()
        async with self.engine.connect() as connection:
            value = await connection.scalar(text("SELECT clock_timestamp()"))
        assert isinstance(value, datetime)
        return value.astimezone(UTC)


def linkedin_client(settings: Settings, http: httpx.AsyncClient) -> LinkedInClient | None:
    if settings.linkedin.api_url is None or settings.linkedin.oauth_url is None:
        return None  # no default URL on purpose: LinkedIn calls stay off until configured
    return LinkedInClient(
        http,
        api_url=settings.linkedin.api_url,
        oauth_url=settings.linkedin.oauth_url,
        url_limit=settings.linkedin.url_limit_bytes,
        max_in_flight=settings.linkedin.max_connections,
    )


def outbound_http(settings: Settings) -> httpx.AsyncClient:
    # Redirects stay off on every outbound client (docs/architecture.md#16-security).
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.linkedin.timeout_seconds),
        limits=httpx.Limits(max_connections=settings.linkedin.max_connections),
        follow_redirects=False,
    )


@asynccontextmanager
async def open_context(settings: Settings, *, clock: Clock = system_clock) -> AsyncIterator[AppContext]:
    engine = create_engine(settings.database)
    http = outbound_http(settings)
    ats_http = urls.ats_http_client(
        timeout=settings.ats.timeout_seconds,
        max_connections=settings.linkedin.max_connections,
        allow_insecure_local=settings.allow_insecure_local,
    )
    ctx = AppContext(
        settings=settings,
        engine=engine,
        sessionmaker=create_sessionmaker(engine),
        http=http,
        ats_http=ats_http,
        clock=clock,
        holder=settings.scheduler.holder or default_holder(),
        linkedin=linkedin_client(settings, http),
    )
    try:
        yield ctx
    finally:
        if "planner_statistics" in ctx.__dict__:  # made on first use (cached_property)
            await ctx.planner_statistics.close()
        await ats_http.aclose()
        await http.aclose()
        await engine.dispose()
