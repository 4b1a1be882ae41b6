"""Liveness, readiness before and after migrations, and Prometheus metrics by route template."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from rsc_service.app import create_app
from rsc_service.context import open_context
from tests.conftest import ADMIN_TOKEN, make_settings

FreshDatabase = Callable[[bool], Awaitable[str]]


async def _get(url: str, path: str) -> httpx.Response:
    settings = make_settings(url)
    async with open_context(settings) as ctx:
        app = create_app(settings, context=ctx)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as client:
            return await client.get(path)


@pytest.fixture
async def unmigrated(fresh_database: FreshDatabase) -> str:
    return await fresh_database(False)


class TestHealth:
    async def test_healthz_answers_while_the_process_is_up(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    async def test_readyz_is_200_at_head(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["status"] == "ready"

    async def test_readyz_is_503_before_migrate_and_says_why(self, unmigrated: str) -> None:
        response = await _get(unmigrated, "/readyz")

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "rsc-service migrate" in response.json()["detail"]
        assert response.headers["retry-after"]

    @pytest.mark.parametrize(
        "url",
        ["sqlite+aiosqlite:////nonexistent-dir/none.db", "postgresql+asyncpg://postgres@127.0.0.1:1/none"],
    )
    async def test_readyz_is_503_when_the_database_is_unreachable(self, url: str) -> None:
        response = await _get(url, "/readyz")

        assert response.status_code == 503
        assert "database unreachable" in response.json()["detail"]

    async def test_metrics_count_requests_by_route_template(self, client: httpx.AsyncClient) -> None:
        await client.get("/healthz")
        # Not digits: the metrics' own timestamps could hold any run of digits.
        await client.get("/v1/does-not-exist/cand-unmatched-qx")

        text = (await client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})).text

        assert 'rsc_http_requests_total{method="GET",route="/healthz",status="200"}' in text
        assert 'route="<unmatched>",status="404"' in text
        assert "cand-unmatched-qx" not in text
        assert "rsc_http_request_duration_seconds_bucket" in text

    async def test_request_id_is_echoed_or_made_up(self, client: httpx.AsyncClient) -> None:
        given = await client.get("/healthz", headers={"x-request-id": "abc-123"})
        made = await client.get("/healthz", headers={"x-request-id": "bad id with spaces"})

        assert given.headers["x-request-id"] == "abc-123"
        assert len(made.headers["x-request-id"]) == 32
