"""Client-credentials tokens: cached per application, refreshed before expiry and once on a 401."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from rsc_service.integrations.linkedin import (
    AppCredentials,
    AuthFailed,
    LinkedInApp,
    LinkedInClient,
    Throttled,
)

SEATS = "/v2/seatsV2"
CONTRACT = "urn:li:contract:2001"


def token(value: str, expires_in: object = 1800) -> httpx.Response:
    return httpx.Response(200, json={"access_token": value, "expires_in": expires_in})


class TestTokens:
    async def test_token_request_is_a_form_with_the_encoded_secret(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.get(SEATS).respond(200, json={"elements": []})

        await app.list_seats([CONTRACT])

        request = linkedin.routes["token"].calls.last.request
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert b"client_secret=s3cret%2Fwith%2Bplus%3D" in request.content
        assert parse_qs(request.content.decode()) == {
            "grant_type": ["client_credentials"],
            "client_id": ["customer-app"],
            "client_secret": ["s3cret/with+plus="],
        }

    async def test_one_token_serves_consecutive_calls(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        seats = linkedin.get(SEATS).respond(200, json={"elements": []})

        await app.list_seats([CONTRACT])
        await app.list_seats([CONTRACT])

        assert linkedin.routes["token"].call_count == 1
        assert [call.request.headers["Authorization"] for call in seats.calls] == ["Bearer t1", "Bearer t1"]

    async def test_views_of_one_app_share_the_cache_and_other_apps_get_their_own(
        self, linkedin: respx.MockRouter, client: LinkedInClient
    ) -> None:
        linkedin.routes["token"].side_effect = [token("first"), token("other")]
        seats = linkedin.get(SEATS).respond(200, json={"elements": []})
        other = AppCredentials(client_id="other-app", client_secret="x")

        await client.for_app(AppCredentials("customer-app", "s")).list_seats([CONTRACT])
        await client.for_app(AppCredentials("customer-app", "s")).list_seats([CONTRACT])
        await client.for_app(other).list_seats([CONTRACT])

        assert [call.request.headers["Authorization"] for call in seats.calls] == [
            "Bearer first",
            "Bearer first",
            "Bearer other",
        ]

    async def test_token_is_refreshed_before_it_expires(
        self, linkedin: respx.MockRouter, app: LinkedInApp, advance: Callable[[float], None]
    ) -> None:
        linkedin.routes["token"].side_effect = [token("first"), token("second")]
        seats = linkedin.get(SEATS).respond(200, json={"elements": []})

        await app.list_seats([CONTRACT])
        advance(1800 - 59)  # inside the 60 s leeway
        await app.list_seats([CONTRACT])

        assert seats.calls.last.request.headers["Authorization"] == "Bearer second"

    async def test_token_still_fresh_outside_the_leeway_is_kept(
        self, linkedin: respx.MockRouter, app: LinkedInApp, advance: Callable[[float], None]
    ) -> None:
        seats = linkedin.get(SEATS).respond(200, json={"elements": []})

        await app.list_seats([CONTRACT])
        advance(1800 - 61)
        await app.list_seats([CONTRACT])

        assert linkedin.routes["token"].call_count == 1
        assert seats.call_count == 2

    @pytest.mark.parametrize("expires_in", ["1800", 1800, 1800.0])
    async def test_expires_in_may_be_a_number_or_a_string(
        self,
        linkedin: respx.MockRouter,
        app: LinkedInApp,
        advance: Callable[[float], None],
        expires_in: object,
    ) -> None:
        linkedin.routes["token"].side_effect = [token("first", expires_in), token("second")]
        linkedin.get(SEATS).respond(200, json={"elements": []})

        await app.list_seats([CONTRACT])
        advance(1000)
        await app.list_seats([CONTRACT])

        assert linkedin.routes["token"].call_count == 1

    async def test_concurrent_calls_fetch_one_token(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        async def slow_token(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(0.01)
            return token("shared")

        linkedin.routes["token"].side_effect = slow_token
        seats = linkedin.get(SEATS).respond(200, json={"elements": []})

        await asyncio.gather(*(app.list_seats([CONTRACT]) for _ in range(10)))

        assert linkedin.routes["token"].call_count == 1
        assert {call.request.headers["Authorization"] for call in seats.calls} == {"Bearer shared"}


class TestUnauthorized:
    async def test_a_401_refreshes_once_and_retries(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.routes["token"].side_effect = [token("revoked"), token("fresh")]
        seats = linkedin.get(SEATS).mock(
            side_effect=[
                httpx.Response(
                    401, json={"message": "Expired access token", "serviceErrorCode": 65601, "status": 401}
                ),
                httpx.Response(200, json={"elements": [{"id": 1}]}),
            ]
        )

        page = await app.list_seats([CONTRACT])

        assert [seat.id for seat in page.elements] == [1]
        assert [call.request.headers["Authorization"] for call in seats.calls] == [
            "Bearer revoked",
            "Bearer fresh",
        ]

    async def test_a_second_401_is_auth_failed(self, linkedin: respx.MockRouter, app: LinkedInApp) -> None:
        linkedin.routes["token"].side_effect = [token("a"), token("b")]
        seats = linkedin.get(SEATS).respond(
            401, json={"message": "Empty oauth2_access_token", "serviceErrorCode": 401, "status": 401}
        )

        with pytest.raises(AuthFailed, match="Empty oauth2_access_token") as raised:
            await app.list_seats([CONTRACT])

        assert raised.value.status == 401
        assert seats.call_count == 2
        assert linkedin.routes["token"].call_count == 2

    async def test_concurrent_401s_refresh_once(self, linkedin: respx.MockRouter, app: LinkedInApp) -> None:
        linkedin.routes["token"].side_effect = [token("old"), token("new")]

        def answer(request: httpx.Request) -> httpx.Response:
            if request.headers["Authorization"] == "Bearer old":
                return httpx.Response(401, json={"message": "expired", "status": 401})
            return httpx.Response(200, json={"elements": []})

        linkedin.get(SEATS).mock(side_effect=answer)

        await asyncio.gather(*(app.list_seats([CONTRACT]) for _ in range(5)))

        assert linkedin.routes["token"].call_count == 2

    async def test_bad_credentials_are_auth_failed(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.routes["token"].respond(
            401, json={"error": "invalid_client", "error_description": "Client authentication failed"}
        )
        seats = linkedin.get(SEATS).respond(200, json={"elements": []})

        with pytest.raises(AuthFailed, match="Client authentication failed"):
            await app.list_seats([CONTRACT])

        assert not seats.called

    async def test_app_without_client_credentials_permission_is_auth_failed(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.routes["token"].respond(
            400,
            json={
                "error": "access_denied",
                "error_description": "This application is not allowed to create application tokens",
            },
        )

        with pytest.raises(AuthFailed, match="not allowed to create application tokens"):
            await app.list_seats([CONTRACT])

    async def test_unreadable_token_answer_is_auth_failed(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.routes["token"].respond(200, json={"access_token": "x"})

        with pytest.raises(AuthFailed, match="unreadable token response"):
            await app.list_seats([CONTRACT])

    async def test_throttled_token_endpoint_is_throttled(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.routes["token"].respond(429, headers={"Retry-After": "3"}, json={"message": "slow down"})

        with pytest.raises(Throttled) as raised:
            await app.list_seats([CONTRACT])

        assert raised.value.retry_after == 3.0
