"""Fixtures for the LinkedIn client tests: a mocked LinkedIn at the wire, a settable clock, a client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from tests.conftest import tls

from rsc_service.integrations.linkedin import (
    AppCredentials,
    LinkedInApp,
    LinkedInClient,
    Throttle,
    TokenCache,
)

API_URL = "https://api.linkedin.test"
OAUTH_URL = "https://www.linkedin.test/oauth/v2"
TOKEN_URL = f"{OAUTH_URL}/accessToken"
CREDENTIALS = AppCredentials(client_id="customer-app", client_secret="s3cret/with+plus=")


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingThrottle(Throttle):
    """Remembers what the client asked of its throttle."""

    def __init__(self) -> None:
        self.acquired: list[tuple[str, int]] = []
        self.retry_afters: list[tuple[str, float | None, bool]] = []

    async def acquire(self, group: str, records: int) -> None:
        self.acquired.append((group, records))

    async def note_retry_after(
        self, group: str, retry_after: float | None, *, daily_limit: bool = False
    ) -> None:
        self.retry_afters.append((group, retry_after, daily_limit))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def advance(clock: FakeClock) -> Callable[[float], None]:
    """Moves the client's clock forward by so many seconds."""
    return clock.advance


@pytest.fixture
def throttle() -> RecordingThrottle:
    return RecordingThrottle()


@pytest.fixture
def linkedin() -> Iterator[respx.MockRouter]:
    """LinkedIn at the wire, paths relative to the API root; the route named "token" answers `t1`."""
    with respx.mock(base_url=API_URL, assert_all_called=False, assert_all_mocked=True) as router:
        router.post(TOKEN_URL, name="token").respond(200, json={"access_token": "t1", "expires_in": 1800})
        yield router


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5, verify=tls()) as client:
        yield client


@pytest.fixture
def client(http: httpx.AsyncClient, clock: FakeClock, throttle: RecordingThrottle) -> LinkedInClient:
    return LinkedInClient(
        http,
        api_url=API_URL,
        oauth_url=OAUTH_URL,
        throttle=throttle,
        token_cache=TokenCache(),
        clock=clock,
        boundary=lambda: "boundary-1",
    )


@pytest.fixture
def app(client: LinkedInClient) -> LinkedInApp:
    return client.for_app(CREDENTIALS)
