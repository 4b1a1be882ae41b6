"""Queries on reconcile cursors."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db.session import insert_for
from rsc_service.reconcile.models import ReconcileCursor


async def lock_cursor(session: AsyncSession, *, tenant_id: uuid.UUID, kind: str) -> ReconcileCursor:
    """The (tenant, kind) cursor, created empty on first use and locked for this transaction."""
    await session.execute(
        insert_for(session, ReconcileCursor)
        .values(tenant_id=tenant_id, kind=kind)
        .on_conflict_do_nothing(index_elements=["tenant_id", "kind"])
    )
    cursor = await session.scalar(
        select(ReconcileCursor)
        .where(ReconcileCursor.tenant_id == tenant_id, ReconcileCursor.kind == kind)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert cursor is not None
    return cursor


async def list_cursors(session: AsyncSession, *, tenant_id: uuid.UUID) -> Sequence[ReconcileCursor]:
    return (
        await session.scalars(
            select(ReconcileCursor)
            .where(ReconcileCursor.tenant_id == tenant_id)
            .order_by(ReconcileCursor.kind)
        )
    ).all()
