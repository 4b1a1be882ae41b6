"""Request id, access log line and HTTP metrics; and the limits on what a request may send, before any
route reads it. Pure ASGI middleware."""

from __future__ import annotations

import random
import re
import time

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rsc_service import errors, logs
from rsc_service.web import metrics

log = structlog.get_logger()
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = bytes(value).decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
    # An id to find a request's log lines by, not a secret: the fast generator, not the system's randomness.
    return f"{random.getrandbits(128):032x}"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        logs.clear()
        logs.bind(request_id=request_id)
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if started_response:
                raise
            # Answer here, inside the request-id scope, rather than in Starlette's outer error page.
            await errors.unhandled_response(scope.get("path", ""), exc)(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            method = scope.get("method", "GET")
            metrics.observe_request(method, template, status, elapsed)
            log.info(
                "http.request", method=method, route=template, status=status, ms=round(elapsed * 1000, 1)
            )


class RequestLimitsMiddleware:
    """One body cap for every route, counted as the body streams in (a declared Content-Length over the
    cap is refused before a byte is read), and a cap on the size of the headers
    (docs/architecture.md#16-security)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_headers = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        if sum(len(name) + len(value) + 4 for name, value in headers) > self.max_headers:
            await self._refuse(scope, receive, send, 431, "headers too large")
            return
        over = f"request body over {self.max_body} bytes"
        declared = next((value for name, value in headers if name == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await self._refuse(scope, receive, send, 413, over)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    # An HTTPException, so whichever route is reading answers 413 through the one handler.
                    raise HTTPException(413, over)
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
        response = errors.problem_response(
            status=status,
            code=errors.HTTP_CODES[status],
            detail=detail,
            instance=scope.get("path", ""),
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
