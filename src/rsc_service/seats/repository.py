"""Seat rows of a tenant: listed, locked for a refresh or an assignment, and looked up by ATS user."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

from sqlalchemy import BigInteger, Uuid, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

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


# The tenant's seat holders, taken in turns until the transaction ends (docs/linkedin.md#job-acls): shared by
# the pushes that read them for restricted jobs' ACL assignees, exclusive for a change of holders.
_SHARED = text("SELECT pg_advisory_xact_lock_shared(:key)").bindparams(bindparam("key", type_=BigInteger()))
_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(:key)").bindparams(bindparam("key", type_=BigInteger()))


async def hold_holders(session: AsyncSession, tenant_id: uuid.UUID, *, exclusive: bool) -> None:
    """Wait for, then hold until the transaction ends, the tenant's turn on its seat holders: many readers
    at once, or one changer (PostgreSQL; SQLite has one writer). A statement of its own: under READ COMMITTED
    the statements after it see what the transaction it waited for committed."""
    if session.get_bind().dialect.name != "postgresql":
        return
    await session.execute(_EXCLUSIVE if exclusive else _SHARED, {"key": _holders_key(tenant_id)})


def _holders_key(tenant_id: uuid.UUID) -> int:
    """The advisory lock key of a tenant's seat holders: 64 bits of a hash."""
    digest = hashlib.blake2b(tenant_id.bytes, digest_size=8, person=b"rsc-seats")
    return int.from_bytes(digest.digest(), "big", signed=True)


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
