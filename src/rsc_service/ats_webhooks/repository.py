"""Inbox rows: insert-once per (tenant, webhook-id), and pruning past the retention window."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.db.session import insert_for


async def add_event(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    event_id: str,
    event_type: str,
    record_kind: str,
    record_id: str,
    record_version: int,
    occurred_at: datetime,
    received_at: datetime,
) -> int | None:
    """The new row's id, or None when this webhook id was already received (a duplicate delivery)."""
    statement = (
        insert_for(session, AtsWebhookEvent)
        .values(
            tenant_id=tenant_id,
            event_id=event_id,
            event_type=event_type,
            record_kind=record_kind,
            record_id=record_id,
            record_version=record_version,
            occurred_at=occurred_at,
            received_at=received_at,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "event_id"])
        .returning(AtsWebhookEvent.id)
    )
    row_id: int | None = await session.scalar(statement)
    return row_id


async def mark_superseded(session: AsyncSession, *, event_row_id: int) -> None:
    await session.execute(
        update(AtsWebhookEvent)
        .where(AtsWebhookEvent.id == event_row_id)
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
