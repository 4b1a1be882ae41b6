"""A commit that owes LinkedIn something wakes the dispatchers at once: in-process, and through NOTIFY."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from rsc_service import push
from rsc_service.context import open_context
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox.ops import Intent, Op
from tests import databases
from tests.conftest import make_settings
from tests.factories import make_tenant

FreshDatabase = Callable[[bool], Awaitable[str]]


class TestWake:
    async def test_a_commit_with_outbox_rows_wakes_this_and_other_replicas(
        self, fresh_database: FreshDatabase
    ) -> None:
        settings = make_settings(await fresh_database(True))
        async with open_context(settings) as writer, open_context(settings) as other:
            push.install_wake(writer)
            listening = contextlib.AsyncExitStack()
            await listening.enter_async_context(push._notifications(other))
            try:
                async with writer.sessionmaker.begin() as session:
                    tenant = (await make_tenant(session, writer)).tenant
                assert not writer.outbox_wake.is_set()  # no outbox rows in that commit: nobody woken

                async with writer.sessionmaker.begin() as session:
                    intent = Intent("atsCandidates", "cand_1", Op.UPSERT, {"firstName": "Ada"})
                    await outbox_service.enqueue(
                        session, tenant_id=tenant.id, intent=intent, source_version=1, now=writer.clock()
                    )
                    assert (
                        not writer.outbox_wake.is_set()
                    )  # not before the commit: the row is not visible yet

                assert writer.outbox_wake.is_set()
                if databases.is_postgres():  # another replica hears the commit through LISTEN/NOTIFY
                    await asyncio.wait_for(other.outbox_wake.wait(), timeout=2)
            finally:
                await listening.aclose()
