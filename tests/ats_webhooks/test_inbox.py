"""The inbox INSERT: one statement per batch, whatever its size; new rows' ids back; values stored whole."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from rsc_service.ats_webhooks import repository
from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.context import AppContext
from tests import databases
from tests.factories import make_tenant


def _entry(
    tenant_id: uuid.UUID, number: int, ctx: AppContext, *, event_id: str | None = None
) -> repository.InboxEntry:
    now = ctx.clock()
    return repository.InboxEntry(
        tenant_id=tenant_id,
        event_id=event_id or f"evt_{number}",
        event_type="candidate.updated",
        record_kind="candidate",
        record_id=f"cand_{number}",
        record_version=number,
        occurred_at=now - timedelta(seconds=number),
        received_at=now,
    )


class TestInbox:
    async def test_batches_of_any_size_store_each_new_entry_once_and_return_only_the_new_ids(
        self, ctx: AppContext
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
        returned: dict[tuple[uuid.UUID, str], int] = {}
        # Sizes that differ batch to batch, each batch repeating some of the one before.
        for start, size in ((0, 1), (0, 5), (3, 17), (19, 2), (0, 40)):
            entries = [_entry(tenant.id, n, ctx) for n in range(start, start + size)]
            async with ctx.sessionmaker.begin() as session:
                new = await repository.add_events(session, entries)
            assert not set(new) & set(returned)  # an entry stored before is not new again
            returned |= new

        async with ctx.sessionmaker() as session:
            rows = (await session.scalars(select(AtsWebhookEvent).order_by(AtsWebhookEvent.id))).all()
        assert [row.event_id for row in rows] == [f"evt_{n}" for n in range(40)]
        assert {(row.tenant_id, row.event_id): row.id for row in rows} == returned
        assert [row.record_version for row in rows] == list(range(40))
        assert all(row.applied and row.record_id == f"cand_{row.record_version}" for row in rows)
        assert rows[7].occurred_at == rows[7].received_at - timedelta(seconds=7)

    async def test_a_value_longer_than_its_column_is_refused_not_cut(self, ctx: AppContext) -> None:
        if not databases.is_postgres():
            pytest.skip("SQLite does not enforce a column's length; the webhook route refuses it first")
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
        with pytest.raises(DBAPIError):
            async with ctx.sessionmaker.begin() as session:
                await repository.add_events(session, [_entry(tenant.id, 1, ctx, event_id="e" * 201)])
        async with ctx.sessionmaker() as session:
            assert (await session.scalars(select(AtsWebhookEvent))).all() == []
