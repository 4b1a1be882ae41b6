"""Export rows and settings of a tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.exports.models import DONE, Export, ExportSettings


async def find(session: AsyncSession, tenant_id: uuid.UUID, request_id: str) -> Export | None:
    return await session.scalar(
        select(Export).where(Export.tenant_id == tenant_id, Export.request_id == request_id)
    )


async def count_month(session: AsyncSession, tenant_id: uuid.UUID, seat_urn: str, month: str) -> int:
    """Exports of the seat this month that reached the ATS."""
    found = await session.scalar(
        select(func.count()).where(
            Export.tenant_id == tenant_id,
            Export.seat_urn == seat_urn,
            Export.month == month,
            Export.outcome.in_([outcome.value for outcome in DONE]),
        )
    )
    return int(found or 0)


async def settings(session: AsyncSession, tenant_id: uuid.UUID) -> ExportSettings | None:
    return await session.get(ExportSettings, tenant_id)


async def recent(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    outcome: str | None,
    likely_duplicates: bool,
    limit: int,
) -> Sequence[Export]:
    query = select(Export).where(Export.tenant_id == tenant_id)
    if outcome is not None:
        query = query.where(Export.outcome == outcome)
    if likely_duplicates:
        query = query.where(Export.likely_duplicate_of.is_not(None))
    return (await session.scalars(query.order_by(Export.id.desc()).limit(limit))).all()
