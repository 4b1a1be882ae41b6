"""Every route with a tenant key in its path, given a key that cannot be one (a NUL, a control character,
longer than tenants.key): not found, without a database read (docs/architecture.md#16-security). On
PostgreSQL a NUL reaching a statement failed it: 500."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import ADMIN_TOKEN
from tests.observe import statements

PROBLEM = "application/problem+json"
IMPOSSIBLE = ["%00", "tn_0000%000000", "tn_%0A", "tn_%7F", "tn_%C2%9F", "tn_" + "0" * 62]
MEMBER = "urn:li:person:AbC123"


def _not_ours(statement: str) -> bool:
    """What the tests' own transaction wrapper sends around a session is not a read of the service's."""
    return statement.split(" ", 1)[0].upper() not in {"SAVEPOINT", "RELEASE", "ROLLBACK"}


def _keyed(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every route of the app's OpenAPI document whose path takes a tenant key."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if "{tenant_key}" in path
        for method in operations
        if method != "parameters"
    )


def _headers(path: str) -> dict[str, str]:
    if path.startswith("/v1/in-ats/"):  # LinkedIn's side: the tenant's In-ATS credential
        return {"Authorization": "Bearer rscin_" + "x" * 43}
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.mark.parametrize("key", IMPOSSIBLE)
async def test_every_route_with_a_tenant_key_refuses_an_impossible_one_without_a_read(
    app: FastAPI, client: httpx.AsyncClient, engine: AsyncEngine, key: str
) -> None:
    keyed = _keyed(app)
    assert len(keyed) >= 20, keyed  # the admin, webhook, callback, pull, In-ATS and deactivation routes
    answers: dict[tuple[str, str], int] = {}
    with statements(engine, _not_ours) as sent:
        for method, template in keyed:
            path = template.replace("{tenant_key}", key).replace("{member_urn}", MEMBER)
            has_body = method in {"POST", "PATCH", "PUT"}
            answer = await client.request(
                method, path, headers=_headers(template), json={} if has_body else None
            )
            assert answer.headers["content-type"] == PROBLEM, (method, template, answer.text)
            answers[method, template] = answer.status_code
    assert sent == [], sent
    for (method, template), status in answers.items():
        if template.startswith("/v1/in-ats/"):
            # An unknown tenant there is a wrong credential, so the answer says nothing of which exist
            # (docs/in-ats.md#the-credential); a key longer than the column is refused by its declaration.
            assert status in {401, 422}, (method, template, status)
        elif method in {"GET", "DELETE"}:
            assert status == 404, (method, template, status)
        else:
            assert status in {404, 422}, (method, template, status)  # 422: a body the route requires
    assert sum(status == 404 for status in answers.values()) >= 12, answers
