"""A tenant's ATS answering what no ATS should: the seat refresh answers 502 naming the ATS and stores
nothing, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import httpx
import pytest

from rsc_service.context import AppContext
from rsc_service.settings import Settings
from tests.conftest import make_settings
from tests.seats.conftest import ATS_URL, Tenancy, problem, seats_by_urn

NESTED = b"[" * 100_000 + b"]" * 100_000


def answer(status: int, headers: dict[bytes, bytes], body: bytes = b"") -> Callable[[], httpx.Response]:
    # A stream rather than content, so the body reaches the service as sent (not decoded here first).
    return lambda: httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


HOSTILE = {
    "503, Retry-After in seconds": answer(503, {b"Retry-After": b"1"}),
    "503, Retry-After a superscript two": answer(503, {b"Retry-After": b"\xb2"}),
    "503, Retry-After a date past year 9999": answer(
        503, {b"Retry-After": b"Fri, 31 Dec 99999999999 23:59:59 GMT"}
    ),
    "gzip that is not gzip": answer(200, {b"Content-Encoding": b"gzip"}, b"not gzip at all"),
    "400 with JSON nested 100,000 deep": answer(400, {b"Content-Type": b"application/problem+json"}, NESTED),
    "200 with JSON nested 100,000 deep": answer(200, {b"Content-Type": b"application/json"}, NESTED),
    "Content-Length a superscript two": answer(200, {b"Content-Length": b"\xb2"}, b"{}"),
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, ats={"retries": 0})  # one answer per refresh, no backoff to sit out


@pytest.fixture(params=list(HOSTILE))
async def ctx_seats(ctx_li: AppContext, request: pytest.FixtureRequest) -> AsyncIterator[AppContext]:
    """The service's context with an ATS that gives the hostile answer to every request."""
    make = HOSTILE[request.param]
    transport = httpx.MockTransport(lambda _: make())
    async with httpx.AsyncClient(transport=transport, base_url=ATS_URL) as http:
        yield replace(ctx_li, ats_http=http)


async def test_the_refresh_fails_upstream_and_stores_nothing(
    client: httpx.AsyncClient, tenancy: Tenancy
) -> None:
    response = await client.post("/v1/integration/seats/refresh", headers=tenancy.auth)

    body = problem(response, 502, "upstream_failed")
    assert body["detail"].startswith("the ATS could not list its users: "), body
    assert await seats_by_urn(client, tenancy) == {}  # LinkedIn's seats were read, none was stored
