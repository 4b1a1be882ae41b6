"""Transaction-scoped advisory locks on PostgreSQL: turns taken on something no row stands for (a candidate
not in the mirror yet, a member's export, a tenant's seat holders). SQLite has one writer at a time, so
there they take nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import BigInteger, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

# Each key taken in turn, in the order given: sorted, so two transactions taking several never deadlock.
_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(k) FROM unnest(:keys) AS k").bindparams(
    bindparam("keys", type_=ARRAY(BigInteger))
)
_SHARED = text("SELECT pg_advisory_xact_lock_shared(k) FROM unnest(:keys) AS k").bindparams(
    bindparam("keys", type_=ARRAY(BigInteger))
)


def key(namespace: bytes, name: bytes) -> int:
    """An advisory lock key: 64 bits of a hash of `name` within `namespace` (two names sharing one only wait
    longer)."""
    digest = hashlib.blake2b(name, digest_size=8, person=namespace)
    return int.from_bytes(digest.digest(), "big", signed=True)


async def hold(session: AsyncSession, keys: Iterable[int], *, shared: bool = False) -> None:
    """Wait for, then hold until the transaction ends, each of `keys`: shared holders go side by side, an
    exclusive one alone. A statement of its own: under READ COMMITTED the statements after it see what the
    transaction it waited for committed."""
    if session.get_bind().dialect.name != "postgresql":
        return
    ordered = sorted(set(keys))
    if ordered:
        await session.execute(_SHARED if shared else _EXCLUSIVE, {"keys": ordered})
