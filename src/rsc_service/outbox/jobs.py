"""drain_outbox: the loop every replica runs, woken at once by a commit or every `poll` seconds."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.outbox.wake import Wake

log = structlog.get_logger()


async def drain_outbox(
    dispatcher: Dispatcher, wake: Wake, stop: asyncio.Event, *, poll: float, fill: float
) -> None:
    """Drain until `stop` is set. A woken drain first lets a live batch fill for `fill` seconds
    (docs/architecture.md#13-latency: at most 200 ms)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.event.wait(), timeout=poll)
        if wake.event.is_set() and fill:
            await asyncio.sleep(fill)
        wake.event.clear()
        await _drain(dispatcher)


async def _drain(dispatcher: Dispatcher) -> None:
    while True:
        try:
            counts = await dispatcher.drain_once()
        except Exception:
            log.exception("outbox.drain_failed")
            return
        if counts.claimed == 0 and counts.sent == 0:
            return
