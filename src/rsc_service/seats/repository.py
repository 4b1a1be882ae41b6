"""Seat rows of a tenant: listed, locked for a refresh or an assignment, and looked up by ATS user."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Uuid, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db import locks
from rsc_service.db.lookups import Lookup
from rsc_service.seats.models import Seat

_CHUNK = 400  # keys per statement, well inside both databases' limits on bound parameters

# Built once, so each batch of ingest only binds values; served by the unique (tenant_id, ats_user_id) index.
_MEMBERS = Lookup(
    lambda among: select(Seat.ats_user_id, Seat.member_urn).where(
        Seat.tenant_id == bindparam("tenant_id", type_=Uuid()),
        among(Seat.ats_user_id, "values"),
        Seat.active.is_(True),
        Seat.member_urn.is_not(None),
    )
)


async def hold_holders(session: AsyncSession, tenant_id: uuid.UUID, *, exclusive: bool) -> None:
    """Wait for, then hold until the transaction ends, the tenant's turn on its seat holders
    (docs/linkedin.md#job-acls): shared by the pushes that read them for restricted jobs' ACL assignees, many
    at once; exclusive for a change of holders."""
    await locks.hold(session, [locks.key(b"rsc-seats", tenant_id.bytes)], shared=not exclusive)


async def list_for_tenant(
    session: AsyncSession, tenant_id: uuid.UUID, *, lock: bool = False
) -> Sequence[Seat]:
    """Every seat of the tenant, by contract and seat id; `lock` holds them (FOR UPDATE on PostgreSQL, where
    SQLite's single writer needs nothing) so a refresh and a hand assignment never interleave."""
    query = select(Seat).where(Seat.tenant_id == tenant_id).order_by(Seat.contract_urn, Seat.seat_id, Seat.id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).all()


async def find(
    session: AsyncSession, tenant_id: uuid.UUID, seat_id: int, *, lock: bool = False
) -> Seat | None:
    query = select(Seat).where(Seat.tenant_id == tenant_id, Seat.id == seat_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def held_by(session: AsyncSession, tenant_id: uuid.UUID, ats_user_id: str) -> Seat | None:
    return await session.scalar(
        select(Seat).where(Seat.tenant_id == tenant_id, Seat.ats_user_id == ats_user_id)
    )


async def members(session: AsyncSession, tenant_id: uuid.UUID, ats_user_ids: Sequence[str]) -> dict[str, str]:
    """ATS user id -> member URN of those of `ats_user_ids` who hold an active seat."""
    found: dict[str, str] = {}
    statement = _MEMBERS.of(session)
    for start in range(0, len(ats_user_ids), _CHUNK):
        chunk = list(ats_user_ids[start : start + _CHUNK])
        rows = await session.execute(statement, {"tenant_id": tenant_id, "values": chunk})
        found.update((user, member) for user, member in rows.all() if user and member)
    return found


async def by_linkedin_id(session: AsyncSession, tenant_id: uuid.UUID, seat_id: str) -> Seat | None:
    """The seat LinkedIn knows as `seat_id`, on whichever of the tenant's contracts."""
    return await session.scalar(
        select(Seat).where(Seat.tenant_id == tenant_id, Seat.seat_id == seat_id).order_by(Seat.id).limit(1)
    )
