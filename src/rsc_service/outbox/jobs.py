"""drain_outbox: the loop every replica runs, woken at once by a commit or every `poll` seconds; kept alive
by a supervisor that restarts it when it dies, and watched by a heartbeat that readiness reports."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import structlog

from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.outbox.wake import Wake
from rsc_service.web import metrics

log = structlog.get_logger()


class DrainHealth:
    """When the drain last went round. A drain that has not for `stalled_after` seconds is stalled (a send
    hung, the database unanswering); one that is not running is dead."""

    def __init__(self, *, stalled_after: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.stalled_after = stalled_after
        self._monotonic = monotonic
        self.running = False
        self.failing = False  # the last attempt to drain failed
        self.restarts = 0
        self._last: float | None = None
        self._created = monotonic()
        # Computed when scraped: a drain that stopped going round shows it without anyone asking /readyz.
        metrics.DRAIN_CYCLE_AGE.set_function(self._gauge)

    def beat(self) -> None:
        self._last = self._monotonic()

    def _gauge(self) -> float:
        """Seconds since the drain last went round, or since it was started if it never has."""
        return self._monotonic() - (self._created if self._last is None else self._last)

    def age(self) -> float | None:
        return None if self._last is None else self._monotonic() - self._last

    def problem(self) -> str | None:
        """Why this replica is not ready to drain, or None."""
        if not self.running:
            return "the outbox drain is not running"
        age = self.age()
        if age is not None and age > self.stalled_after:
            return f"the outbox drain has not gone round for {age:.0f} s"
        return None


async def supervise(
    dispatcher: Dispatcher,
    wake: Wake,
    stop: asyncio.Event,
    health: DrainHealth,
    *,
    poll: float,
    fill: float,
    restart_after: float = 1.0,
    max_restart_after: float = 30.0,
) -> None:
    """Run the drain until `stop`. A drain that fails (the database down, a bug) is logged, counted and
    started again after a growing pause; the pause resets once it goes round again."""
    health.running = True
    pause = restart_after
    health.failing = False
    try:
        while not stop.is_set():
            try:
                await drain_outbox(dispatcher, wake, stop, poll=poll, fill=fill, health=health)
            except Exception as error:
                pause = min(pause * 2, max_restart_after) if health.failing else restart_after
                health.failing = True
                health.restarts += 1
                metrics.DRAIN_RESTARTS.inc()
                log.warning(
                    "outbox.drain_failed",
                    error_type=type(error).__name__,
                    restarts=health.restarts,
                    retry_in=pause,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=pause)
    finally:
        health.running = False


async def drain_outbox(
    dispatcher: Dispatcher,
    wake: Wake,
    stop: asyncio.Event,
    *,
    poll: float,
    fill: float,
    health: DrainHealth | None = None,
) -> None:
    """Drain until `stop` is set; a failed drain raises (supervise() starts it again). A woken drain first
    lets a live batch fill for `fill` seconds (docs/architecture.md#13-latency: at most 200 ms)."""
    while not stop.is_set():
        if health is not None:
            health.beat()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.event.wait(), timeout=poll)
        if wake.event.is_set() and fill:
            await asyncio.sleep(fill)
        wake.event.clear()
        while True:
            counts = await dispatcher.drain_once()
            if health is not None:
                health.beat()
                health.failing = False
            if counts.claimed == 0 and counts.sent == 0:
                break
