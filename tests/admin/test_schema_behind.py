"""A deployment whose database was never migrated (`rsc-service migrate` forgotten): the database answers, its
tables are missing. Every route answers a 503 problem naming the cause, which callers retry while an
operator migrates — never a 500, nor a claim that the database cannot be reached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.committed import engine, sessionmaker, settings  # noqa: F401
from tests.conftest import ADMIN_TOKEN

FreshDatabase = Callable[[bool], Awaitable[str]]


@pytest.fixture
async def database_url(fresh_database: FreshDatabase) -> str:
    return await fresh_database(False)


_ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/v1/admin/tenants", _ADMIN),
        ("POST", "/v1/admin/tenants/tn_0123456789abcdef/stage", _ADMIN),
        ("GET", "/v1/integration", {"Authorization": "Bearer rsc_" + "0" * 40}),
        ("POST", "/v1/webhooks/ats/tn_0123456789abcdef", {"x-signature": "t=1,v1=00"}),
    ],
    ids=["an operator's read", "an operator's write", "a tenant's read", "an ATS webhook"],
)
async def test_a_route_answers_503_naming_the_missing_schema(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> None:
    body = {"stage": "partner_ready", "reason": "x"} if method == "POST" else None

    answer = await client.request(method, path, json=body, headers=headers)

    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"].isdigit()
    problem = answer.json()
    assert problem["code"] == "unavailable"
    assert "schema is not at head" in problem["detail"], problem
    assert "rsc-service migrate" in problem["detail"], problem
