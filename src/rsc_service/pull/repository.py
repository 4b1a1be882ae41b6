"""Queries on pull cursors and pulled items, and the lease fence every pull write goes through."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db.leases import JobLease, Lease
from rsc_service.db.session import insert_for
from rsc_service.mirror.models import AtsRecord
from rsc_service.pull.models import PullCursor, PulledItem
from rsc_service.tenants.models import Tenant

_CHUNK = 400  # keys per statement, well inside both databases' limits on bound parameters


async def current_lease(session: AsyncSession, *, name: str, holder: str, now: datetime) -> Lease | None:
    """The lease `holder` holds on `name` right now, with its epoch; None when it holds none."""
    row = await session.scalar(select(JobLease).where(JobLease.name == name))
    if row is None or row.holder != holder or row.expires_at is None or row.expires_at <= now:
        return None
    return Lease(name=name, holder=holder, epoch=row.epoch)


async def lock_epoch(session: AsyncSession, lease: Lease) -> int | None:
    """The lease's epoch, locked for the rest of the transaction: a new holder cannot take the lease until
    this transaction ends, so a write made here is a write of the current holder or of nobody."""
    return await session.scalar(select(JobLease.epoch).where(JobLease.name == lease.name).with_for_update())


async def cursor(
    session: AsyncSession, *, tenant_id: uuid.UUID, contract_urn: str, stream: str, seat_id: str
) -> PullCursor:
    """The stream's cursor, created on first use."""
    await session.execute(
        insert_for(session, PullCursor)
        .values(
            tenant_id=tenant_id,
            contract_urn=contract_urn,
            stream=stream,
            seat_id=seat_id,
            page_start=0,
            items_written=0,
            failures=0,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "contract_urn", "stream", "seat_id"])
    )
    found = await session.scalar(
        select(PullCursor)
        .where(
            PullCursor.tenant_id == tenant_id,
            PullCursor.contract_urn == contract_urn,
            PullCursor.stream == stream,
            PullCursor.seat_id == seat_id,
        )
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def update_cursor(session: AsyncSession, cursor_id: int, **values: Any) -> None:
    await session.execute(
        update(PullCursor)
        .where(PullCursor.id == cursor_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def add_written(session: AsyncSession, cursor_id: int, written: int) -> None:
    if written:
        await update_cursor(session, cursor_id, items_written=PullCursor.items_written + written)


async def cursors(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[PullCursor]:
    return (
        await session.scalars(
            select(PullCursor)
            .where(PullCursor.tenant_id == tenant_id)
            .order_by(PullCursor.contract_urn, PullCursor.stream, PullCursor.seat_id)
        )
    ).all()


async def pulled(
    session: AsyncSession, *, tenant_id: uuid.UUID, stream: str, item_ids: Sequence[str]
) -> dict[str, PulledItem]:
    """The items of `item_ids` already pulled, by item id."""
    found: dict[str, PulledItem] = {}
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = await session.scalars(
            select(PulledItem).where(
                PulledItem.tenant_id == tenant_id,
                PulledItem.stream == stream,
                PulledItem.item_id.in_(ids[start : start + _CHUNK]),
            )
        )
        found.update((row.item_id, row) for row in rows.all())
    return found


async def deleted_candidates(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_ids: Sequence[str]
) -> set[str]:
    """Of `candidate_ids`, those the mirror holds as deleted in the ATS, by the mirror's unique key."""
    found: set[str] = set()
    ids = sorted(set(candidate_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = await session.scalars(
            select(AtsRecord.ats_id).where(
                AtsRecord.tenant_id == tenant_id,
                AtsRecord.kind == "candidate",
                AtsRecord.ats_id.in_(ids[start : start + _CHUNK]),
                AtsRecord.deleted.is_(True),
            )
        )
        found.update(rows.all())
    return found


async def record(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert pulled items; one already there (a page that ran twice) is left as it was."""
    if rows:
        await session.execute(
            insert_for(session, PulledItem)
            .values(list(rows))
            .on_conflict_do_nothing(index_elements=["tenant_id", "stream", "item_id"])
        )


async def record_over_no_candidate(session: AsyncSession, row: dict[str, Any], *, no_candidate: str) -> None:
    """Insert one pulled item; one already there recorded as skipped for want of a linked candidate (reason
    `no_candidate`, maybe by a pull page that read the links before this write) becomes this row, and any
    other is left as it was."""
    insert = insert_for(session, PulledItem).values(row)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["tenant_id", "stream", "item_id"],
            set_={column: insert.excluded[column] for column in row},
            where=(PulledItem.outcome == "skipped") & (PulledItem.reason == no_candidate),
        )
    )


async def mark_withdrawn(session: AsyncSession, item_ids: Sequence[int], *, now: datetime) -> None:
    if item_ids:
        await session.execute(
            update(PulledItem)
            .where(PulledItem.id.in_(list(item_ids)))
            .values(outcome="withdrawn", withdrawn_at=now)
            .execution_options(synchronize_session=False)
        )


async def of_members(
    session: AsyncSession, *, tenant_id: uuid.UUID, member_urns: Sequence[str]
) -> Sequence[PulledItem]:
    return (
        await session.scalars(
            select(PulledItem).where(
                PulledItem.tenant_id == tenant_id, PulledItem.member_urn.in_(list(member_urns))
            )
        )
    ).all()


async def forget_members(session: AsyncSession, item_ids: Sequence[int]) -> None:
    """Keep the items (so they are never pulled again) without the member they were about."""
    if item_ids:
        await session.execute(
            update(PulledItem)
            .where(PulledItem.id.in_(list(item_ids)))
            .values(member_urn=None)
            .execution_options(synchronize_session=False)
        )


async def written_counts(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, int]:
    rows = await session.execute(
        select(PulledItem.stream, func.count())
        .where(PulledItem.tenant_id == tenant_id, PulledItem.outcome == "written")
        .group_by(PulledItem.stream)
    )
    return {stream: int(count) for stream, count in rows.all()}


async def oldest_success(session: AsyncSession) -> dict[str, datetime | None]:
    rows = await session.execute(
        select(PullCursor.stream, func.min(PullCursor.last_success_at)).group_by(PullCursor.stream)
    )
    found: dict[str, datetime | None] = {}
    for stream, oldest in rows.all():
        found[stream] = oldest
    return found


async def tenant_by_app(session: AsyncSession, app_urn: str) -> Tenant | None:
    return await session.scalar(select(Tenant).where(Tenant.linkedin_app_urn == app_urn))


def written_per_candidate_query(
    tenant_id: uuid.UUID, candidate_ids: Sequence[str], streams: Sequence[str]
) -> Select[str | None, str, int]:
    return (
        select(PulledItem.ats_candidate_id, PulledItem.stream, func.count())
        .where(
            PulledItem.tenant_id == tenant_id,
            PulledItem.ats_candidate_id.in_(list(candidate_ids)),
            PulledItem.stream.in_(list(streams)),
            PulledItem.outcome == "written",
        )
        .group_by(PulledItem.ats_candidate_id, PulledItem.stream)
    )


async def written_per_candidate(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_ids: Sequence[str], streams: Sequence[str]
) -> dict[tuple[str, str], int]:
    """Written (not withdrawn) items per (ATS candidate, stream), one grouped query per chunk of ids, through
    ix_pulled_items_candidate."""
    found: dict[tuple[str, str], int] = {}
    ids = sorted(set(candidate_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = await session.execute(
            written_per_candidate_query(tenant_id, ids[start : start + _CHUNK], streams)
        )
        for candidate, stream, count in rows.all():
            found[(str(candidate), str(stream))] = int(count)
    return found


def written_on_candidate_query(
    tenant_id: uuid.UUID, candidate_id: str, streams: Sequence[str]
) -> Select[PulledItem]:
    return (
        select(PulledItem)
        .where(
            PulledItem.tenant_id == tenant_id,
            PulledItem.ats_candidate_id == candidate_id,
            PulledItem.stream.in_(list(streams)),
            PulledItem.outcome == "written",
        )
        .order_by(PulledItem.dated_at.desc().nulls_last(), PulledItem.id.desc())
    )


async def written_on_candidate(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: str, streams: Sequence[str]
) -> Sequence[PulledItem]:
    """Written (not withdrawn) items on one ATS candidate, newest first, through ix_pulled_items_candidate."""
    return (await session.scalars(written_on_candidate_query(tenant_id, candidate_id, streams))).all()
