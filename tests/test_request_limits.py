"""What a request may send before the service reads it: one body cap on every route, counted as the body
streams in; a cap on headers; and the admin token checked before an admin route reads its body."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from rsc_service.settings import Settings
from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class Body:
    """A streamed request body (no Content-Length) that records how much of it the server pulled."""

    def __init__(self, size: int, chunk: int = 64 * 1024) -> None:
        self.size, self.chunk, self.sent = size, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.size:
            part = min(self.chunk, self.size - self.sent)
            self.sent += part
            yield b"x" * part


def _problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code


class TestBodyCap:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("POST", "/v1/admin/tenants"),
            ("PATCH", "/v1/admin/tenants/tn_x"),
            ("POST", "/v1/admin/tenants/tn_x/dead-letters/replay"),
            ("POST", "/v1/webhooks/ats/tn_x"),
            ("POST", "/healthz"),
        ],
    )
    async def test_a_streamed_body_over_the_cap_is_refused_without_reading_the_rest(
        self, client: httpx.AsyncClient, settings: Settings, method: str, path: str
    ) -> None:
        body = Body(8 * settings.server.max_body_bytes)

        response = await client.request(method, path, content=body, headers=ADMIN)

        # 405 for a route that takes no body at all (healthz) is also an answer that read nothing.
        if response.status_code != 405:
            _problem(response, 413, "payload_too_large")
        assert body.sent <= settings.server.max_body_bytes + body.chunk * 2

    async def test_a_declared_length_over_the_cap_is_refused_before_a_byte_is_read(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        body = Body(settings.server.max_body_bytes + 1)
        headers = {**ADMIN, "Content-Length": str(body.size)}

        response = await client.post("/v1/admin/tenants", content=body, headers=headers)

        _problem(response, 413, "payload_too_large")
        assert body.sent <= body.chunk  # at most what the transport pushed before the answer


class TestHeaderCap:
    async def test_headers_over_the_cap_are_431(self, client: httpx.AsyncClient, settings: Settings) -> None:
        response = await client.get("/healthz", headers={"X-Padding": "a" * settings.server.max_header_bytes})
        _problem(response, 431, "request_headers_too_large")

    async def test_ordinary_headers_pass(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz", headers={"X-Padding": "a" * 1000})).status_code == 200


class TestAdminTokenFirst:
    @pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}])
    async def test_an_unauthenticated_body_is_not_read(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        body = Body(512 * 1024)  # under the cap, and not JSON: reading it would have been a 400 or 422

        response = await client.post("/v1/admin/tenants", content=body, headers=headers)

        _problem(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert body.sent <= body.chunk

    async def test_the_token_still_admits(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/admin/tenants", headers=ADMIN)
        assert response.status_code == 200
