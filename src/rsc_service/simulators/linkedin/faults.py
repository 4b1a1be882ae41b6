"""Injected faults (5xx, 429, connection reset, two kinds of hang), applied at the ASGI level.

In-process (httpx.ASGITransport) a reset raises `httpx.ReadError` and a hang ends in `httpx.ReadTimeout`,
which is what a real transport raises. Under uvicorn (`server_mode`) a reset starts a response and aborts
the connection, and a hang holds the request, then drops it the same way.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .limits import RESOURCE_MESSAGE
from .world import SimClock

KINDS = {"error", "throttle", "reset", "hang_before", "hang_after"}
_ids = itertools.count(1)


@dataclass
class FaultRule:
    """One fault: what it does, to which requests, and for how long (a duration or a number of hits)."""

    kind: str
    status: int = 503
    retry_after: int | None = None
    share: float = 1.0
    remaining: int | None = None
    until: datetime | None = None
    path_prefix: str = "/"
    methods: list[str] | None = None
    hang_seconds: float | None = None
    rule_id: int = field(default_factory=lambda: next(_ids))
    hits: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.rule_id,
            "kind": self.kind,
            "status": self.status,
            "retryAfter": self.retry_after,
            "share": self.share,
            "remaining": self.remaining,
            "until": self.until.isoformat() if self.until else None,
            "pathPrefix": self.path_prefix,
            "methods": self.methods,
            "hangSeconds": self.hang_seconds,
            "hits": self.hits,
        }


class Faults:
    """The active fault rules; the first matching rule that fires handles a request."""

    def __init__(self, clock: SimClock, seed: int, hang_seconds: float) -> None:
        self.clock = clock
        self.rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not security
        self.rules: list[FaultRule] = []
        self.hang_seconds = hang_seconds
        self.server_mode = False

    def add(self, rule: FaultRule, seconds: float | None = None) -> FaultRule:
        if rule.kind not in KINDS:
            raise ValueError(f"unknown fault kind {rule.kind}")
        if seconds is not None:
            rule.until = self.clock.now() + timedelta(seconds=seconds)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def pick(self, method: str, path: str) -> FaultRule | None:
        now = self.clock.now()
        self.rules = [r for r in self.rules if (r.until is None or r.until > now) and r.remaining != 0]
        for rule in self.rules:
            if not path.startswith(rule.path_prefix) or (rule.methods and method not in rule.methods):
                continue
            if rule.share < 1.0 and self.rng.random() >= rule.share:
                continue
            rule.hits += 1
            if rule.remaining is not None:
                rule.remaining -= 1
            return rule
        return None


async def _json(send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]]) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def _drop(self, send: Send, timed_out: bool) -> None:
        if not self.faults.server_mode:
            if timed_out:
                raise httpx.ReadTimeout("simulated hang: no answer before the client's timeout")
            raise httpx.ReadError("simulated connection reset by peer")
        # Under a real server: promise a body, then abort, so the client sees a broken connection.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]})
        raise ConnectionResetError("simulated connection reset")

    async def _hang(self, rule: FaultRule) -> None:
        await asyncio.sleep(rule.hang_seconds if rule.hang_seconds is not None else self.faults.hang_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sim"):
            await self.app(scope, receive, send)
            return
        rule = self.faults.pick(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        if rule.kind == "error":
            await _json(send, rule.status, {"message": "Internal Server Error", "status": rule.status}, [])
        elif rule.kind == "throttle":
            extra = [(b"retry-after", str(rule.retry_after).encode())] if rule.retry_after is not None else []
            await _json(
                send, 429, {"message": RESOURCE_MESSAGE, "serviceErrorCode": 101, "status": 429}, extra
            )
        elif rule.kind == "reset":
            await self._drop(send, timed_out=False)
        elif rule.kind == "hang_before":
            await self._hang(rule)
            await self._drop(send, timed_out=True)
        else:
            swallowed: list[Message] = []

            async def capture(message: Message) -> None:
                swallowed.append(message)

            await self.app(scope, receive, capture)  # the request is applied; its answer is never sent
            await self._hang(rule)
            await self._drop(send, timed_out=True)
