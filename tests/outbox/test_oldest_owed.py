"""The oldest owed change in sync health and `rsc_outbox_oldest_age_seconds`, which the on-call alert on an
outbox message older than 15 minutes reads (docs/architecture.md#20-operations): a row is owed since it
became owed, however often it was claimed and retried since."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.integrations.linkedin.errors import Category, EntityError
from rsc_service.outbox import dead_letters
from rsc_service.outbox import health as outbox_health
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Intent, Op, State
from rsc_service.outbox.sending import Item, Send, Sent, Target
from rsc_service.tenants.models import Tenant
from rsc_service.web import metrics_collect
from tests.conftest import FrozenClock
from tests.factories import make_tenant
from tests.outbox.fakes import ParentsAndChildren, dispatcher


class _Failing(ParentsAndChildren):
    """LinkedIn answers 503 for every key, inside a 200."""

    def sender(self, resource: str) -> Send:
        async def send(target: Target, items: Sequence[Item]) -> Sent:
            error = EntityError(status=503, category=Category.RETRIABLE, message="Service Unavailable")
            return Sent(errors={key: error for key, _ in items})

        return send


class _Refusing(ParentsAndChildren):
    """LinkedIn refuses every key for good (a 400 inside a 200): each row becomes a dead letter."""

    def sender(self, resource: str) -> Send:
        async def send(target: Target, items: Sequence[Item]) -> Sent:
            error = EntityError(status=400, category=Category.REJECTED, message="Bad Request")
            return Sent(errors={key: error for key, _ in items})

        return send


async def _unchanged(session: AsyncSession, row: OutboxMessage) -> None:
    """The rebuild of a replay: the row's payload as it was."""


async def _owe(ctx: AppContext, tenant: Tenant, name: str, *, now: datetime) -> None:
    intent = Intent("parents", "p", Op.UPSERT, {"name": name})
    async with ctx.sessionmaker.begin() as session:
        await outbox_service.enqueue(session, [outbox_service.Owed(tenant.id, [intent], 1)], now=now)


async def _landed_three_days_ago(ctx: AppContext, clock: FrozenClock) -> Tenant:
    """A tenant whose record "parents:p" LinkedIn holds since three days ago."""
    async with ctx.sessionmaker.begin() as session:
        tenant = (await make_tenant(session, ctx)).tenant
    clock.advance(days=-3)
    await _owe(ctx, tenant, "first", now=clock())
    await dispatcher(ctx, clock, ParentsAndChildren()).drain_once()
    clock.advance(days=3)
    return tenant


async def _fail_for_an_hour_and_more(ctx: AppContext, clock: FrozenClock) -> OutboxMessage:
    """Retries each due within the 15-minute backoff cap, every one refused; the row as stored after."""
    failing = dispatcher(ctx, clock, _Failing())
    for _ in range(6):
        clock.advance(minutes=12)
        await failing.drain_once()
    async with ctx.sessionmaker() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == "p"))
        assert row is not None
        return row


async def _health(ctx: AppContext, tenant: Tenant) -> outbox_health.SyncHealth:
    async with ctx.sessionmaker() as session:
        stored = await session.get(Tenant, tenant.id)
        assert stored is not None
        return await outbox_health.for_tenant(session, tenant=stored, budgets={}, now=ctx.clock())


