"""LinkedIn-shaped error bodies: `{"message", "serviceErrorCode", "status"}` with the Rest.li error header."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

THROTTLE_CODE = 101
PERMISSION_CODE = 100


class RestliError(Exception):
    """A request-level failure, rendered as LinkedIn renders it."""

    def __init__(
        self,
        status: int,
        message: str,
        service_error_code: int | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.service_error_code = service_error_code if service_error_code is not None else status
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "serviceErrorCode": self.service_error_code,
            "status": self.status,
        } | (self.extra)

    def response(self) -> JSONResponse:
        headers = {"X-RestLi-Error-Response": "true"} | self.headers
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


class OAuthError(Exception):
    """An OAuth endpoint failure, rendered OAuth-style (`error`, `error_description`)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": self.error, "error_description": self.description}, status_code=self.status
        )


def entity_error(status: int, message: str) -> dict[str, Any]:
    """A per-key error inside a batch response's `errors` map."""
    return {"status": status, "message": message}
