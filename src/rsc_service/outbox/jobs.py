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
    """When the drain last went round, and whether it keeps failing. A pass counts only once it completes:
    a drain that has not completed one for `stalled_after` seconds (since it started, if it never has) is
    stalled (a send hung, the database unanswering); one whose last `fail_after` attempts all failed is
    failing; one that is not running is dead."""

    def __init__(
        self,
        *,
        stalled_after: float,
        fail_after: int = 3,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stalled_after = stalled_after
        self.fail_after = fail_after
        self._monotonic = monotonic
        self.running = False
        self.failures = 0  # attempts failed in a row since the drain last went round
        self.last_error: str | None = None  # the type of the last failure, for readiness
        self.restarts = 0
        self._last: float | None = None
        self._created = monotonic()
        # Computed when scraped: a drain that stopped going round shows it without anyone asking /readyz.
        metrics.DRAIN_CYCLE_AGE.set_function(self._gauge)

    def beat(self) -> None:
        """A pass completed."""
        self._last = self._monotonic()
        self.failures = 0

    def failed(self, error: BaseException) -> None:
        """An attempt to drain failed (and is to be restarted)."""
        self.failures += 1
        self.restarts += 1
        self.last_error = type(error).__name__

    @property
    def failing(self) -> bool:
        """The last attempt to drain failed."""
        return self.failures > 0

    def _gauge(self) -> float:
        """Seconds since the drain last went round, or since it was started if it never has."""
        return self._monotonic() - (self._created if self._last is None else self._last)

    def age(self) -> float | None:
        return None if self._last is None else self._monotonic() - self._last

    def problem(self) -> str | None:
        """Why this replica is not ready to drain, or None."""
        if not self.running:
            return "the outbox drain is not running"
        if self.failures >= self.fail_after:
            return f"the outbox drain has failed {self.failures} times in a row ({self.last_error})"
        age = self._gauge()
        if age > self.stalled_after:
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
    health.failures = 0
    try:
        while not stop.is_set():
            try:
                await drain_outbox(dispatcher, wake, stop, poll=poll, fill=fill, health=health)
            except Exception as error:
                pause = min(pause * 2, max_restart_after) if health.failing else restart_after
                health.failed(error)
                metrics.DRAIN_RESTARTS.inc()
                # The cause in full (type, message, traceback), through the log processors' redaction.
                log.warning(
                    "outbox.drain_failed",
                    error_type=type(error).__name__,
                    error=str(error),
                    failures=health.failures,
                    restarts=health.restarts,
                    retry_in=pause,
                    exc_info=error,
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
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.event.wait(), timeout=poll)
        if wake.event.is_set() and fill:
            await asyncio.sleep(fill)
        wake.event.clear()
        while True:
            counts = await dispatcher.drain_once()
            if health is not None:
                health.beat()  # only a pass that completed counts as going round
            if counts.claimed == 0 and counts.sent == 0:
                break
