"""Inbox rows: inserted once per (tenant, webhook-id), many per statement; pruned after retention."""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.db import bulk


@dataclass(frozen=True)
class InboxEntry:
    tenant_id: uuid.UUID
    event_id: str
    event_type: str
    record_kind: str
    record_id: str
    record_version: int
    occurred_at: datetime
    received_at: datetime


_COLUMNS = tuple(f.name for f in dataclasses.fields(InboxEntry))
_TABLE = cast(Table, AtsWebhookEvent.__table__)


@functools.cache
def _add_events(dialect: str) -> Any:
    """The inbox INSERT of many entries in one statement (db/bulk.py), skipping those received before."""
    return (
        bulk.insert_statement(_TABLE, _COLUMNS, dialect)
        .on_conflict_do_nothing(index_elements=["tenant_id", "event_id"])
        .returning(_TABLE.c.id, _TABLE.c.tenant_id, _TABLE.c.event_id)
    )


async def add_events(
    session: AsyncSession, entries: Sequence[InboxEntry]
) -> dict[tuple[uuid.UUID, str], int]:
    """Insert every entry not received before, in one statement; the new rows' ids by (tenant, webhook id)."""
    if not entries:
        return {}
    dialect = session.get_bind().dialect.name
    rows = await session.execute(_add_events(dialect), bulk.values(_TABLE, entries, _COLUMNS, dialect))
    return {(tenant_id, event_id): row_id for row_id, tenant_id, event_id in rows.all()}


async def mark_superseded(session: AsyncSession, *, event_row_ids: Sequence[int]) -> None:
    """Record that these deliveries were older than what the mirror held, so they changed nothing."""
    if event_row_ids:
        await session.execute(
            update(AtsWebhookEvent)
            .where(AtsWebhookEvent.id.in_(list(event_row_ids)))
            .values(applied=False)
            .execution_options(synchronize_session=False)
        )


async def prune(session: AsyncSession, *, before: datetime) -> int:
    result = await session.execute(
        delete(AtsWebhookEvent)
        .where(AtsWebhookEvent.received_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
