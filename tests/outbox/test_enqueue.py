"""enqueue(): one row per key, a new revision only when the payload changes, settled rows due again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Intent, Op, State
from rsc_service.tenants.models import Tenant
from tests.conftest import FrozenClock
from tests.factories import make_tenant


async def _enqueue(
    session: AsyncSession, tenant: Tenant, intent: Intent, *, version: int, now: datetime
) -> OutboxMessage:
    """Enqueue one intent, and the row as the session now holds it."""
    await outbox_service.enqueue(session, [outbox_service.Owed(tenant.id, [intent], version)], now=now)
    row = await session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.tenant_id == tenant.id,
            OutboxMessage.resource == intent.resource,
            OutboxMessage.key == intent.key,
        )
    )
    assert row is not None
    return row


def _intent(title: str, op: Op = Op.UPSERT) -> Intent:
    return Intent(
        resource="atsCandidates",
        key="cand_1",
        op=op,
        payload=None if op is Op.DELETE else {"currentTitle": title},
        depends_on=(),
    )


class TestEnqueue:
    async def test_same_payload_twice_is_one_revision(self, ctx: AppContext, clock: FrozenClock) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            await _enqueue(session, tenant, _intent("A"), version=1, now=clock())
            again = await _enqueue(session, tenant, _intent("A"), version=2, now=clock())
            rows = (await session.scalars(select(OutboxMessage))).all()

        assert len(rows) == 1
        assert (again.revision, again.source_version, again.state) == (1, 2, State.PENDING)

    async def test_a_changed_payload_bumps_the_revision_and_a_done_row_is_due_again(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            row = await _enqueue(session, tenant, _intent("A"), version=1, now=clock())
            row.state, row.sent_revision, row.attempts, row.last_error = State.DONE, 1, 1, "old"
            later = clock.advance(minutes=5)
            row = await _enqueue(session, tenant, _intent("B"), version=2, now=later)

        assert (row.revision, row.state, row.attempts, row.last_error) == (2, State.PENDING, 0, None)
        assert row.next_attempt_at == later
        assert row.payload == {"currentTitle": "B"}

    async def test_an_inflight_row_keeps_its_lease_and_gets_the_new_revision(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            row = await _enqueue(session, tenant, _intent("A"), version=1, now=clock())
            row.state, row.sent_revision = State.INFLIGHT, 1
            row = await _enqueue(session, tenant, _intent("", Op.DELETE), version=2, now=clock())

        assert (row.state, row.revision, row.sent_revision, row.op) == (State.INFLIGHT, 2, 1, Op.DELETE)
        assert row.payload is None

    async def test_rows_are_per_tenant(self, ctx: AppContext, clock: FrozenClock) -> None:
        async with ctx.sessionmaker.begin() as session:
            first = (await make_tenant(session, ctx)).tenant
            second = (await make_tenant(session, ctx)).tenant
            for tenant in (first, second):
                await _enqueue(session, tenant, _intent("A"), version=1, now=clock())
            mine = await outbox_service.list_messages(session, tenant_id=first.id)
            depth = await outbox_service.depth(session, tenant_id=second.id)

        assert [m.tenant_id for m in mine] == [first.id]
        assert depth == {"pending": 1}

    async def test_a_refused_intent_is_a_dead_letter_at_once_with_its_reason(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        refused = Intent("atsApplications", "app_1", Op.UPSERT, None, refused="atsApplications app_1: no")
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            row = await _enqueue(session, tenant, refused, version=1, now=clock())
            first = (row.state, row.last_error, row.payload, row.revision)
            again = await _enqueue(session, tenant, refused, version=2, now=clock())
            second = (again.state, again.revision)

        assert first == (State.DEAD, "atsApplications app_1: no", None, 1)
        assert second == (State.DEAD, 1)  # refused again for the same reason: nothing new

    async def test_a_refused_revision_of_a_landed_row_is_dead_and_a_fixed_one_pending(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            row = await _enqueue(session, tenant, _intent("A"), version=1, now=clock())
            row.state, row.sent_revision = State.DONE, 1
            refused = Intent("atsCandidates", "cand_1", Op.UPSERT, None, refused="cand_1 cannot be sent")
            row = await _enqueue(session, tenant, refused, version=2, now=clock())
            dead = (row.state, row.revision, row.payload, row.last_error)
            row = await _enqueue(session, tenant, _intent("B"), version=3, now=clock())

        assert dead == (State.DEAD, 2, None, "cand_1 cannot be sent")
        assert (row.state, row.revision, row.last_error) == (State.PENDING, 3, None)

    async def test_a_refused_revision_of_an_inflight_row_keeps_the_lease(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            row = await _enqueue(session, tenant, _intent("A"), version=1, now=clock())
            row.state, row.sent_revision = State.INFLIGHT, 1
            refused = Intent("atsCandidates", "cand_1", Op.UPSERT, None, refused="cand_1 cannot be sent")
            row = await _enqueue(session, tenant, refused, version=2, now=clock())

        # Its settle will find revision 2 > 1 and leave it pending; the dispatcher then refuses to send it.
        assert (row.state, row.revision, row.payload, row.last_error) == (
            State.INFLIGHT,
            2,
            None,
            "cand_1 cannot be sent",
        )
