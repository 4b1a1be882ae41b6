"""A LinkedIn member's sign-in (3-legged OAuth 2.0, authorization code), with Authlib's OAuth 2.0 parameters:
the authorization URL, the code exchange and the member it names (docs/linkedin.md#authentication)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from authlib.oauth2.rfc6749 import parameters

from rsc_service.integrations.linkedin import errors
from rsc_service.integrations.linkedin.auth import AppCredentials

# r_liteprofile is what `/v2/me` needs; LinkedIn grants what the application is allowed and shows it.
SCOPE = "r_liteprofile"


@dataclass(frozen=True)
class Member:
    person_id: str
    first_name: str | None
    last_name: str | None

    @property
    def urn(self) -> str:
        return f"urn:li:person:{self.person_id}"


class SignInRefused(errors.LinkedInError):
    """LinkedIn refused the code (expired, used, another app's) or the member denied consent."""

    category = errors.Category.REJECTED


def authorization_url(oauth_url: str, *, client_id: str, redirect_uri: str, state: str) -> str:
    """Where to send the member's browser; LinkedIn comes back to `redirect_uri` with a code and `state`."""
    url: str = parameters.prepare_grant_uri(
        f"{oauth_url.rstrip('/')}/authorization",
        client_id,
        "code",
        redirect_uri=redirect_uri,
        scope=SCOPE,
        state=state,
    )
    return url


class MemberSignIn:
    """Exchanges a code for a member token and reads who the member is; one per LinkedIn client."""

    def __init__(
        self, http: httpx.AsyncClient, *, api_url: str, oauth_url: str, clock: Callable[[], datetime]
    ) -> None:
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._oauth_url = oauth_url.rstrip("/")
        self._clock = clock

    def authorization_url(self, credentials: AppCredentials, *, redirect_uri: str, state: str) -> str:
        return authorization_url(
            self._oauth_url, client_id=credentials.client_id, redirect_uri=redirect_uri, state=state
        )

    async def exchange_code(self, credentials: AppCredentials, *, code: str, redirect_uri: str) -> str:
        """The member's access token for `code`; `SignInRefused` when LinkedIn will not exchange it."""
        body = parameters.prepare_token_request(
            "authorization_code",
            code=code,
            redirect_uri=redirect_uri,
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
        )
        response = await self._send(
            httpx.Request(
                "POST",
                f"{self._oauth_url}/accessToken",
                content=body.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        )
        if response.status_code in (400, 401):
            raise SignInRefused(_oauth_message(response), status=response.status_code)
        if not response.is_success:
            raise errors.error_from_response(response, now=self._clock())
        try:
            token = json.loads(response.content)["access_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise errors.AuthFailed("unreadable token response", status=response.status_code) from exc
        if not isinstance(token, str) or not token:
            raise errors.AuthFailed("unreadable token response", status=response.status_code)
        return token

    async def member(self, token: str) -> Member:
        response = await self._send(
            httpx.Request(
                "GET",
                f"{self._api_url}/v2/me",
                headers={"Authorization": f"Bearer {token}", "X-RestLi-Protocol-Version": "2.0.0"},
            )
        )
        if not response.is_success:
            raise errors.error_from_response(response, now=self._clock())
        try:
            profile = json.loads(response.content)
            person_id = profile["id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise errors.Rejected("unreadable /v2/me answer", status=response.status_code) from exc
        return Member(str(person_id), profile.get("localizedFirstName"), profile.get("localizedLastName"))

    async def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._http.send(request)
            await response.aread()
        except httpx.HTTPError as exc:
            raise errors.Retriable(f"LinkedIn sign-in call failed: {type(exc).__name__}") from exc
        return response


def callback_outcome(query: dict[str, str]) -> str | None:
    """The error LinkedIn sent back instead of a code (e.g. `user_cancelled_authorize`), if any."""
    return query.get("error")


def _oauth_message(response: httpx.Response) -> str:
    try:
        body = json.loads(response.content)
    except ValueError:
        return f"LinkedIn refused the sign-in ({response.status_code})"
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("error") or "LinkedIn refused the sign-in")
    return "LinkedIn refused the sign-in"
