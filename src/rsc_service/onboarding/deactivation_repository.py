"""Queries of a tenant's deactivation: its progress rows, the outbox rows that tell what LinkedIn holds, and
the purge of the tenant's local data (docs/onboarding.md#stages).

The outbox and the other features offer no public function for these reads and deletes yet; they are kept
here, in one module, so each can be swapped for its feature's own once it exists.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, Table, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db import models as every_table
from rsc_service.onboarding.models import SetupProgress

TASK: Final = "deactivation"

# Tables of a tenant kept after the purge, and why. Every other table that refers to the tenant is emptied
# of its rows, so a table added later is purged unless it is named here.
KEPT: Final[dict[str, str]] = {
    "tenant_stage_changes": "the audit trail: who moved the tenant, when and why",
    "tenant_webhook_secrets": "the ATS's own signing secrets, so its webhooks verify again on reactivation",
}
_PURGE_CHUNK: Final = 2000  # rows per statement and transaction, so a large purge holds no lock for long


# ---- progress (setup_progress rows of the task "deactivation") ----


async def progress_rows(session: AsyncSession, tenant_id: uuid.UUID) -> list[SetupProgress]:
    rows = await session.scalars(
        select(SetupProgress)
        .where(SetupProgress.tenant_id == tenant_id, SetupProgress.task == TASK)
        .order_by(SetupProgress.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def reset_progress(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Forget an earlier deactivation's progress (a customer who came back and leaves again)."""
    await session.execute(
        delete(SetupProgress).where(SetupProgress.tenant_id == tenant_id, SetupProgress.task == TASK)
    )


async def swap_progress(
    session: AsyncSession,
    row_id: int,
    *,
    old_cursor: str | None,
    cursor: str,
    done: int,
    total: int | None,
    finished: bool,
    now: datetime,
) -> bool:
    """Write a kind's progress only if its cursor is still `old_cursor`: of two workers that read the same
    cursor, one wins and the other stops (it would otherwise send the same keys again). The caller only
    adds to the `done` it read, so `done` never goes down."""
    guard = SetupProgress.cursor.is_(None) if old_cursor is None else SetupProgress.cursor == old_cursor
    result = await session.execute(
        update(SetupProgress)
        .where(SetupProgress.id == row_id, guard)
        .values(
            cursor=cursor,
            done=done,
            total=total,
            finished=finished,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def add_done(session: AsyncSession, row_id: int, count: int, *, now: datetime) -> None:
    await session.execute(
        update(SetupProgress)
        .where(SetupProgress.id == row_id)
        .values(done=SetupProgress.done + count, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def finish_kind(session: AsyncSession, row_id: int, *, now: datetime) -> None:
    await session.execute(
        update(SetupProgress)
        .where(SetupProgress.id == row_id)
        .values(finished=True, updated_at=now)
        .execution_options(synchronize_session=False)
    )


# ---- the purge ----


def purged_tables() -> list[Table]:
    """Every table with a `tenant_id` referring to tenants, children first, but those in KEPT."""
    tables = []
    for table in reversed(every_table.Base.metadata.sorted_tables):
        column = table.c.get("tenant_id")
        if column is None or table.name in KEPT:
            continue
        if any(fk.column.table.name == "tenants" for fk in column.foreign_keys):
            tables.append(table)
    return tables


async def purge_chunk(session: AsyncSession, table: Table, tenant_id: uuid.UUID) -> int:
    """Delete up to one chunk of the tenant's rows of `table`; returns how many went (0: none are left).

    The deactivation's own progress rows are kept: they answer how the deactivation went.
    """
    mine: ColumnElement[bool] = table.c.tenant_id == tenant_id
    if table.name == SetupProgress.__tablename__:
        mine = and_(mine, table.c.task != TASK)
    key = list(table.primary_key.columns)
    if len(key) == 1:
        statement = delete(table).where(key[0].in_(select(key[0]).where(mine).limit(_PURGE_CHUNK)))
    else:
        statement = delete(table).where(mine)
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
