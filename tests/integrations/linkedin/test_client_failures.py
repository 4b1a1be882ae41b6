"""Whole-request failures, 429s, lost connections, and tunnelling instead of a 414."""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import gzip
import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from rsc_service.integrations.linkedin import (
    AppCredentials,
    AuthFailed,
    Forbidden,
    LinkedInApp,
    LinkedInClient,
    LinkedInError,
    Rejected,
    Retriable,
    Throttled,
    UriTooLong,
    wire,
)

if TYPE_CHECKING:
    from conftest import RecordingThrottle

ORG = "urn:li:organization:1001"
CREDENTIALS = AppCredentials("customer-app", "secret")
CANDIDATE = wire.CandidateKey(ats_candidate_id="C1", integration_context=ORG)
RECORD = wire.AtsCandidate(ats_created_at=1, ats_last_modified_at=1, first_name="Ada")
THROTTLE_BODY = {
    "serviceErrorCode": 101,
    "message": "Resource level throttle limit for calls to this resource is reached.",
    "status": 429,
}


class TestThrottled:
    async def test_429_with_retry_after_seconds(
        self, linkedin: respx.MockRouter, app: LinkedInApp, throttle: RecordingThrottle
    ) -> None:
        linkedin.put("/v2/atsCandidates").respond(429, headers={"Retry-After": "120"}, json=THROTTLE_BODY)

        with pytest.raises(Throttled) as raised:
            await app.upsert_candidates({CANDIDATE: RECORD})

        assert raised.value.retry_after == 120.0
        assert raised.value.service_error_code == 101
        assert not raised.value.daily_limit
        assert throttle.retry_afters == [("sync", 120.0, False)]

    async def test_429_with_retry_after_date(
        self, linkedin: respx.MockRouter, app: LinkedInApp, throttle: RecordingThrottle
    ) -> None:
        # the client's clock reads 2026-11-25 12:00:00 UTC
        linkedin.get("/v2/seatsV2").respond(429, headers={"Retry-After": "Wed, 25 Nov 2026 12:00:45 GMT"})

        with pytest.raises(Throttled) as raised:
            await app.list_seats(["urn:li:contract:1"])

        assert raised.value.retry_after == 45.0
        assert throttle.retry_afters == [("prospect", 45.0, False)]

    async def test_429_without_retry_after(
        self, linkedin: respx.MockRouter, app: LinkedInApp, throttle: RecordingThrottle
    ) -> None:
        linkedin.put("/v2/atsCandidates").respond(429, json=THROTTLE_BODY)

        with pytest.raises(Throttled) as raised:
            await app.upsert_candidates({CANDIDATE: RECORD})

        assert raised.value.retry_after is None
        assert throttle.retry_afters == [("sync", None, False)]

    async def test_daily_limit_429(
        self, linkedin: respx.MockRouter, app: LinkedInApp, throttle: RecordingThrottle
    ) -> None:
        linkedin.get("/v2/prospectNotes").respond(
            429,
            json={**THROTTLE_BODY, "message": "APPLICATION DAY limit for calls to this resource is reached."},
        )

        with pytest.raises(Throttled) as raised:
            await app.list_prospect_notes("urn:li:contract:1", owners=[], cutoff_date=0, before_date=1)

        assert raised.value.daily_limit
        assert throttle.retry_afters == [("prospect", None, True)]


