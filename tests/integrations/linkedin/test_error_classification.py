"""Error categories from the status table, LinkedIn-shaped bodies, Retry-After, and per-key batch errors."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from rsc_service.integrations.linkedin import (
    AuthFailed,
    Category,
    EntityError,
    Forbidden,
    LinkedInError,
    Rejected,
    Retriable,
    Throttled,
    UriTooLong,
    classify,
)
from rsc_service.integrations.linkedin.errors import error_from_response, parse_retry_after

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class TestClassify:
    @pytest.mark.parametrize(
        ("status", "category"),
        [
            (400, Category.REJECTED),
            (401, Category.AUTH),
            (403, Category.FORBIDDEN),
            (404, Category.REJECTED),
            (408, Category.RETRIABLE),
            (409, Category.REJECTED),
            (414, Category.URI_TOO_LONG),
            (422, Category.REJECTED),
            (429, Category.THROTTLED),
            (418, Category.REJECTED),
            (500, Category.RETRIABLE),
            (502, Category.RETRIABLE),
            (503, Category.RETRIABLE),
            (504, Category.RETRIABLE),
            (599, Category.RETRIABLE),
            (302, Category.REJECTED),
        ],
    )
    def test_status_table(self, status: int, category: Category) -> None:
        assert classify(status) is category

    @pytest.mark.parametrize(
        "error", ["invalid_client", "access_denied", "unauthorized_client", "invalid_grant"]
    )
    def test_oauth_errors_are_auth_whatever_the_status(self, error: str) -> None:
        assert classify(400, {"error": error}) is Category.AUTH

    def test_unknown_oauth_error_falls_back_to_the_status(self) -> None:
        assert classify(400, {"error": "invalid_request"}) is Category.REJECTED


class TestErrorFromResponse:
    @pytest.mark.parametrize(
        ("status", "error_class"),
        [
            (400, Rejected),
            (401, AuthFailed),
            (403, Forbidden),
            (414, UriTooLong),
            (422, Rejected),
            (429, Throttled),
            (500, Retriable),
            (503, Retriable),
        ],
    )
    def test_builds_the_class_of_the_category(self, status: int, error_class: type[LinkedInError]) -> None:
        response = httpx.Response(status, json={"message": "nope", "serviceErrorCode": 100, "status": status})

        error = error_from_response(response, now=NOW)

        assert type(error) is error_class
        assert (error.message, error.status, error.service_error_code) == ("nope", status, 100)

    def test_keeps_linkedins_request_id(self) -> None:
        response = httpx.Response(500, headers={"x-li-uuid": "abc=="}, text="oops")

        error = error_from_response(response, now=NOW)

        assert (error.message, error.request_id) == ("oops", "abc==")

    def test_throttled_is_retriable(self) -> None:
        assert issubclass(Throttled, Retriable)

    def test_day_limit_429_is_marked_daily(self) -> None:
        body = {
            "serviceErrorCode": 101,
            "message": "Resource level throttle limit for calls to this resource is reached.",
            "status": 429,
        }
        minute = error_from_response(httpx.Response(429, json=body), now=NOW)
        day = error_from_response(
            httpx.Response(
                429, json={**body, "message": "APPLICATION DAY limit for calls to this resource is reached."}
            ),
            now=NOW,
        )

        assert isinstance(minute, Throttled)
        assert isinstance(day, Throttled)
        assert (minute.daily_limit, day.daily_limit) == (False, True)
        assert minute.retry_after is None


class TestRetryAfter:
    @pytest.mark.parametrize(
        ("value", "seconds"),
        [
            ("120", 120.0),
            ("1.5", 1.5),
            ("0", 0.0),
            ("-5", 0.0),
            ("Wed, 25 Nov 2026 12:01:30 GMT", 90.0),
            ("Wed, 25 Nov 2026 11:00:00 GMT", 0.0),
            (None, None),
            ("", None),
            ("soon", None),
            ("nan", None),
            ("\u0667", None),  # a digit, in Arabic-Indic script: not what an HTTP header means
            ("Fri, 31 Dec 99999999999 23:59:59 GMT", None),  # no datetime holds it
            ("Mon, 01 Jan 2030 00:00:00 +9999999999999999999999", None),
        ],
    )
    def test_parses_seconds_or_an_http_date(self, value: str | None, seconds: float | None) -> None:
        assert parse_retry_after(value, now=NOW) == seconds


class TestUnreadableBodies:
    def test_json_nested_past_the_parsers_depth_is_no_body(self) -> None:
        nested = httpx.Response(503, content=b"[" * 100_000 + b"]" * 100_000)

        error = error_from_response(nested, now=NOW)

        assert error.status == 503


class TestEntityError:
    def test_keeps_linkedins_message_and_classifies(self) -> None:
        error = EntityError.from_body(
            {
                "status": 422,
                "message": "firstName is required",
                "serviceErrorCode": 100,
                "exceptionClass": "x",
            }
        )

        assert error == EntityError(422, Category.REJECTED, "firstName is required", 100)

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ({"status": 500}, EntityError(500, Category.RETRIABLE, "HTTP 500")),
            ({"status": 429, "message": "slow"}, EntityError(429, Category.THROTTLED, "slow")),
            ({"status": 403, "message": "not yours"}, EntityError(403, Category.FORBIDDEN, "not yours")),
            ({"message": "no status"}, EntityError(500, Category.RETRIABLE, "no status")),
            ("garbage", EntityError(500, Category.RETRIABLE, "HTTP 500")),
        ],
    )
    def test_odd_bodies(self, body: object, expected: EntityError) -> None:
        assert EntityError.from_body(body) == expected
