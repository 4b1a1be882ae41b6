"""Inbox rows: inserted once per (tenant, webhook-id), many per statement; pruned after retention."""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, Text, Uuid, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.db.session import rows_of


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


_COLUMNS = [f.name for f in dataclasses.fields(InboxEntry)]


def _item_type(table: Table, name: str) -> Any:
    """A column's type inside an array. tenant_id is typed by hand: the foreign key that types the column
    resolves once every model is loaded. Strings go as text, not varchar(n): an explicit cast to varchar(n)
    would cut a longer value where inserting it into the column refuses it."""
    if name == "tenant_id":
        return Uuid()
    column_type = table.c[name].type
    return Text() if isinstance(column_type, String) else column_type


@functools.cache
def _add_events(dialect: str) -> Any:
    """The inbox INSERT, built once per dialect (a statement object keeps its compiled form).

    On PostgreSQL the rows go as one array per column, unnested by the server: the statement's text is the
    same for every batch size, so one prepared statement serves them all (a multi-row VALUES would be new
    text, prepared anew, for each size). On SQLite, one parameter set per entry, sent by SQLAlchemy as one
    multi-row INSERT ("insertmanyvalues").
    """
    table = cast(Table, AtsWebhookEvent.__table__)
    if dialect == "postgresql":
        arrays = [bindparam(name, type_=postgresql.ARRAY(_item_type(table, name))) for name in _COLUMNS]
        rows = select(func.unnest(*arrays).table_valued(*_COLUMNS).render_derived(with_types=False))
        statement: Any = postgresql.insert(table).from_select(_COLUMNS, rows)
    else:
        statement = sqlite.insert(table)
    return statement.on_conflict_do_nothing(index_elements=["tenant_id", "event_id"]).returning(
        table.c.id, table.c.tenant_id, table.c.event_id
    )


async def add_events(
    session: AsyncSession, entries: Sequence[InboxEntry]
) -> dict[tuple[uuid.UUID, str], int]:
    """Insert every entry not received before, in one statement; the new rows' ids by (tenant, webhook id)."""
    if not entries:
        return {}
    dialect = session.get_bind().dialect.name
    values: Any = (
        {name: [getattr(entry, name) for entry in entries] for name in _COLUMNS}  # one array per column
        if dialect == "postgresql"
        else rows_of(entries)
    )
    rows = await session.execute(_add_events(dialect), values)
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
