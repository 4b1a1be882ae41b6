"""A pass that fails unexpectedly gives back the rows it still holds at once: pending, due, the attempt not
counted, rather than in flight until the lease runs out (the rows it settled stay settled)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from rsc_service.context import AppContext
from rsc_service.outbox import repository
from rsc_service.outbox.dispatcher import Counts
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from tests.conftest import FrozenClock
from tests.factories import make_tenant
from tests.outbox import fakes


async def test_a_pass_that_fails_gives_back_the_rows_it_still_holds(
    ctx: AppContext, clock: FrozenClock
) -> None:
    async with ctx.sessionmaker.begin() as session:
        tenant = (await make_tenant(session, ctx)).tenant
        await session.execute(
            insert(OutboxMessage),
            [
                fakes.row(tenant.id, "parents", "p1", clock()),
                fakes.row(tenant.id, "children", "c1", clock(), depends_on=["parents:p1"]),
            ],
        )
    failures = [RuntimeError("the metrics backend is gone")]

    def on_batch(resource: str, counts: Counts) -> None:  # a bug, once the parents' batch has settled
        if failures:
            raise failures.pop()

    routes = fakes.ParentsAndChildren()
    dispatcher = fakes.dispatcher(ctx, clock, routes, on_batch=on_batch)

    with pytest.raises(RuntimeError, match="the metrics backend is gone"):
        await dispatcher.drain_once()
    async with ctx.sessionmaker() as session:
        after_failure = {row.key: row for row in await repository.list_messages(session, tenant_id=tenant.id)}
    await dispatcher.drain_once()  # the next pass, without waiting for the lease to run out
    async with ctx.sessionmaker() as session:
        after_next = {
            row.key: row.state for row in await repository.list_messages(session, tenant_id=tenant.id)
        }

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
