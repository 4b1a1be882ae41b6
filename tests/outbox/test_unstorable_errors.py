"""What LinkedIn (or a proxy before it) answers is quoted in the row's last error; bytes the database cannot
store (a NUL, a lone surrogate from a JSON escape) are replaced, so the row's failure is recorded and counted
like any other instead of failing every pass that settles it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import errors
from rsc_service.outbox.ops import State
from rsc_service.outbox.sending import Item, Send, Sent, Target
from tests.conftest import FrozenClock
from tests.outbox import fakes

GARBLED = [
    httpx.Response(502, content=b"<html>\x00\x01 upstream reset</html>"),  # not JSON: its text is quoted
    httpx.Response(  # JSON's escapes for a NUL and a lone surrogate
        500,
        headers={"content-type": "application/json"},
        content=b'{"message": "bad \\u0000 value \\ud800", "status": 500}',
    ),
]


class Garbled(fakes.ParentsAndChildren):
    """LinkedIn answers a garbled error for the parent `poison`; everything else lands."""

    def __init__(self, answer: httpx.Response) -> None:
        super().__init__()
        self.answer = answer
        self.poisoned = 0

    def sender(self, resource: str) -> Send:
        plain = super().sender(resource)

        async def send(target: Target, items: Sequence[Item]) -> Sent:
            if any(key == "poison" for key, _ in items):
                self.poisoned += 1
                raise errors.error_from_response(self.answer, now=datetime.now(UTC))
            return await plain(target, items)

        return send


@pytest.mark.parametrize("answer", GARBLED, ids=["nul-in-text", "escapes-in-json"])
async def test_the_failure_is_recorded_and_the_row_gives_up_in_time(
    ctx: AppContext, clock: FrozenClock, answer: httpx.Response
) -> None:
    tenant_id = await fakes.owing(ctx, clock, [("parents", "poison", [])])
    other = await fakes.owing(ctx, clock, [("children", "c_other", [])])
    routes = Garbled(answer)
    dispatcher = fakes.dispatcher(ctx, clock, routes)

    await dispatcher.drain_once()  # no pass fails
    row = (await fakes.messages(ctx, tenant_id))["poison"]
    assert (row.state, row.attempts) == (State.PENDING, 1)
    assert row.last_error is not None and "\x00" not in row.last_error and "\ufffd" in row.last_error
    assert (await fakes.messages(ctx, other))["c_other"].state == State.DONE  # another tenant's row went

    for _ in range(8):  # retried until the give-up budget (24 h) runs out
        clock.advance(hours=4)
        await dispatcher.drain_once()
    row = (await fakes.messages(ctx, tenant_id))["poison"]
    assert row.state == State.DEAD
    assert row.failing_since is not None and clock() - row.failing_since >= timedelta(hours=24)
