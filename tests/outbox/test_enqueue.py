"""enqueue(): one row per key, a new revision only when the payload changes, settled rows due again."""

from __future__ import annotations

from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Intent, Op, State
from tests.conftest import FrozenClock
from tests.factories import make_tenant


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
            await outbox_service.enqueue(
                session, tenant_id=tenant.id, intent=_intent("A"), source_version=1, now=clock()
            )
            again = await outbox_service.enqueue(
                session, tenant_id=tenant.id, intent=_intent("A"), source_version=2, now=clock()
            )
            rows = (await session.scalars(select(OutboxMessage))).all()

        assert len(rows) == 1
        assert (again.revision, again.source_version, again.state) == (1, 2, State.PENDING)

    async def test_a_changed_payload_bumps_the_revision_and_a_done_row_is_due_again(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            row = await outbox_service.enqueue(
                session, tenant_id=tenant.id, intent=_intent("A"), source_version=1, now=clock()
            )
            row.state, row.sent_revision, row.attempts, row.last_error = State.DONE, 1, 1, "old"
            later = clock.advance(minutes=5)
            row = await outbox_service.enqueue(
                session, tenant_id=tenant.id, intent=_intent("B"), source_version=2, now=later
            )

        assert (row.revision, row.state, row.attempts, row.last_error) == (2, State.PENDING, 0, None)
        assert row.next_attempt_at == later
        assert row.payload == {"currentTitle": "B"}

    async def test_an_inflight_row_keeps_its_lease_and_gets_the_new_revision(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            row = await outbox_service.enqueue(
                session, tenant_id=tenant.id, intent=_intent("A"), source_version=1, now=clock()
            )
            row.state, row.sent_revision = State.INFLIGHT, 1
            row = await outbox_service.enqueue(
                session, tenant_id=tenant.id, intent=_intent("", Op.DELETE), source_version=2, now=clock()
            )

        assert (row.state, row.revision, row.sent_revision, row.op) == (State.INFLIGHT, 2, 1, Op.DELETE)
        assert row.payload is None

    async def test_rows_are_per_tenant(self, ctx: AppContext, clock: FrozenClock) -> None:
        async with ctx.sessionmaker.begin() as session:
            first = (await make_tenant(session, ctx)).tenant
            second = (await make_tenant(session, ctx)).tenant
            for tenant in (first, second):
                await outbox_service.enqueue(
                    session, tenant_id=tenant.id, intent=_intent("A"), source_version=1, now=clock()
                )
            mine = await outbox_service.list_messages(session, tenant_id=first.id)
            depth = await outbox_service.depth(session, tenant_id=second.id)

        assert [m.tenant_id for m in mine] == [first.id]
        assert depth == {"pending": 1}
