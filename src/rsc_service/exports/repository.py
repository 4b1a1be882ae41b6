"""Export rows, seats' allowances and settings of a tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db import locks
from rsc_service.db.session import insert_for
from rsc_service.exports.models import (
    DONE,
    WRITING,
    Export,
    ExportAllowance,
    ExportReservation,
    ExportSettings,
)


class ReservationMoved(RuntimeError):
    """Another worker gave back the request's reservation while this one read it: tried again later."""


async def find(session: AsyncSession, tenant_id: uuid.UUID, request_id: str) -> Export | None:
    """The export as recorded, with its outcome (None while its candidate is being written)."""
    row = await own(session, tenant_id, request_id)
    return row if row is not None and row.outcome != WRITING else None


async def own(session: AsyncSession, tenant_id: uuid.UUID, request_id: str) -> Export | None:
    """The request's row, recorded or `writing`."""
    return await session.scalar(
        select(Export).where(Export.tenant_id == tenant_id, Export.request_id == request_id)
    )


async def creating(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    request_id: str,
    member_urn: str,
    job_id: str | None,
    seat_urn: str | None,
    ats_user_id: str | None,
    month: str,
    now: datetime,
) -> Export:
    """The export writing the member's new candidate: the request's own when it began one or none is under
    way (its `writing` row is added then), else the one under way. One member at a time: on PostgreSQL a
    lock on the member held to the end of the transaction; SQLite has one writer (BEGIN IMMEDIATE)."""
    await locks.hold(session, [locks.key(b"rsc-exports", f"{tenant_id}:{member_urn}".encode())])
    writing = (
        await session.scalars(
            select(Export)
            .where(Export.tenant_id == tenant_id, Export.member_urn == member_urn, Export.outcome == WRITING)
            .order_by(Export.id)
        )
    ).all()
    for row in writing:
        if row.request_id == request_id:
            return row
    if writing:
        return writing[0]
    row = Export(
        tenant_id=tenant_id,
        request_id=request_id,
        outcome=WRITING,
        member_urn=member_urn,
        seat_urn=seat_urn,
        ats_user_id=ats_user_id,
        job_id=job_id,
        month=month,
        processed_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def held(session: AsyncSession, tenant_id: uuid.UUID, request_id: str) -> str | None:
    """The month of the allowance unit the request holds, or None when it holds none."""
    return await session.scalar(
        select(ExportReservation.month).where(
            ExportReservation.tenant_id == tenant_id, ExportReservation.request_id == request_id
        )
    )


async def count_month(session: AsyncSession, tenant_id: uuid.UUID, seat_urn: str, month: str) -> int:
    """Exports of the seat in `month` that reached the ATS, as recorded."""
    found = await session.scalar(
        select(func.count()).where(
            Export.tenant_id == tenant_id,
            Export.seat_urn == seat_urn,
            Export.month == month,
            Export.outcome.in_([outcome.value for outcome in DONE]),
        )
    )
    return int(found or 0)


async def reserve(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    request_id: str,
    seat_urn: str,
    month: str,
    now: datetime,
    limit: int | None,
) -> str | None:
    """Take one unit of the seat's allowance of `month` for the request, unless the allowance holds `limit`
    already (None: take it regardless, for an export written already). A request that holds one already
    keeps it and takes no other. Returns the month the request's unit was taken from, or None when the
    allowance is spent.

    Atomic on SQLite and PostgreSQL alike: the reservation row is inserted first (ON CONFLICT DO NOTHING,
    so one request id is counted once), then the count moves by `UPDATE ... SET used = used + 1 WHERE used <
    limit`, whose row count says whether it was taken. On PostgreSQL a second transaction's UPDATE waits for
    the first's row lock and checks `used < limit` again against what the first committed."""
    taken = await session.scalar(
        insert_for(session, ExportReservation)
        .values(tenant_id=tenant_id, request_id=request_id, seat_urn=seat_urn, month=month, reserved_at=now)
        .on_conflict_do_nothing(index_elements=["tenant_id", "request_id"])
        .returning(ExportReservation.month)
    )
    if taken is None:  # held already: a retried export, or another worker on the same request
        held = await session.scalar(
            select(ExportReservation.month).where(
                ExportReservation.tenant_id == tenant_id, ExportReservation.request_id == request_id
            )
        )
        if held is None:
            raise ReservationMoved("the export's reservation was given back while it was read")
        return held
    await _open_allowance(session, tenant_id, seat_urn, month)
    counted = (
        update(ExportAllowance)
        .where(
            ExportAllowance.tenant_id == tenant_id,
            ExportAllowance.seat_urn == seat_urn,
            ExportAllowance.month == month,
        )
        .values(used=ExportAllowance.used + 1)
        .execution_options(synchronize_session=False)
    )
    if limit is not None:
        counted = counted.where(ExportAllowance.used < limit)
    if int(getattr(await session.execute(counted), "rowcount", 0) or 0) == 1:
        return month
    await session.execute(
        delete(ExportReservation).where(
            ExportReservation.tenant_id == tenant_id, ExportReservation.request_id == request_id
        )
    )
    return None


async def _open_allowance(session: AsyncSession, tenant_id: uuid.UUID, seat_urn: str, month: str) -> None:
    """The seat's allowance row of `month`, made at its first export. It starts from the exports recorded
    before allowances were kept; every later one is counted by its reservation."""
    found = await session.scalar(
        select(ExportAllowance.used).where(
            ExportAllowance.tenant_id == tenant_id,
            ExportAllowance.seat_urn == seat_urn,
            ExportAllowance.month == month,
        )
    )
    if found is not None:
        return
    recorded = await count_month(session, tenant_id, seat_urn, month)
    await session.execute(
        insert_for(session, ExportAllowance)
        .values(tenant_id=tenant_id, seat_urn=seat_urn, month=month, used=recorded)
        .on_conflict_do_nothing(index_elements=["tenant_id", "seat_urn", "month"])
    )


async def unmark(session: AsyncSession, *, tenant_id: uuid.UUID, request_id: str) -> None:
    """Drop the request's `writing` row: it is writing no candidate now."""
    await session.execute(
        delete(Export).where(
            Export.tenant_id == tenant_id, Export.request_id == request_id, Export.outcome == WRITING
        )
    )


async def give_back(session: AsyncSession, *, tenant_id: uuid.UUID, request_id: str) -> bool:
    """Return the request's unit to its seat's allowance, unless the export was recorded meanwhile (another
    worker finished it). Returns whether a unit was given back."""
    if await find(session, tenant_id, request_id) is not None:
        return False
    released = (
        await session.execute(
            delete(ExportReservation)
            .where(ExportReservation.tenant_id == tenant_id, ExportReservation.request_id == request_id)
            .returning(ExportReservation.seat_urn, ExportReservation.month)
        )
    ).first()
    if released is None:
        return False
    await session.execute(
        update(ExportAllowance)
        .where(
            ExportAllowance.tenant_id == tenant_id,
            ExportAllowance.seat_urn == released.seat_urn,
            ExportAllowance.month == released.month,
            ExportAllowance.used > 0,
        )
        .values(used=ExportAllowance.used - 1)
        .execution_options(synchronize_session=False)
    )
    return True


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
    query = select(Export).where(Export.tenant_id == tenant_id, Export.outcome != WRITING)
    if outcome is not None:
        query = query.where(Export.outcome == outcome)
    if likely_duplicates:
        query = query.where(Export.likely_duplicate_of.is_not(None))
    return (await session.scalars(query.order_by(Export.id.desc()).limit(limit))).all()
