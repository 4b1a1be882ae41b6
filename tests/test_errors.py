"""Every error is RFC 9457 problem+json: service errors, validation errors, unknown routes and crashes."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import text

from rsc_service import errors
from rsc_service.context import AppContext
from rsc_service.errors import PROBLEM_JSON


class _Contract(BaseModel):
    urn: str = Field(pattern=r"^urn:li:contract:\d+$")
    seats: int = Field(ge=1)


# A statement the database itself refuses for a value: out of range on PostgreSQL (SQLSTATE 22003, which
# asyncpg's errors reach SQLAlchemy as a plain DBAPIError), too big on SQLite (sqlite3.DataError).
_UNSTORABLE = {
    "postgresql": "SELECT CAST('2147483648' AS INTEGER)",
    "sqlite": "SELECT zeroblob(2000000000)",
}


def _exercise_routes(app: FastAPI, ctx: AppContext) -> None:
    # Routes that raise each kind of error through the real handlers installed by create_app().
    router = APIRouter()

    @router.get("/_t/unstorable")
    async def unstorable() -> None:
        async with ctx.sessionmaker() as session:
            await session.execute(text(_UNSTORABLE[ctx.engine.dialect.name]))

    @router.post("/_t/contracts")
    async def create_contract(body: _Contract) -> dict[str, str]:
        return {"urn": body.urn}

    @router.get("/_t/conflict")
    async def conflict() -> None:
        raise errors.Conflict("tenant is active; it cannot move to enabled")

    @router.get("/_t/busy")
    async def busy() -> None:
        raise errors.ServiceUnavailable("database is restarting", retry_after=7)

    @router.get("/_t/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    app.include_router(router)


@pytest.fixture
def problem_client(app: FastAPI, ctx: AppContext, client: httpx.AsyncClient) -> httpx.AsyncClient:
    _exercise_routes(app, ctx)
    return client


def _assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str)
    assert body["instance"] == response.request.url.path
    return dict(body)


class TestProblemDetails:
    async def test_unknown_route_is_404_problem(self, problem_client: httpx.AsyncClient) -> None:
        _assert_problem(await problem_client.get("/v1/nothing-here"), 404, "not_found")

    async def test_wrong_method_is_405_problem(self, problem_client: httpx.AsyncClient) -> None:
        _assert_problem(await problem_client.delete("/healthz"), 405, "method_not_allowed")

    async def test_validation_error_names_each_field_and_reason(
        self, problem_client: httpx.AsyncClient
    ) -> None:
        response = await problem_client.post("/_t/contracts", json={"urn": "contract-1", "seats": 0})

        body = _assert_problem(response, 422, "validation_error")
        fields = {item["field"]: item["reason"] for item in body["errors"]}  # type: ignore[attr-defined]
        assert set(fields) == {"body.urn", "body.seats"}
        assert "pattern" in fields["body.urn"]
        assert "greater than or equal to 1" in fields["body.seats"]
        assert "body.urn" in str(body["detail"])

    async def test_malformed_json_is_a_422_problem(self, problem_client: httpx.AsyncClient) -> None:
        response = await problem_client.post(
            "/_t/contracts", content=b"{not json", headers={"content-type": "application/json"}
        )
        _assert_problem(response, 422, "validation_error")

    async def test_service_error_carries_its_status_code_and_detail(
        self, problem_client: httpx.AsyncClient
    ) -> None:
        body = _assert_problem(await problem_client.get("/_t/conflict"), 409, "conflict")
        assert body["detail"] == "tenant is active; it cannot move to enabled"

    async def test_unavailable_says_when_to_retry(self, problem_client: httpx.AsyncClient) -> None:
        response = await problem_client.get("/_t/busy")
        _assert_problem(response, 503, "unavailable")
        assert response.headers["retry-after"] == "7"

    async def test_crash_is_500_problem_without_internals(self, problem_client: httpx.AsyncClient) -> None:
        response = await problem_client.get("/_t/crash")

        body = _assert_problem(response, 500, "internal_error")
        assert "hunter2" not in response.text
        assert "RuntimeError" not in response.text
        assert body["detail"] == "an internal error occurred"
        assert response.headers["x-request-id"]

    async def test_a_value_the_database_refuses_is_a_422_not_a_500(
        self, problem_client: httpx.AsyncClient
    ) -> None:
        # Not retried by the caller as a 5xx would be: the same value would be refused again.
        body = _assert_problem(await problem_client.get("/_t/unstorable"), 422, "unstorable_value")
        assert "2147483648" not in str(body["detail"])
