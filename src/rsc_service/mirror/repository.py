"""Plain look-ups of mirror records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
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


async def candidates_named(
    session: AsyncSession, *, tenant_id: uuid.UUID, first_name: str, last_name: str, limit: int
) -> Sequence[AtsRecord]:
    """Live candidates whose first and last names are these, case aside."""
    first = func.lower(AtsRecord.data["first_name"].as_string())
    last = func.lower(AtsRecord.data["last_name"].as_string())
    query = select(AtsRecord).where(
        AtsRecord.tenant_id == tenant_id,
        AtsRecord.kind == "candidate",
        AtsRecord.deleted.is_(False),
        first == first_name.strip().lower(),
        last == last_name.strip().lower(),
    )
    return (await session.scalars(query.order_by(AtsRecord.id).limit(limit))).all()


async def has_application(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: str, job_id: str
) -> bool:
    found = await session.scalar(
        select(AtsRecord.id)
        .where(
            AtsRecord.tenant_id == tenant_id,
            AtsRecord.candidate_id == candidate_id,
            AtsRecord.job_id == job_id,
            AtsRecord.kind == "application",
            AtsRecord.deleted.is_(False),
        )
        .limit(1)
    )
    return found is not None
