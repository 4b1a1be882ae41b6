"""A commit that owes LinkedIn something wakes the dispatchers at once: in-process, and through NOTIFY."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select

from rsc_service import bootstrap
from rsc_service.context import AppContext, open_context
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Intent, Op
from rsc_service.outbox.wake import Wake
from tests import databases
from tests.conftest import make_settings
from tests.factories import make_tenant
from tests.observe import until

FreshDatabase = Callable[[bool], Awaitable[str]]


class TestWake:
    async def test_a_commit_with_outbox_rows_wakes_this_and_other_replicas(
        self, fresh_database: FreshDatabase
    ) -> None:
        settings = make_settings(await fresh_database(True))
        async with open_context(settings) as writer_ctx, open_context(settings) as other_ctx:
            writer = bootstrap.build(writer_ctx)
            other = bootstrap.build(other_ctx)
            async with other.wake.listening(other_ctx.engine):
                async with writer_ctx.sessionmaker.begin() as session:
                    tenant = (await make_tenant(session, writer_ctx)).tenant
                assert not writer.wake.event.is_set()  # no outbox rows in that commit: nobody woken

                async with writer_ctx.sessionmaker.begin() as session:
                    intent = Intent("atsCandidates", "cand_1", Op.UPSERT, {"firstName": "Ada"})
                    await outbox_service.enqueue(
                        session, [outbox_service.Owed(tenant.id, [intent], 1)], now=writer_ctx.clock()
                    )
                    # not before the commit: the row is not visible yet
                    assert not writer.wake.event.is_set()

                assert writer.wake.event.is_set()
                if databases.is_postgres():  # another replica hears the commit through LISTEN/NOTIFY
                    await asyncio.wait_for(other.wake.event.wait(), timeout=2)

    async def test_other_replicas_hear_a_commit_that_only_changed_rows_and_one_that_only_inserted(
        self, fresh_database: FreshDatabase
    ) -> None:
        """Inserting outbox rows notifies through the table's trigger on PostgreSQL; re-owing rows that exist
        (no insert, so no trigger) sends the NOTIFY itself. Each is heard by another replica."""
        if not databases.is_postgres():
            pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite has one process")
        settings = make_settings(await fresh_database(True))
        async with open_context(settings) as writer_ctx, open_context(settings) as other_ctx:
            bootstrap.build(writer_ctx)
            other = bootstrap.build(other_ctx)
            async with other.wake.listening(other_ctx.engine):
                await until(lambda: other.wake.hearing)
                async with writer_ctx.sessionmaker.begin() as session:
                    tenant = (await make_tenant(session, writer_ctx)).tenant
                for first_name in ("Ada", "Grace", "Edith"):
                    other.wake.event.clear()
                    async with writer_ctx.sessionmaker.begin() as session:
                        intent = Intent("atsCandidates", "cand_1", Op.UPSERT, {"firstName": first_name})
                        await outbox_service.enqueue(
                            session, [outbox_service.Owed(tenant.id, [intent], 1)], now=writer_ctx.clock()
                        )
                    rows = await _outbox_rows(writer_ctx)
                    assert rows == 1  # one key: the first commit inserted it, the others changed it
                    await asyncio.wait_for(other.wake.event.wait(), timeout=2)

    async def test_a_rolled_back_transaction_wakes_nobody_and_other_sessionmakers_are_left_alone(
        self, fresh_database: FreshDatabase
    ) -> None:
        settings = make_settings(await fresh_database(True))
        async with open_context(settings) as ctx, open_context(settings) as unwatched:
            wake = Wake()
            wake.attach(ctx.sessionmaker)
            async with ctx.sessionmaker.begin() as session:
                tenant = (await make_tenant(session, ctx)).tenant
            intent = Intent("atsCandidates", "cand_1", Op.UPSERT, {"firstName": "Ada"})

            async with ctx.sessionmaker() as session:
                await outbox_service.enqueue(
                    session, [outbox_service.Owed(tenant.id, [intent], 1)], now=ctx.clock()
                )
                await session.rollback()
            rolled_back = wake.event.is_set()
            async with unwatched.sessionmaker.begin() as session:
                await outbox_service.enqueue(
                    session, [outbox_service.Owed(tenant.id, [intent], 1)], now=unwatched.clock()
                )

        assert not rolled_back
        assert not wake.event.is_set()  # another sessionmaker's commit is not this Wake's

    async def test_building_the_service_many_times_does_not_stack_session_classes(
        self, fresh_database: FreshDatabase
    ) -> None:
        settings = make_settings(await fresh_database(True))
        async with open_context(settings) as ctx:
            wakes = [Wake() for _ in range(50)]
            for wake in wakes:
                wake.attach(ctx.sessionmaker)
            session_class = ctx.sessionmaker.kw["sync_session_class"]
            async with ctx.sessionmaker.begin() as session:
                tenant = (await make_tenant(session, ctx)).tenant
            async with ctx.sessionmaker.begin() as session:
                intent = Intent("atsCandidates", "cand_1", Op.UPSERT, {"firstName": "Ada"})
                await outbox_service.enqueue(
                    session, [outbox_service.Owed(tenant.id, [intent], 1)], now=ctx.clock()
                )

        assert len(session_class.__mro__) < 10  # one class of its own, not one per attach
        assert all(wake.event.is_set() for wake in wakes)


async def _outbox_rows(ctx: AppContext) -> int:
    async with ctx.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
