"""A worker re-checks its lease right before a batch goes out, renewing it for the request
(docs/architecture.md#4-the-outbox): a claim's lease that runs out while a batch waits (for its turn among the
claim's batches, for LinkedIn's budget, for a slow answer) never lets another replica send a newer revision
that the first one's older write then overwrites at LinkedIn, and a row another replica took over meanwhile
is left out of the batch."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import insert, update

from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInApp
from rsc_service.outbox.dispatcher import Dispatcher, DispatchSettings
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.outbox.sending import Item, Send, Sent, Target
from rsc_service.tenants.apps import TenantApp
from tests.conftest import FrozenClock
from tests.factories import make_tenant
from tests.outbox.fakes import messages, row


class LinkedIn:
    """One resource, "records"; LinkedIn holds the last payload written for each key and every write is kept
    in order. `slow` makes the next batch block in the sender (a wait for the shared budget) until released;
    `took` is how long each other batch takes (a budget wait, then LinkedIn's answer)."""

    def __init__(self, clock: FrozenClock, *, took: float = 0) -> None:
        self.clock = clock
        self.took = took
        self.writes: list[tuple[str, Any]] = []
        self.calls = 0
        self.slow_call: int | None = None
        self.waiting = asyncio.Event()
        self.granted = asyncio.Event()

    @property
    def held(self) -> dict[str, Any]:
        return dict(self.writes)

    def knows(self, resource: str) -> bool:
        return resource == "records"

    def tier(self, resource: str) -> int:
        return 0

    def parent_in_url(self, resource: str) -> bool:
        return True

    def sender(self, resource: str) -> Send:
        async def send(target: Target, items: Sequence[Item]) -> Sent:
            self.calls += 1
            if self.calls == self.slow_call:
                self.waiting.set()
                await self.granted.wait()
            else:
                self.clock.advance(seconds=self.took)
            self.writes += list(items)
            return Sent(ok={key: None for key, _ in items})

        return send


def _dispatcher(
    ctx: AppContext,
    clock: FrozenClock,
    linkedin: LinkedIn,
    *,
    per_tenant: int = 1000,
    app_asked: asyncio.Event | None = None,
    app_ready: asyncio.Event | None = None,
) -> Dispatcher:
    async def app_for(tenant_id: uuid.UUID) -> TenantApp:
        if app_asked is not None and app_ready is not None:
            app_asked.set()
            await app_ready.wait()
        return TenantApp(cast(LinkedInApp, None), "urn:li:organization:1")

    async def now() -> datetime:
        return clock()

    # The shipped lease (120 s); one batch in flight at a time on this replica.
    settings = DispatchSettings(concurrency=1, per_tenant=per_tenant)
    return Dispatcher(ctx.sessionmaker, routes=linkedin, app_for=app_for, now=now, settings=settings)


async def _new_revision(ctx: AppContext, tenant_id: uuid.UUID, key: str) -> None:
    """The ATS changed the record: a newer revision of the row in flight (which keeps its lease)."""
    async with ctx.sessionmaker.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.tenant_id == tenant_id, OutboxMessage.key == key)
            .values(revision=OutboxMessage.revision + 1, payload={"v": 2})
        )


async def test_a_batch_whose_claim_lease_ran_out_while_it_waited_never_overwrites_a_newer_write(
    ctx: AppContext, clock: FrozenClock
) -> None:
    linkedin = LinkedIn(clock, took=55)  # a 25 s budget wait, then a 30 s answer: within the timeout
    linkedin.slow_call = 3  # the claim's third batch gets its turn 110 s in, then waits for the budget
    tenants: list[uuid.UUID] = []
    async with ctx.sessionmaker.begin() as session:
        for index in range(3):  # three tenants: three batches in one claim
            tenant = (await make_tenant(session, ctx)).tenant
            tenants.append(tenant.id)
            await session.execute(
                insert(OutboxMessage), [row(tenant.id, "records", f"r{index}", clock(), payload={"v": 1})]
            )
    replica_a = _dispatcher(ctx, clock, linkedin)
    replica_b = _dispatcher(ctx, clock, linkedin)

    first = asyncio.create_task(replica_a.drain_once())
    await asyncio.wait_for(linkedin.waiting.wait(), 5)
    slow_key = next(key for key in ("r0", "r1", "r2") if key not in linkedin.held)
    slow_tenant = tenants[int(slow_key[1:])]
    await _new_revision(ctx, slow_tenant, slow_key)
    clock.advance(seconds=25)  # 135 s after the claim: past the claim's lease, not past the renewed one
    taken_over = await replica_b.drain_once()
    linkedin.granted.set()
    await asyncio.wait_for(first, 5)
    while (await replica_a.drain_once()).claimed:  # then whatever is still owed goes
        pass

    stored = (await messages(ctx, slow_tenant))[slow_key]
    assert [payload for key, payload in linkedin.writes if key == slow_key] == [{"v": 1}, {"v": 2}]
    assert linkedin.held[slow_key] == {"v": 2}
    assert (stored.state, stored.sent_revision) == (State.DONE, 2)
    assert taken_over.claimed == 0  # the row's lease was renewed as its batch went


async def test_a_row_another_replica_took_over_before_its_batch_went_is_left_out_of_it(
    ctx: AppContext, clock: FrozenClock
) -> None:
    linkedin = LinkedIn(clock)
    async with ctx.sessionmaker.begin() as session:
        tenant_id = (await make_tenant(session, ctx)).tenant.id
        await session.execute(
            insert(OutboxMessage),
            [row(tenant_id, "records", key, clock(), payload={"v": 1}) for key in ("r1", "r2")],
        )
    app_asked, app_ready = asyncio.Event(), asyncio.Event()
    # Replica A claims both rows, then is slow to get the tenant's app (its secret read and decrypted).
    replica_a = _dispatcher(ctx, clock, linkedin, app_asked=app_asked, app_ready=app_ready)
    replica_b = _dispatcher(ctx, clock, linkedin, per_tenant=1)

    first = asyncio.create_task(replica_a.drain_once())
    await asyncio.wait_for(app_asked.wait(), 5)
    await _new_revision(ctx, tenant_id, "r1")
    clock.advance(seconds=125)  # A's claim's lease ran out: replica B takes r1 over and sends version 2
    taken_over = await replica_b.drain_once()
    app_ready.set()
    counts = await asyncio.wait_for(first, 5)

    stored = await messages(ctx, tenant_id)
    assert (taken_over.claimed, taken_over.sent) == (1, 1)
    assert linkedin.writes == [("r1", {"v": 2}), ("r2", {"v": 1})]  # A sent r2 alone
    assert (counts.claimed, counts.sent) == (2, 1)
    assert {key: (m.state, m.sent_revision) for key, m in stored.items()} == {
        "r1": (State.DONE, 2),
        "r2": (State.DONE, 1),
    }
