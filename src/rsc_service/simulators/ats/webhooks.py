"""Signed webhook delivery from the fake ATS: Standard Webhooks retries, plus injectable faults."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field
from standardwebhooks import Webhook

from rsc_service.simulators.ats.records import iso

State = Literal["pending", "held", "delivered", "failed", "dropped"]
# Answers that end a delivery at once: 404 is an unknown tenant (permanent, per the contract) and
# 410 Gone asks the sender to stop (Standard Webhooks).
_FINAL = frozenset({404, 410})


class Faults(BaseModel):
    """Share of events to drop, send twice, send late, or let later events overtake (0..1 each)."""

    drop: float = Field(default=0.0, ge=0, le=1)
    duplicate: float = Field(default=0.0, ge=0, le=1)
    delay: float = Field(default=0.0, ge=0, le=1)
    delay_seconds: float = Field(default=1.0, ge=0)
    reorder: float = Field(default=0.0, ge=0, le=1)
    reorder_seconds: float = Field(default=0.05, ge=0, description="How long an overtaken event waits")
    seed: int = 0


@dataclass
class Attempt:
    at: str
    status: int | None
    error: str | None = None


@dataclass
class Delivery:
    number: int
    event_id: str
    event_type: str
    body: bytes
    copy: int = 0
    state: State = "pending"
    attempts: list[Attempt] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "copy": self.copy,
            "state": self.state,
            "attempts": [attempt.__dict__ for attempt in self.attempts],
        }


class WebhookSender:
    def __init__(
        self,
        *,
        url: str | None,
        secrets: Sequence[str],
        schedule: Sequence[float],
        scale: float,
        clock: Callable[[], datetime],
        http: httpx.AsyncClient | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.url = url
        self.secrets = list(secrets)
        self.schedule = list(schedule) or [0.0]
        self.scale = scale
        self.clock = clock
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self.deliveries: list[Delivery] = []
        self.faults = Faults()
        self.paused = False
        self._rng = random.Random(0)  # noqa: S311 - fault injection, not security
        self._http = http
        self._owns_http = http is None
        self._queue: list[tuple[float, int, Delivery]] = []
        self._held: list[Delivery] = []
        self._outstanding = 0
        self._wake: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None

    # --- configuration -----------------------------------------------------------------------------

    def configure(self, *, url: str | None, secrets: Sequence[str]) -> None:
        self.url = url
        self.secrets = list(secrets)

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)  # noqa: S311 - fault injection, not security

    def pause(self) -> None:
        self.paused = True

    def release(self, order: Literal["fifo", "reverse", "shuffle"] = "fifo") -> int:
        """Let held deliveries go, in the given order; returns how many."""
        held, self._held = self._held, []
        if order == "reverse":
            held.reverse()
        elif order == "shuffle":
            self._rng.shuffle(held)
        self.paused = False
        for delivery in held:
            delivery.state = "pending"
            self._schedule(delivery, 0.0)
        return len(held)

    # --- intake ------------------------------------------------------------------------------------

    def enqueue(self, event: dict[str, Any]) -> None:
        """World listener: queue one event for delivery (with whatever faults are switched on)."""
        self.events.append(event)
        if not self.url or not self.secrets:
            return
        body = json.dumps(event, separators=(",", ":")).encode()
        delivery = self._new(event, body, copy=0)
        faults, roll = self.faults, self._rng.random
        if faults.drop and roll() < faults.drop:
            delivery.state = "dropped"
            return
        extra = 0.0
        if faults.delay and roll() < faults.delay:
            extra += faults.delay_seconds
        if faults.reorder and roll() < faults.reorder:
            extra += faults.reorder_seconds
        self._admit(delivery, extra)
        if faults.duplicate and roll() < faults.duplicate:
            self._admit(self._new(event, body, copy=1), extra)

    def _new(self, event: dict[str, Any], body: bytes, *, copy: int) -> Delivery:
        delivery = Delivery(len(self.deliveries) + 1, event["id"], event["type"], body, copy=copy)
        self.deliveries.append(delivery)
        return delivery

    def _admit(self, delivery: Delivery, delay: float) -> None:
        self._outstanding += 1
        if self._idle is not None:
            self._idle.clear()
        if self.paused:
            delivery.state = "held"
            self._held.append(delivery)
            return
        self._schedule(delivery, delay)

    def _schedule(self, delivery: Delivery, delay: float) -> None:
        due = self._loop_time() + delay
        heapq.heappush(self._queue, (due, delivery.number, delivery))
        self._ensure_worker()
        if self._wake is not None:
            self._wake.set()

    # --- delivery ----------------------------------------------------------------------------------

    async def flush(self, within: float = 10.0) -> bool:
        """Wait until every queued delivery has succeeded or given up; False on timeout."""
        self._ensure_worker()
        if self._outstanding == 0:
            return True
        assert self._idle is not None
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    def _loop_time(self) -> float:
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:
            return 0.0  # queued before any loop runs: due at once when the worker starts

    def _ensure_worker(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._worker is None or self._worker.done() or self._worker.get_loop() is not loop:
            self._wake, self._idle = asyncio.Event(), asyncio.Event()
            if self._outstanding == 0:
                self._idle.set()
            self._worker = loop.create_task(self._run(), name="ats-sim-webhooks")

    async def _run(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            if not self._queue:
                await self._wake.wait()
                continue
            due = self._queue[0][0]
            wait = due - loop.time()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                continue
            _, _, delivery = heapq.heappop(self._queue)
            await self._attempt(delivery)

    async def _attempt(self, delivery: Delivery) -> None:
        now = self.clock().astimezone(UTC)
        status, error, retry_after = await self._post(delivery, now)
        delivery.attempts.append(Attempt(at=iso(now), status=status, error=error))
        if status is not None and 200 <= status < 300:
            self._finish(delivery, "delivered")
        elif status in _FINAL or len(delivery.attempts) >= len(self.schedule):
            self._finish(delivery, "failed")
        else:
            wait = max(self.schedule[len(delivery.attempts)], retry_after)
            self._schedule(delivery, wait * self.scale)

    async def _post(self, delivery: Delivery, now: datetime) -> tuple[int | None, str | None, float]:
        assert self.url is not None
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout)  # the http passed in keeps its own timeouts
        data = delivery.body.decode()
        signature = " ".join(Webhook(secret).sign(delivery.event_id, now, data) for secret in self.secrets)
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.event_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        try:
            response = await self._http.post(self.url, content=delivery.body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:300], 0.0
        retry_after = response.headers.get("retry-after", "")
        wait = float(retry_after) if retry_after.isdigit() else 0.0
        error = None if response.is_success else response.text[:300]
        return response.status_code, error, wait

    def _finish(self, delivery: Delivery, state: State) -> None:
        delivery.state = state
        self._outstanding -= 1
        if self._outstanding == 0 and self._idle is not None:
            self._idle.set()
