"""Test doubles for the fake ATS's tests: a settable clock and an in-process webhook receiver."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

TOKEN = "tenant-token"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HOOK_URL = "http://service.test/v1/webhooks/ats/tenant-1"


@dataclass
class Clock:
    now: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Receiver:
    """Records every webhook request; answers each with the next queued status (202 when none is left)."""

    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    app: FastAPI = field(default_factory=FastAPI)

    def __post_init__(self) -> None:
        self.app.add_api_route("/v1/webhooks/ats/{tenant}", self._receive, methods=["POST"])

    async def _receive(self, request: Request) -> Response:
        self.requests.append((dict(request.headers), await request.body()))
        self.arrived.append(time.monotonic())
        status = self.statuses.pop(0) if self.statuses else 202
        return Response(status_code=status)

    @property
    def event_ids(self) -> list[str]:
        return [headers["webhook-id"] for headers, _ in self.requests]
