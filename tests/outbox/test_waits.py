"""A row waiting for a record the service never received says so, gives up after the give-up budget as a
dead letter naming it, and is released (with what waited for it in turn) when that record arrives at last,
whether or not the record's arrival re-owes it (docs/architecture.md#11-retries-and-dead-letters)."""

from __future__ import annotations

from datetime import timedelta

from rsc_service.context import AppContext
from rsc_service.outbox import service
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Intent, Op, State
from tests.conftest import FrozenClock
from tests.outbox import fakes


async def test_a_never_received_parent_gives_up_in_a_day_and_releases_when_it_arrives(
    ctx: AppContext, clock: FrozenClock
) -> None:
    tenant_id = await fakes.owing(
        ctx, clock, [("children", "c1", ["parents:p_lost"]), ("children", "c2", ["children:c1"])]
    )
    routes = fakes.ParentsAndChildren()
    dispatcher = fakes.dispatcher(ctx, clock, routes)

    async def rows() -> dict[str, OutboxMessage]:
        return await fakes.messages(ctx, tenant_id)

    await dispatcher.drain_once()
    first = await rows()
    clock.advance(hours=23, minutes=59)
    await dispatcher.drain_once()
    before_budget = await rows()
    clock.advance(minutes=1)
    await dispatcher.drain_once()
    clock.advance(seconds=1)
    await dispatcher.drain_once()  # c2 sees its parent dead
    gave_up = await rows()
    async with ctx.sessionmaker.begin() as session:  # the lost record arrives at last, re-owing nothing else
        await service.enqueue(
            session,
            [
                service.Owed(
                    tenant_id, [Intent("parents", "p_lost", Op.UPSERT, {"name": "p"})], source_version=1
                )
            ],
            now=clock(),
        )
    for _ in range(4):
        await dispatcher.drain_once()
        clock.advance(seconds=1)
    after = await rows()

    c1 = first["c1"]
    assert (c1.state, c1.attempts, c1.failing_since) == (
        State.PENDING,
        0,
        clock() - timedelta(hours=24, seconds=5),
    )
    assert c1.last_error == "waiting for parents:p_lost, which was never received"
    assert first["c2"].last_error == "waiting for children:c1 to land"
    assert before_budget["c1"].state == State.PENDING
    c1 = gave_up["c1"]
    assert (c1.state, c1.blocked_by) == (State.DEAD, "parents:p_lost")
    assert c1.last_error == "gave up after 24 h waiting for parents:p_lost, which was never received"
    assert (gave_up["c2"].state, gave_up["c2"].blocked_by) == (State.DEAD, "children:c1")
    assert {key: (row.state, row.last_error, row.failing_since) for key, row in after.items()} == {
        "p_lost": (State.DONE, None, None),
        "c1": (State.DONE, None, None),
        "c2": (State.DONE, None, None),
    }
    assert routes.sent == [("parents", "p_lost"), ("children", "c1"), ("children", "c2")]
