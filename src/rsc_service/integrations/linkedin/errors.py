"""LinkedIn failures: categories from a status table, the exception tree, and per-key batch errors."""

from __future__ import annotations

import email.utils
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar, Final

import httpx


class Category(StrEnum):
    RETRIABLE = "retriable"
    THROTTLED = "throttled"
    REJECTED = "rejected"
    AUTH = "auth"
    FORBIDDEN = "forbidden"
    URI_TOO_LONG = "uri_too_long"


# Statuses not listed fall back by class: 5xx retriable, any other non-2xx rejected.
CATEGORY_BY_STATUS: Final[Mapping[int, Category]] = MappingProxyType(
    {
        400: Category.REJECTED,
        401: Category.AUTH,
        403: Category.FORBIDDEN,
        404: Category.REJECTED,
        408: Category.RETRIABLE,
        409: Category.REJECTED,
        414: Category.URI_TOO_LONG,
        422: Category.REJECTED,
        425: Category.RETRIABLE,
        429: Category.THROTTLED,
    }
)

# The token endpoint answers OAuth-style (`{"error": ...}`), sometimes with 400
# (docs/linkedin.md#authentication).
CATEGORY_BY_OAUTH_ERROR: Final[Mapping[str, Category]] = MappingProxyType(
    {
        "invalid_client": Category.AUTH,
        "unauthorized_client": Category.AUTH,
        "access_denied": Category.AUTH,
        "invalid_grant": Category.AUTH,
    }
)


def classify(status: int, body: object = None) -> Category:
    if isinstance(body, Mapping):
        oauth_error = body.get("error")
        if isinstance(oauth_error, str) and oauth_error in CATEGORY_BY_OAUTH_ERROR:
            return CATEGORY_BY_OAUTH_ERROR[oauth_error]
    if status in CATEGORY_BY_STATUS:
        return CATEGORY_BY_STATUS[status]
    return Category.RETRIABLE if status >= 500 else Category.REJECTED


class LinkedInError(Exception):
    """A LinkedIn call failed as a whole; `status` is None when no answer came back."""

    category: ClassVar[Category] = Category.RETRIABLE

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        service_error_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.service_error_code = service_error_code
        self.request_id = request_id


class Retriable(LinkedInError):
    """5xx, timeouts, connection resets, pool exhaustion: try again later."""


class Throttled(Retriable):
    category = Category.THROTTLED

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        daily_limit: bool = False,
        status: int | None = 429,
        service_error_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, service_error_code=service_error_code, request_id=request_id)
        self.retry_after = retry_after
        self.daily_limit = daily_limit


class Rejected(LinkedInError):
    """LinkedIn refused the request itself; sending it again unchanged fails again."""

    category = Category.REJECTED


class AuthFailed(LinkedInError):
    category = Category.AUTH


class Forbidden(LinkedInError):
    """The whole request was refused with 403: the integration is not enabled or was revoked."""

    category = Category.FORBIDDEN


class UriTooLong(LinkedInError):
    category = Category.URI_TOO_LONG


ERROR_BY_CATEGORY: Final[Mapping[Category, type[LinkedInError]]] = MappingProxyType(
    {
        Category.RETRIABLE: Retriable,
        Category.THROTTLED: Throttled,
        Category.REJECTED: Rejected,
        Category.AUTH: AuthFailed,
        Category.FORBIDDEN: Forbidden,
        Category.URI_TOO_LONG: UriTooLong,
    }
)


@dataclass(frozen=True)
class EntityError:
    """One key's failure inside a batch answered with HTTP 200."""

    status: int
    category: Category
    message: str
    service_error_code: int | None = None

    @classmethod
    def from_body(cls, body: object) -> EntityError:
        fields = body if isinstance(body, Mapping) else {}
        status = fields.get("status")
        status = status if isinstance(status, int) else 500
        return cls(
            status=status,
            category=classify(status, fields),
            message=_message(fields) or f"HTTP {status}",
            service_error_code=_int_or_none(fields.get("serviceErrorCode")),
        )


def error_from_response(response: httpx.Response, *, now: datetime) -> LinkedInError:
    body = _json_or_none(response)
    fields: Mapping[str, object] = body if isinstance(body, Mapping) else {}
    category = classify(response.status_code, fields)
    message = _message(fields) or response.text[:500] or f"HTTP {response.status_code}"
    status = response.status_code
    code = _int_or_none(fields.get("serviceErrorCode"))
    request_id = response.headers.get("x-li-uuid")
    if category is Category.THROTTLED:
        return Throttled(
            message,
            retry_after=parse_retry_after(response.headers.get("Retry-After"), now=now),
            # "...APPLICATION DAY limit for calls to this resource is reached." (docs/linkedin.md#throttles)
            daily_limit="DAY limit" in message,
            status=status,
            service_error_code=code,
            request_id=request_id,
        )
    return ERROR_BY_CATEGORY[category](message, status=status, service_error_code=code, request_id=request_id)


# The Retry-After this client honours: at least a second, at most a day, whatever LinkedIn sends.
RETRY_AFTER_MIN, RETRY_AFTER_MAX = 1.0, 86_400.0


def clamp_retry_after(seconds: float) -> float:
    return min(max(seconds, RETRY_AFTER_MIN), RETRY_AFTER_MAX)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` of seconds or an HTTP date; None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    if not value.isascii():  # float() reads other scripts' digits too; no HTTP header means them
        return None
    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until(value, now=now)
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _seconds_until(http_date: str, *, now: datetime) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(http_date)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    except (TypeError, ValueError, OverflowError):  # not a date, or one no datetime can hold
        return None


def _message(fields: Mapping[str, object]) -> str:
    for name in ("message", "error_description", "error"):
        value = fields.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _json_or_none(response: httpx.Response) -> object:
    try:
        return json.loads(response.content) if response.content else None
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return None
