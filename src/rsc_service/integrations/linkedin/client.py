"""LinkedInClient: one connection pool for every application; `for_app` gives one application's view."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from rsc_service.integrations.linkedin.auth import AppCredentials, ClientCredentialsAuth, TokenCache
from rsc_service.integrations.linkedin.member_sign_in import MemberSignIn
from rsc_service.integrations.linkedin.retrieval_calls import RetrievalCalls
from rsc_service.integrations.linkedin.setup_calls import SetupCalls
from rsc_service.integrations.linkedin.sync_calls import SyncCalls
from rsc_service.integrations.linkedin.throttle import Throttle
from rsc_service.integrations.linkedin.transport import Settings, Transport

DEFAULT_API_URL = "https://api.linkedin.com"
DEFAULT_OAUTH_URL = "https://www.linkedin.com/oauth/v2"
# The latest version LinkedIn's pages name (docs/linkedin.md#versions-and-protocol).
DEFAULT_LINKEDIN_VERSION = "202604"


class LinkedInApp(SyncCalls, SetupCalls, RetrievalCalls):
    """Every RSC call, made as one application (a customer's child app, or the partner app for provisioning).

    Batch methods take at most 100 entities and never raise for a failed key: they return a
    `BatchResult`. A request LinkedIn refuses as a whole raises a `LinkedInError` subclass.
    """

    def __init__(self, transport: Transport, credentials: AppCredentials) -> None:
        self._transport = transport
        self.credentials = credentials


class LinkedInClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_url: str = DEFAULT_API_URL,
        oauth_url: str = DEFAULT_OAUTH_URL,
        throttle: Throttle | None = None,
        url_limit: int = 8192,
        linkedin_version: str = DEFAULT_LINKEDIN_VERSION,
        token_cache: TokenCache | None = None,
        token_leeway: timedelta = timedelta(seconds=60),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        boundary: Callable[[], str] = lambda: uuid.uuid4().hex,
        max_in_flight: int = 50,
        max_response_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        """`api_url` is the API root (https://api.linkedin.com); each call adds /v2 or /rest itself.

        Keep `max_in_flight` at or below the pool's `max_connections` (docs/architecture.md#16-security).
        """
        self._http = http
        self._oauth_url = oauth_url.rstrip("/")
        self._throttle = throttle or Throttle.unlimited()
        self._tokens = token_cache or TokenCache()
        self._token_leeway = token_leeway
        self._clock = clock
        self._settings = Settings(
            api_url=api_url.rstrip("/"),
            url_limit=url_limit,
            linkedin_version=linkedin_version,
            clock=clock,
            boundary=boundary,
            max_response_bytes=max_response_bytes,
        )
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self.sign_in = MemberSignIn(http, api_url=api_url, oauth_url=oauth_url, clock=clock)

    def for_app(self, credentials: AppCredentials, *, throttle: Throttle | None = None) -> LinkedInApp:
        """A view acting as `credentials`; give it the application's own `throttle` for its own budgets."""
        auth = ClientCredentialsAuth(
            credentials,
            token_url=f"{self._oauth_url}/accessToken",
            cache=self._tokens,
            clock=self._clock,
            leeway=self._token_leeway,
        )
        transport = Transport(
            self._http,
            settings=self._settings,
            auth=auth,
            throttle=throttle or self._throttle,
            in_flight=self._in_flight,
        )
        return LinkedInApp(transport, credentials)