class TestOldestOwed:
    async def test_a_changed_record_failing_to_send_stays_owed_since_its_change(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        tenant = await _landed_three_days_ago(ctx, clock)
        changed_at = clock()
        await _owe(ctx, tenant, "changed", now=changed_at)

        row = await _fail_for_an_hour_and_more(ctx, clock)
        health = await _health(ctx, tenant)

        assert (row.state, row.attempts, row.landed_at is not None) == (State.PENDING, 6, True)
        assert row.updated_at > changed_at + timedelta(hours=1)  # each claim and retry moved it
        assert health.depth["pending"] == 1
        assert (health.oldest_owed_at, health.oldest_age_seconds) == (changed_at, 72 * 60)

    async def test_a_record_changed_again_while_owed_is_owed_since_its_first_change(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        tenant = await _landed_three_days_ago(ctx, clock)
        changed_at = clock()
        await _owe(ctx, tenant, "changed", now=changed_at)
        await _fail_for_an_hour_and_more(ctx, clock)

        await _owe(ctx, tenant, "changed again", now=clock())

        assert (await _health(ctx, tenant)).oldest_owed_at == changed_at

    async def test_a_record_linkedin_asked_for_again_is_owed_since_it_asked(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        tenant = await _landed_three_days_ago(ctx, clock)
        asked_at = clock()
        async with ctx.sessionmaker.begin() as session:
            again = await outbox_service.send_again(
                session, tenant_id=tenant.id, resource="parents", keys=["p"], now=asked_at
            )
        assert again == 1

        await _fail_for_an_hour_and_more(ctx, clock)

        assert (await _health(ctx, tenant)).oldest_owed_at == asked_at

    async def test_the_gauge_carries_the_age_of_a_change_retried_for_an_hour(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        tenant = await _landed_three_days_ago(ctx, clock)
        await _owe(ctx, tenant, "changed", now=clock())
        await _fail_for_an_hour_and_more(ctx, clock)

        await metrics_collect.refresh_outbox_gauges(ctx, outbox_health.samples)

        age = REGISTRY.get_sample_value("rsc_outbox_oldest_age_seconds", {"tenant": tenant.key})
        assert age == 72 * 60

    async def test_a_dead_letter_replayed_is_owed_since_the_replay(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        """The operator replays a change refused three days ago: it is owed from the replay on, not three days
        old at once (which would set the 15-minute alert off the moment it is replayed)."""
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
        clock.advance(days=-3)
        await _owe(ctx, tenant, "refused", now=clock())
        await dispatcher(ctx, clock, _Refusing()).drain_once()
        clock.advance(days=3)
        async with ctx.sessionmaker() as session:
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == "p"))
            assert row is not None and row.state is State.DEAD
        replayed_at = clock()

        async with ctx.sessionmaker.begin() as session:
            done = await dead_letters.replay(
                session,
                tenant_id=tenant.id,
                ids=[row.id],
                replay_all=False,
                rebuild=_unchanged,
                now=replayed_at,
            )
        assert done.replayed == [row.id]

        assert (await _health(ctx, tenant)).oldest_owed_at == replayed_at

    async def test_a_dead_letter_released_with_its_replayed_parent_is_owed_since_the_release(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        """A child dead-lettered behind its dead parent comes back with its replay, owed from then."""
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
        clock.advance(days=-3)
        parent = Intent("parents", "p", Op.UPSERT, {"name": "refused"})
        child = Intent("children", "c", Op.UPSERT, {"name": "child"}, depends_on=("parents:p",))
        async with ctx.sessionmaker.begin() as session:
            await outbox_service.enqueue(
                session, [outbox_service.Owed(tenant.id, [parent, child], 1)], now=clock()
            )
        refusing = dispatcher(ctx, clock, _Refusing())
        for _ in range(3):
            await refusing.drain_once()
            clock.advance(minutes=1)
        async with ctx.sessionmaker() as session:
            rows = {r.key: r for r in (await session.scalars(select(OutboxMessage))).all()}
        assert (rows["p"].state, rows["c"].state, rows["c"].blocked_by) == (
            State.DEAD,
            State.DEAD,
            "parents:p",
        )
        clock.advance(days=3)
        replayed_at = clock()

        async with ctx.sessionmaker.begin() as session:
            await dead_letters.replay(
                session,
                tenant_id=tenant.id,
                ids=[rows["p"].id],
                replay_all=False,
                rebuild=_unchanged,
                now=replayed_at,
            )

        async with ctx.sessionmaker() as session:
            child_row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == "c"))
        assert child_row is not None and child_row.state is State.PENDING
        assert child_row.owed_since == replayed_at
