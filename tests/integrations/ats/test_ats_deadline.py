"""RSC_ATS__TIMEOUT_SECONDS bounds each ATS request as a whole, against a real server on 127.0.0.1 that
drips its answer a few bytes at a time: httpx's per-phase timeouts start again with every chunk and never
fire, so without an overall deadline a dripped answer holds the caller for as long as the server likes.

The time bounds below are on a failure condition (the call must give up long before the drip ends), far
from the deadline itself, not a performance target."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from tests.integrations.ats.conftest import Sleeps

from rsc_service import urls
from rsc_service.integrations.ats import AtsClient, errors
from rsc_service.urls import Address, PinnedTransport

DEADLINE = 0.5
DRIP_SECONDS = 5.0  # how long a dripped answer takes to arrive in full
GIVES_UP_WITHIN = 3.0  # clearly above DEADLINE, clearly below DRIP_SECONDS
PAGE = json.dumps({"data": [], "next_cursor": None}).encode()  # a valid, empty list of users
PUBLIC_V4 = "93.184.215.14"


@dataclass
class DrippingAts:
    """A raw HTTP/1.1 server that answers every request with `PAGE`; connection n (from 0) is answered as
    `plans[n]` says (the last plan repeats): 'drip-body' sends the head at once and the body a byte at a
    time over DRIP_SECONDS, 'drip-head' drips the status line and headers too, and 'slow-<s>' waits <s>
    seconds, then sends the whole answer."""

    plans: list[str]
    port: int = 0
    connections: int = 0
    paths: list[str] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        plan = self.plans[min(self.connections, len(self.plans) - 1)]
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.paths.append(head.split(b" ", 2)[1].decode())
            status = b"HTTP/1.1 200 OK\r\n"
            headers = b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(PAGE)
            if plan == "drip-body":
                writer.write(status + headers)
                await self._drip(writer, PAGE)
            elif plan == "drip-head":
                await self._drip(writer, status + headers + PAGE)
            else:
                await asyncio.sleep(float(plan.removeprefix("slow-")))
                writer.write(status + headers + PAGE)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _drip(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        for i in range(len(data)):
            writer.write(data[i : i + 1])
            await writer.drain()
            await asyncio.sleep(DRIP_SECONDS / len(data))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


Serve = Callable[[list[str]], Awaitable[DrippingAts]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    started: list[tuple[DrippingAts, asyncio.Server]] = []

    async def start(plans: list[str]) -> DrippingAts:
        ats = DrippingAts(plans)
        server = await asyncio.start_server(ats.handle, "127.0.0.1", 0)
        ats.port = server.sockets[0].getsockname()[1]
        started.append((ats, server))
        return ats

    yield start
    for ats, server in started:
        server.close()
        await ats.stop()
        await server.wait_closed()


async def _timed_failure(call: Awaitable[object]) -> tuple[errors.AtsUnavailable, float]:
    started = time.monotonic()
    with pytest.raises(errors.AtsUnavailable) as caught:
        await call
    return caught.value, time.monotonic() - started


async def _first_user_page(client: AtsClient) -> list[object]:
    return [user async for user in client.list_users()]


class TestWholeRequestDeadline:
    @pytest.mark.parametrize("plan", ["drip-body", "drip-head"])
    async def test_a_dripped_answer_fails_as_a_timeout_long_before_it_ends(
        self, serve: Serve, plan: str
    ) -> None:
        ats = await serve([plan])
        # The client exactly as the service builds it (context.py, tenants/ats.py), loopback allowed.
        http = urls.ats_http_client(timeout=DEADLINE, max_connections=4, allow_insecure_local=True)
        async with http:
            client = AtsClient(http, base_url=ats.url, token="t0k", retries=0, timeout=DEADLINE)
            error, took = await _timed_failure(_first_user_page(client))

        assert "timed out" in str(error)
        assert error.status is None
        assert took < GIVES_UP_WITHIN
        assert ats.connections == 1

    async def test_without_a_client_timeout_the_http_clients_own_bounds_the_request(
        self, serve: Serve
    ) -> None:
        ats = await serve(["drip-body"])
        async with httpx.AsyncClient(timeout=DEADLINE) as http:
            client = AtsClient(http, base_url=ats.url, token="t0k", retries=0)
            error, took = await _timed_failure(client.get_account())

        assert "timed out" in str(error)
        assert took < GIVES_UP_WITHIN

    async def test_an_answer_within_the_deadline_is_read(self, serve: Serve) -> None:
        ats = await serve(["slow-0.05"])
        async with httpx.AsyncClient() as http:
            client = AtsClient(http, base_url=ats.url, token="t0k", retries=0, timeout=DEADLINE)
            assert await _first_user_page(client) == []
        assert ats.paths == ["/api/v1/users?limit=100"]


class TestRetriedTimeouts:
    async def test_each_attempt_gets_a_deadline_of_its_own(self, serve: Serve) -> None:
        # Two dripped answers time out; the third takes most of a deadline (0.35 s), far more than what a
        # deadline shared by all three attempts would have left after the first two (none).
        ats = await serve(["drip-body", "drip-head", f"slow-{DEADLINE * 0.7}"])
        sleeps = Sleeps()
        async with httpx.AsyncClient() as http:
            client = AtsClient(http, base_url=ats.url, token="t0k", retries=2, timeout=DEADLINE, sleep=sleeps)
            started = time.monotonic()
            assert await _first_user_page(client) == []
            took = time.monotonic() - started

        assert ats.connections == 3
        assert len(sleeps.waits) == 2  # retried as any other transient failure, with backoff
        assert 2 * DEADLINE <= took < GIVES_UP_WITHIN

    async def test_gives_up_as_unavailable_after_the_last_attempt_times_out(self, serve: Serve) -> None:
        ats = await serve(["drip-body"])
        sleeps = Sleeps()
        async with httpx.AsyncClient() as http:
            client = AtsClient(http, base_url=ats.url, token="t0k", retries=2, timeout=DEADLINE, sleep=sleeps)
            error, took = await _timed_failure(client.get_account())

        assert "timed out" in str(error)
        assert ats.connections == 3
        assert 3 * DEADLINE * 0.9 <= took < GIVES_UP_WITHIN + 2 * DEADLINE  # three deadlines, not one


class _Forward(httpx.AsyncBaseTransport):
    """Stands in for the connection pool behind PinnedTransport: records the address it was asked to dial
    (the vetted one) and dials the local server instead, as if that address were it."""

    def __init__(self, port: int) -> None:
        self.dialled: list[httpx.Request] = []
        self._real = httpx.AsyncHTTPTransport()
        self._port = port

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.dialled.append(request)
        local = request.url.copy_with(scheme="http", host="127.0.0.1", port=self._port)
        forwarded = httpx.Request(
            request.method,
            local,
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return await self._real.handle_async_request(forwarded)

    async def aclose(self) -> None:
        await self._real.aclose()


class TestPinnedTransport:
    async def test_the_deadline_covers_requests_pinned_to_a_vetted_address(self, serve: Serve) -> None:
        ats = await serve(["drip-body"])
        forward = _Forward(ats.port)
        asked: list[str] = []

        async def resolve(host: str) -> list[Address]:
            asked.append(host)
            return [ipaddress.ip_address(PUBLIC_V4)]

        # As urls.ats_http_client builds it, with the address rules on (no loopback allowed).
        pinned = PinnedTransport(lambda: forward, allow_insecure_local=False, resolver=resolve)
        async with httpx.AsyncClient(transport=pinned, timeout=DEADLINE, follow_redirects=False) as http:
            client = AtsClient(
                http, base_url="https://ats.example/api/v1", token="t0k", retries=0, timeout=DEADLINE
            )
            error, took = await _timed_failure(_first_user_page(client))

        assert "timed out" in str(error)
        assert took < GIVES_UP_WITHIN
        assert asked == ["ats.example"]
        (dialled,) = forward.dialled
        assert dialled.url.host == PUBLIC_V4
        assert dialled.headers["host"] == "ats.example"
        assert dialled.extensions["sni_hostname"] == "ats.example"
        assert ats.paths == ["/api/v1/users?limit=100"]
