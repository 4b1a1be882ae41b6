"""While the database cannot be reached, every route answers 503 with Retry-After (callers retry), on both
databases; what the database refuses as a value is the request's fault (422), never a 500."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from rsc_service.app import create_app
from rsc_service.context import AppContext, open_context
from rsc_service.errors import database_unreachable
from rsc_service.mirror.models import AtsRecord
from tests import databases
from tests.conftest import ADMIN_TOKEN, FrozenClock, make_settings
from tests.factories import Ats, candidate, make_tenant, tenant_fields


@pytest.fixture
async def unreachable(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The service pointed at a database that is not there: nothing listens on the PostgreSQL port, or the
    SQLite file's directory does not exist."""
    if databases.is_postgres():
        url = "postgresql+asyncpg://postgres@127.0.0.1:1/test"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/missing/dir/rsc.db"
    settings = make_settings(url)
    async with open_context(settings) as ctx:
        transport = httpx.ASGITransport(app=create_app(settings, context=ctx), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as client:
            yield client


def _unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "unavailable"


class TestDatabaseDown:
    async def test_operator_routes(self, unreachable: httpx.AsyncClient) -> None:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        _unavailable(await unreachable.get("/v1/admin/tenants", headers=admin))
        _unavailable(await unreachable.get("/v1/admin/tenants/tn_x/sync", headers=admin))
        _unavailable(await unreachable.get("/v1/admin/tenants/tn_x/dead-letters", headers=admin))

    async def test_the_webhook_route(self, unreachable: httpx.AsyncClient, clock: FrozenClock) -> None:
        # The tenant's keys cannot be read, so any signature is as good as another.
        sender = Ats(client=unreachable, clock=clock, tenant_key="tn_any", secret="whsec_" + "A" * 32)
        _unavailable(await sender.send("candidate.created", candidate()))

    async def test_readiness(self, unreachable: httpx.AsyncClient) -> None:
        response = await unreachable.get("/readyz")
        assert response.status_code == 503
        assert "database unreachable" in response.json()["detail"]


@pytest.mark.skipif(not databases.is_postgres(), reason="roles and databases are PostgreSQL's")
class TestMisconfiguredDatabase:
    """A role the server does not know, or a database that does not exist: the service cannot reach its
    database until an operator mends the URL, so callers are told to retry, not that they erred."""

    @pytest.mark.parametrize(
        "url",
        [
            "postgresql+asyncpg://no_such_role@127.0.0.1:5432/test",
            "postgresql+asyncpg://postgres@127.0.0.1:5432/no_such_database",
        ],
    )
    async def test_every_route_answers_503(self, url: str, clock: FrozenClock) -> None:
        settings = make_settings(url)
        async with open_context(settings) as ctx:
            transport = httpx.ASGITransport(app=create_app(settings, context=ctx), raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as client:
                admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
                _unavailable(
                    await client.post("/v1/admin/tenants", headers=admin, json=tenant_fields(ats_token="t"))
                )
                _unavailable(await client.get("/v1/admin/tenants", headers=admin))
                sender = Ats(client=client, clock=clock, tenant_key="tn_any", secret="whsec_" + "A" * 32)
                _unavailable(await sender.send("candidate.created", candidate()))


@dataclass
class Served:
    url: str
    ctx: AppContext
    client: httpx.AsyncClient
    sender: Ats


@pytest.fixture
async def served(
    fresh_database: Callable[[bool], Awaitable[str]], clock: FrozenClock
) -> AsyncIterator[Served]:
    """The service on a new database with a pool of its own, and a tenant's ATS sending to it."""
    url = await fresh_database(True)
    settings = make_settings(url)
    async with open_context(settings) as ctx:
        ctx.clock = clock
        async with ctx.sessionmaker.begin() as session:
            registered = await make_tenant(session, ctx)
        transport = httpx.ASGITransport(app=create_app(settings, context=ctx), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as client:
            sender = Ats(
                client=client, clock=clock, tenant_key=registered.tenant.key, secret=registered.webhook_secret
            )
            yield Served(url, ctx, client, sender)


async def _version(ctx: AppContext, ats_id: str) -> int | None:
    async with ctx.sessionmaker() as session:
        return await session.scalar(select(AtsRecord.version).where(AtsRecord.ats_id == ats_id))


@pytest.mark.skipif(not databases.is_postgres(), reason="a server that closes its connections: PostgreSQL's")
class TestConnectionsTheServerClosed:
    async def test_are_replaced_at_checkout_so_no_request_fails(self, served: Served) -> None:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert (await served.sender.send("candidate.created", candidate("cand_1"))).status_code == 202
        assert (await served.client.get("/v1/admin/tenants", headers=admin)).status_code == 200

        # A restart, a failover or an idle timeout: the server closes every pooled connection.
        server = await asyncpg.connect(
            make_url(served.url).set(drivername="postgresql").render_as_string(False)
        )
        try:
            closed = await server.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await server.close()
        await asyncio.sleep(0.2)  # the closed sockets are seen by the event loop

        listed = await served.client.get("/v1/admin/tenants", headers=admin)
        updated = await served.sender.send("candidate.updated", candidate("cand_1", version=2))

        assert closed >= 1
        assert listed.status_code == 200, listed.text
        assert updated.status_code == 202, updated.text
        assert await _version(served.ctx, "cand_1") == 2

    async def test_a_connection_lost_inside_a_webhook_batch_is_retried_on_a_new_one(
        self, served: Served
    ) -> None:
        # The server ends the first inbox INSERT's connection while the batch's transaction is open
        # (a sequence, because it is not rolled back with the transaction).
        async with served.ctx.engine.begin() as connection:
            for statement in _DIES_ONCE:
                await connection.exec_driver_sql(statement)

        created = await served.sender.send("candidate.created", candidate("cand_1"))

        async with served.ctx.sessionmaker() as session:
            died = await session.scalar(text("SELECT last_value FROM inbox_dies"))
        assert died >= 2  # the first attempt's connection was ended, and another attempt ran
        assert created.status_code == 202, created.text
        assert await _version(served.ctx, "cand_1") == 1


_DIES_ONCE = [
    "CREATE SEQUENCE inbox_dies",
    """CREATE FUNCTION inbox_dies() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF nextval('inbox_dies') = 1 THEN
            PERFORM pg_terminate_backend(pg_backend_pid());
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER inbox_dies AFTER INSERT ON ats_webhook_events"
    " FOR EACH STATEMENT EXECUTE FUNCTION inbox_dies()",
]


class TestWhatCountsAsUnreachable:
    @pytest.mark.parametrize(
        "error",
        [
            ConnectionRefusedError(111, "Connect call failed"),
            TimeoutError("connect timed out"),
            DBAPIError(
                "SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True
            ),
        ],
        ids=["refused", "timeout", "invalidated"],
    )
    def test_lost_connections(self, error: BaseException) -> None:
        assert database_unreachable(error)

    @pytest.mark.parametrize(
        "error",
        [
            IntegrityError("INSERT", {}, Exception("duplicate key")),
            DataError("INSERT", {}, Exception("value too long")),
            ValueError("a bug"),
        ],
        ids=["integrity", "data", "other"],
    )
    def test_refused_statements_are_not(self, error: BaseException) -> None:
        assert not database_unreachable(error)
