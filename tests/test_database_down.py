"""While the database cannot be reached, every route answers 503 with Retry-After (callers retry), on both
databases; what the database refuses as a value is the request's fault (422), never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from rsc_service.app import create_app
from rsc_service.context import open_context
from rsc_service.errors import database_unreachable
from tests import databases
from tests.conftest import ADMIN_TOKEN, FrozenClock, make_settings
from tests.factories import Ats, candidate


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
