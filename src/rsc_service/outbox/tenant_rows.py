"""What the outbox knows of a tenant's records at LinkedIn, for the features that act on a tenant as a whole:
deactivation (what LinkedIn may hold, what must not be sent anymore) and the initial sync (counts per
resource and state, which rows exist)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, delete, func, not_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import JOB_POSTINGS, Op, State


def _sent_unconfirmed() -> ColumnElement[bool]:
    """A record other than a job that was sent and never confirmed landed: its answer may have been lost, or
    it was restored while its deletion was on its way (docs/architecture.md#8-deleting). LinkedIn may hold
    it, and deleting what it does not hold is a harmless 404. A job is held only once its task succeeded."""
    m = OutboxMessage
    return and_(m.sent_revision.is_not(None), m.resource != JOB_POSTINGS)


def _maybe_at_linkedin() -> ColumnElement[bool]:
    """Rows whose record LinkedIn may hold: it landed once (and was not deleted or closed since), or a send
    may have reached LinkedIn unsettled (in flight, a job's task still running, or unconfirmed)."""
    m = OutboxMessage
    reached = or_(
        m.landed_at.is_not(None), m.state.in_([State.INFLIGHT, State.AWAITING_TASK]), _sent_unconfirmed()
    )
    removed = and_(m.op.in_([Op.DELETE, Op.CLOSE]), m.state == State.DONE)
    return and_(reached, not_(removed))


class _Row(Protocol):
    @property
    def resource(self) -> str: ...
    @property
    def op(self) -> Op: ...
    @property
    def state(self) -> State: ...
    @property
    def landed_at(self) -> datetime | None: ...
    @property
    def sent_revision(self) -> int | None: ...


def maybe_held(row: _Row) -> bool:
    """`_maybe_at_linkedin` for one row already loaded (or about to be inserted)."""
    reached = (
        row.landed_at is not None
        or row.state in (State.INFLIGHT, State.AWAITING_TASK)
        or (row.sent_revision is not None and row.resource != JOB_POSTINGS)
    )
    removed = row.op in (Op.DELETE, Op.CLOSE) and row.state is State.DONE
    return reached and not removed


@dataclass(frozen=True)
class HeldRow:
    """One record LinkedIn may hold: its outbox row id, key, parent in the URL, and last payload."""

    id: int
    key: str
    path_parent: str | None
    payload: dict[str, Any] | None
    settled: bool  # its newest write landed (state done)

    @property
    def closed(self) -> bool:
        """A job LinkedIn holds closed already: its newest posting, closed, has landed."""
        return self.settled and (self.payload or {}).get("state") == "CLOSED"


async def count_held(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, int]:
    """Per resource, how many records of the tenant LinkedIn may hold."""
    rows = await session.execute(
        select(OutboxMessage.resource, func.count())
        .where(OutboxMessage.tenant_id == tenant_id, _maybe_at_linkedin())
        .group_by(OutboxMessage.resource)
    )
    return {str(resource): int(count) for resource, count in rows.all()}


async def held_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    resource: str,
    *,
    after: tuple[str, int] | None,
    limit: int,
) -> list[HeldRow]:
    """The next records of `resource` LinkedIn may hold, by parent then row id, after `after`: a page's rows
    under one parent go in one request (Rest.li sub-collections take one parent per URL)."""
    m = OutboxMessage
    parent = func.coalesce(m.path_parent, "")
    query = select(m.id, m.key, m.path_parent, m.payload, m.state).where(
        m.tenant_id == tenant_id, m.resource == resource, _maybe_at_linkedin()
    )
    if after is not None:
        query = query.where(or_(parent > after[0], and_(parent == after[0], m.id > after[1])))
    rows = await session.execute(query.order_by(parent, m.id).limit(limit))
    return [_held(row) for row in rows.all()]


async def live_keys(
    session: AsyncSession, tenant_id: uuid.UUID, resource: str, *, prefixes: Sequence[str]
) -> set[str]:
    """Keys of `resource` starting with one of `prefixes` whose newest write is not a deletion: what the
    tenant owes or has given LinkedIn and not taken back."""
    if not prefixes:
        return set()
    m = OutboxMessage
    keys = await session.scalars(
        select(m.key).where(
            m.tenant_id == tenant_id,
            m.resource == resource,
            m.op != Op.DELETE,
            or_(*(m.key.startswith(prefix, autoescape=True) for prefix in prefixes)),
        )
    )
    return set(keys.all())


async def held_rows(session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[int]) -> list[HeldRow]:
    """The rows of `ids` (a claimed page sent again), in page order."""
    if not ids:
        return []
    m = OutboxMessage
    rows = await session.execute(
        select(m.id, m.key, m.path_parent, m.payload, m.state)
        .where(m.tenant_id == tenant_id, m.id.in_(list(ids)))
        .order_by(func.coalesce(m.path_parent, ""), m.id)
    )
    return [_held(row) for row in rows.all()]


async def live_leases(session: AsyncSession, tenant_id: uuid.UUID, *, now: datetime) -> int:
    """Rows a dispatcher still holds under a lease: they may land after we read what LinkedIn holds."""
    m = OutboxMessage
    found = await session.scalar(
        select(func.count()).where(
            m.tenant_id == tenant_id,
            m.state == State.INFLIGHT,
            m.leased_until.is_not(None),
            m.leased_until > now,
        )
    )
    return int(found or 0)


async def drop_unsent(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Delete the tenant's outbox rows that never reached LinkedIn and are not being sent: work that must not
    be sent anymore. Rows LinkedIn may hold stay, as the list of what to delete there."""
    m = OutboxMessage
    result = await session.execute(
        delete(m)
        .where(
            m.tenant_id == tenant_id,
            m.landed_at.is_(None),
            m.state.not_in([State.INFLIGHT, State.AWAITING_TASK]),
            not_(_sent_unconfirmed()),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _held(row: Any) -> HeldRow:
    return HeldRow(row.id, row.key, row.path_parent, row.payload, row.state == State.DONE)


async def counts(session: AsyncSession, tenant_id: uuid.UUID) -> list[tuple[str, State, int, int]]:
    """(resource, state, rows, distinct parents) of the tenant's rows."""
    m = OutboxMessage
    found = await session.execute(
        select(m.resource, m.state, func.count(), func.count(func.distinct(m.path_parent)))
        .where(m.tenant_id == tenant_id)
        .group_by(m.resource, m.state)
    )
    return [(str(r), State(s), int(n), int(p)) for r, s, n, p in found.all()]


async def pending_waits(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, list[str]] | None:
    """Each pending row of the tenant ("resource:key") with what it depends on; None as soon as one depends
    on nothing, as it is then on its way. Read in pages of a few columns, payloads left out: a backlog of
    100,000 rows costs one page when it holds such a row, as it usually does."""
    m = OutboxMessage
    query = (
        select(m.resource, m.key, m.depends_on)
        .where(m.tenant_id == tenant_id, m.state == State.PENDING)
        .execution_options(yield_per=1000)
    )
    found: dict[str, list[str]] = {}
    result = await session.stream(query)
    try:
        async for resource, key, depends_on in result:
            if not depends_on:
                return None
            found[f"{resource}:{key}"] = list(depends_on)
    finally:
        await result.close()
    return found


async def present(session: AsyncSession, tenant_id: uuid.UUID, refs: Iterable[str]) -> set[str]:
    """Which of `refs` ("resource:key") the tenant's outbox holds a row for, in any state."""
    pairs = sorted({tuple(ref.split(":", 1)) for ref in refs if ":" in ref})
    found_refs: set[str] = set()
    for start in range(0, len(pairs), 400):
        chunk = pairs[start : start + 400]
        found = await session.execute(
            select(OutboxMessage.resource, OutboxMessage.key).where(
                OutboxMessage.tenant_id == tenant_id,
                tuple_(OutboxMessage.resource, OutboxMessage.key).in_(chunk),
            )
        )
        found_refs |= {f"{resource}:{key}" for resource, key in found.all()}
    return found_refs
