"""Queries on outbox rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State


async def lock_message(
    session: AsyncSession, *, tenant_id: uuid.UUID, resource: str, key: str
) -> OutboxMessage | None:
    return await session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == tenant_id, OutboxMessage.resource == resource, OutboxMessage.key == key
        )
        .with_for_update()
    )


async def list_messages(
    session: AsyncSession, *, tenant_id: uuid.UUID, state: State | None = None
) -> Sequence[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.tenant_id == tenant_id)
    if state is not None:
        query = query.where(OutboxMessage.state == state)
    return (await session.scalars(query.order_by(OutboxMessage.id))).all()


async def count_by_state(session: AsyncSession, *, tenant_id: uuid.UUID) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.state, func.count())
        .where(OutboxMessage.tenant_id == tenant_id)
        .group_by(OutboxMessage.state)
    )
    return {str(state): int(count) for state, count in rows.all()}
