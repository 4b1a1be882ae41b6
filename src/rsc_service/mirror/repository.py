"""Plain look-ups of mirror records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.mirror.models import AtsRecord


async def find(session: AsyncSession, *, tenant_id: uuid.UUID, kind: str, ats_id: str) -> AtsRecord | None:
    return await session.scalar(
        select(AtsRecord).where(
            AtsRecord.tenant_id == tenant_id, AtsRecord.kind == kind, AtsRecord.ats_id == ats_id
        )
    )


async def list_records(
    session: AsyncSession, *, tenant_id: uuid.UUID, kind: str | None = None
) -> Sequence[AtsRecord]:
    query = select(AtsRecord).where(AtsRecord.tenant_id == tenant_id)
    if kind is not None:
        query = query.where(AtsRecord.kind == kind)
    return (await session.scalars(query.order_by(AtsRecord.id))).all()
