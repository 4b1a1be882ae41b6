"""A pass that fails unexpectedly gives back the rows it still holds at once: pending, due, the attempt not
counted, rather than in flight until the lease runs out (the rows it settled stay settled)."""

from __future__ import annotations

import pytest

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Counts
from rsc_service.outbox.ops import State
from tests.conftest import FrozenClock
from tests.outbox import fakes


async def test_a_pass_that_fails_gives_back_the_rows_it_still_holds(
    ctx: AppContext, clock: FrozenClock
) -> None:
    tenant_id = await fakes.owing(ctx, clock, [("parents", "p1", []), ("children", "c1", ["parents:p1"])])
    failures = [RuntimeError("the metrics backend is gone")]

    def on_batch(resource: str, counts: Counts) -> None:  # a bug, once the parents' batch has settled
        if failures:
            raise failures.pop()

    routes = fakes.ParentsAndChildren()
    dispatcher = fakes.dispatcher(ctx, clock, routes, on_batch=on_batch)

    with pytest.raises(RuntimeError, match="the metrics backend is gone"):
        await dispatcher.drain_once()
    after_failure = await fakes.messages(ctx, tenant_id)
    await dispatcher.drain_once()  # the next pass, without waiting for the lease to run out
    after_next = {key: row.state for key, row in (await fakes.messages(ctx, tenant_id)).items()}

    assert after_failure["p1"].state == State.DONE  # settled before the failure: stays settled
    child = after_failure["c1"]
    assert (child.state, child.attempts, child.lease_token, child.leased_until) == (
        State.PENDING,
        0,
        None,
        None,
    )
    assert child.next_attempt_at <= clock()
    assert after_next == {"p1": State.DONE, "c1": State.DONE}
    assert routes.sent == [("parents", "p1"), ("children", "c1")]