class TestWholeRequestFailures:
    @pytest.mark.parametrize(
        ("status", "body", "error_class"),
        [
            (
                403,
                {"message": "Integration is not enabled", "status": 403, "serviceErrorCode": 100},
                Forbidden,
            ),
            (400, {"message": "ids do not match the entities", "status": 400}, Rejected),
            (404, {"message": "Not Found", "status": 404}, Rejected),
            (422, {"message": "Unprocessable", "status": 422}, Rejected),
            (414, None, UriTooLong),
            (500, {"message": "Internal Server Error", "status": 500}, Retriable),
            (502, None, Retriable),
            (503, None, Retriable),
            (504, None, Retriable),
        ],
    )
    async def test_status_becomes_its_error(
        self,
        linkedin: respx.MockRouter,
        app: LinkedInApp,
        status: int,
        body: dict[str, object] | None,
        error_class: type[LinkedInError],
    ) -> None:
        linkedin.put("/v2/atsCandidates").respond(status, json=body)

        with pytest.raises(error_class) as raised:
            await app.upsert_candidates({CANDIDATE: RECORD})

        assert type(raised.value) is error_class
        assert raised.value.status == status
        if body is not None:
            assert raised.value.message == body["message"]

    async def test_forbidden_is_not_mistaken_for_auth(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.get("/v2/seatsV2").respond(403, json={"message": "Not enough permissions", "status": 403})

        with pytest.raises(Forbidden):
            await app.list_seats(["urn:li:contract:1"])

        assert linkedin.routes["token"].call_count == 1  # a 403 is not worth a new token

    async def test_unreadable_success_is_retriable(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.put("/v2/atsCandidates").respond(200, text="<html>gateway</html>")

        with pytest.raises(Retriable, match="unreadable"):
            await app.upsert_candidates({CANDIDATE: RECORD})

    async def test_401_on_a_batch_resends_the_same_body_with_a_new_token(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.routes["token"].side_effect = [
            httpx.Response(200, json={"access_token": "old", "expires_in": 1800}),
            httpx.Response(200, json={"access_token": "new", "expires_in": 1800}),
        ]
        key = "atsCandidateId=C1&dataProvider=ATS&integrationContext=urn%3Ali%3Aorganization%3A1001"
        route = linkedin.put("/v2/atsCandidates").mock(
            side_effect=[
                httpx.Response(401, json={"message": "Expired access token", "status": 401}),
                httpx.Response(200, json={"results": {key: {"status": 204}}}),
            ]
        )

        result = await app.upsert_candidates({CANDIDATE: RECORD})

        assert result.ok == {CANDIDATE: 204}
        first, second = (call.request for call in route.calls)
        assert first.content == second.content
        assert second.headers["Authorization"] == "Bearer new"

    async def test_token_endpoint_down_is_retriable(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.routes["token"].respond(503)

        with pytest.raises(Retriable):
            await app.list_seats(["urn:li:contract:1"])

    async def test_revoked_app_is_auth_failed(self, linkedin: respx.MockRouter, app: LinkedInApp) -> None:
        linkedin.get("/v2/seatsV2").respond(401, json={"message": "Revoked", "status": 401})

        with pytest.raises(AuthFailed):
            await app.list_seats(["urn:li:contract:1"])


class TestLostConnections:
    @pytest.mark.parametrize(
        "exception",
        [
            httpx.ReadTimeout("read timed out"),
            httpx.ConnectTimeout("connect timed out"),
            httpx.WriteTimeout("write timed out"),
            httpx.PoolTimeout("no connection free"),
            httpx.ConnectError("connection refused"),
            httpx.ReadError("connection reset by peer"),
            httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        ],
        ids=lambda exc: type(exc).__name__,
    )
    async def test_transport_failures_are_retriable(
        self, linkedin: respx.MockRouter, app: LinkedInApp, exception: Exception
    ) -> None:
        linkedin.put("/v2/atsCandidates").mock(side_effect=exception)

        with pytest.raises(Retriable) as raised:
            await app.upsert_candidates({CANDIDATE: RECORD})

        assert raised.value.status is None
        assert raised.value.__cause__ is exception

    async def test_token_request_timeout_is_retriable_and_releases_the_lock(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.routes["token"].side_effect = [
            httpx.ReadTimeout("slow"),
            httpx.Response(200, json={"access_token": "t2", "expires_in": 1800}),
        ]
        seats = linkedin.get("/v2/seatsV2").respond(200, json={"elements": []})

        with pytest.raises(Retriable):
            await app.list_seats(["urn:li:contract:1"])
        await asyncio.wait_for(app.list_seats(["urn:li:contract:1"]), timeout=1)

        assert seats.calls.last.request.headers["Authorization"] == "Bearer t2"


def parts(request: httpx.Request) -> list[tuple[str, str]]:
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    return [(part.get_content_type(), str(part.get_payload())) for part in message.iter_parts()]


def many_candidates(count: int) -> list[wire.CandidateKey]:
    return [
        wire.CandidateKey(ats_candidate_id=f"candidate-{i:03d}-" + "x" * 60, integration_context=ORG)
        for i in range(count)
    ]


class TestTunnelling:
    async def test_a_get_past_the_limit_is_sent_as_a_form_post(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        keys = many_candidates(100)
        route = linkedin.post("/v2/atsCandidates").respond(
            200, json={"results": {}, "statuses": {}, "errors": {}}
        )

        await app.get_candidates(keys)

        request = route.calls.last.request
        assert request.url.raw_path == b"/v2/atsCandidates"
        assert request.headers["X-HTTP-Method-Override"] == "GET"
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        sent = parse_qsl(request.content.decode())
        assert sent[:3] == [
            ("ids[0].atsCandidateId", keys[0].ats_candidate_id),
            ("ids[0].dataProvider", "ATS"),
            ("ids[0].integrationContext", ORG),
        ]
        assert len(sent) == 300

    async def test_a_put_past_the_limit_sends_the_query_then_the_body(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        keys = many_candidates(100)
        route = linkedin.post("/v2/atsCandidates").respond(200, json={"results": {}})

        await app.upsert_candidates(dict.fromkeys(keys, RECORD))

        request = route.calls.last.request
        assert request.url.raw_path == b"/v2/atsCandidates"
        assert request.headers["X-HTTP-Method-Override"] == "PUT"
        assert request.headers["X-RestLi-Method"] == "batch_update"
        assert request.headers["Content-Type"] == "multipart/mixed; boundary=boundary-1"
        (query_type, query), (body_type, body) = parts(request)
        assert (query_type, body_type) == ("application/x-www-form-urlencoded", "application/json")
        assert len(parse_qsl(query)) == 300
        assert len(json.loads(body)["entities"]) == 100

    @pytest.mark.parametrize(
        ("method", "call"),
        [
            ("DELETE", lambda app, keys: app.delete_candidates(keys)),
            ("POST", lambda app, keys: app.set_manual_matches(dict.fromkeys(keys, "urn:li:person:1"))),
        ],
    )
    async def test_other_methods_keep_their_meaning_in_the_override(
        self, linkedin: respx.MockRouter, app: LinkedInApp, method: str, call: object
    ) -> None:
        route = linkedin.post("/v2/atsCandidates").respond(200, json={"results": {}})

        await call(app, many_candidates(100))  # type: ignore[operator]

        assert route.calls.last.request.headers["X-HTTP-Method-Override"] == method

    async def test_a_query_over_4_kb_is_tunnelled_though_the_url_is_under_the_limit(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        tunnelled = linkedin.post("/v2/atsCandidates").respond(200, json={"results": {}})

        await app.upsert_candidates(dict.fromkeys(many_candidates(25), RECORD))

        request = tunnelled.calls.last.request
        assert request.headers["X-HTTP-Method-Override"] == "PUT"
        (_, query), _ = parts(request)
        assert 4096 < len(query.encode()) < 8192 - len("https://api.linkedin.test/v2/atsCandidates?")

    async def test_the_limit_is_a_setting_and_counts_the_whole_url(
        self, linkedin: respx.MockRouter, http: httpx.AsyncClient
    ) -> None:
        keys = [CANDIDATE]
        url = (
            "https://api.linkedin.test/v2/atsCandidates?ids[0].atsCandidateId=C1&ids[0].dataProvider=ATS"
            "&ids[0].integrationContext=urn%3Ali%3Aorganization%3A1001"
        )
        exact = LinkedInClient(
            http,
            api_url="https://api.linkedin.test",
            oauth_url="https://www.linkedin.test/oauth/v2",
            url_limit=len(url),
        )
        tight = LinkedInClient(
            http,
            api_url="https://api.linkedin.test",
            oauth_url="https://www.linkedin.test/oauth/v2",
            url_limit=len(url) - 1,
        )
        direct = linkedin.get("/v2/atsCandidates").respond(200, json={"results": {}})
        tunnelled = linkedin.post("/v2/atsCandidates").respond(200, json={"results": {}})

        await exact.for_app(CREDENTIALS).get_candidates(keys)
        await tight.for_app(CREDENTIALS).get_candidates(keys)

        assert str(direct.calls.last.request.url) == url
        assert tunnelled.call_count == 1


class TestResponses:
    async def test_answers_over_the_size_cap_are_refused(
        self, linkedin: respx.MockRouter, http: httpx.AsyncClient
    ) -> None:
        client = LinkedInClient(
            http,
            api_url="https://api.linkedin.test",
            oauth_url="https://www.linkedin.test/oauth/v2",
            max_response_bytes=1000,
        )
        linkedin.get("/v2/seatsV2").respond(200, json={"elements": [{"id": "x" * 2000}]})

        with pytest.raises(Retriable, match="larger than 1000 bytes"):
            await client.for_app(CREDENTIALS).list_seats(["urn:li:contract:1"])

    async def test_compressed_answers_are_read(self, linkedin: respx.MockRouter, app: LinkedInApp) -> None:
        body = gzip.compress(json.dumps({"elements": [{"id": 5}]}).encode())
        linkedin.get("/v2/seatsV2").respond(200, content=body, headers={"Content-Encoding": "gzip"})

        page = await app.list_seats(["urn:li:contract:1"])

        assert [seat.id for seat in page.elements] == [5]

    async def test_sends_in_flight_are_bounded(
        self, linkedin: respx.MockRouter, http: httpx.AsyncClient
    ) -> None:
        client = LinkedInClient(
            http,
            api_url="https://api.linkedin.test",
            oauth_url="https://www.linkedin.test/oauth/v2",
            max_in_flight=2,
        )
        app = client.for_app(CREDENTIALS)
        active, peak = 0, 0

        async def slow(request: httpx.Request) -> httpx.Response:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.01)
            active -= 1
            return httpx.Response(200, json={"elements": []})

        linkedin.get("/v2/seatsV2").mock(side_effect=slow)

        await asyncio.gather(*(app.list_seats(["urn:li:contract:1"]) for _ in range(6)))

        assert peak == 2
