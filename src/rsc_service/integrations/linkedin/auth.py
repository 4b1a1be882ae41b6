"""Client-credentials tokens: one cached token per application, refreshed before expiry and once on a 401."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from pydantic import BaseModel, ValidationError

from rsc_service.integrations.linkedin import errors

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class AppCredentials:
    """A LinkedIn developer application: the partner (parent) app or a customer's child app."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: datetime


class _TokenResponse(BaseModel):
    access_token: str
    expires_in: float  # LinkedIn sends 1800; one doc version prints "1800" (docs/linkedin.md#authentication)


class TokenCache:
    """Tokens and their locks by (token URL, client id), shared by every view of one client."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], Token] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def get(self, key: tuple[str, str]) -> Token | None:
        return self._tokens.get(key)

    def put(self, key: tuple[str, str], token: Token) -> None:
        self._tokens[key] = token

    def lock(self, key: tuple[str, str]) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())


class ClientCredentialsAuth(httpx.Auth):
    """Bearer auth for one application; the token request travels through the same client.

    LinkedIn asks that one token serve all concurrent and consecutive calls until it expires
    (docs/linkedin.md#authentication), so concurrent callers wait on a lock and fetch once.
    """

    def __init__(
        self,
        credentials: AppCredentials,
        *,
        token_url: str,
        cache: TokenCache,
        clock: Clock,
        leeway: timedelta = timedelta(seconds=60),
    ) -> None:
        self._credentials = credentials
        self._token_url = token_url
        self._cache = cache
        self._clock = clock
        self._leeway = leeway
        self._key = (token_url, credentials.client_id)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("ClientCredentialsAuth needs an httpx.AsyncClient")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self._fresh()
        if token is None:
            async with self._cache.lock(self._key):
                token = self._fresh()  # another caller may have fetched while we waited
                if token is None:
                    token = await self._store((yield self._token_request()))
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code != httpx.codes.UNAUTHORIZED:
            return
        async with self._cache.lock(self._key):
            current = self._cache.get(self._key)
            if current is None or current.value == token.value:  # nobody refreshed it meanwhile
                current = await self._store((yield self._token_request()))
        request.headers["Authorization"] = f"Bearer {current.value}"
        yield request

    def _fresh(self) -> Token | None:
        token = self._cache.get(self._key)
        if token is None or self._clock() >= token.expires_at - self._leeway:
            return None
        return token

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            self._token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self._credentials.client_id,
                "client_secret": self._credentials.client_secret,
            },
        )

    async def _store(self, response: httpx.Response) -> Token:
        await response.aread()
        now = self._clock()
        if not response.is_success:
            raise errors.error_from_response(response, now=now)
        try:
            parsed = _TokenResponse.model_validate(json.loads(response.content))
        except (ValueError, ValidationError) as exc:
            raise errors.AuthFailed(f"unreadable token response: {exc}", status=response.status_code) from exc
        token = Token(parsed.access_token, now + timedelta(seconds=parsed.expires_in))
        self._cache.put(self._key, token)
        return token
