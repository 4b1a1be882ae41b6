"""Queries on outbox rows."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Row,
    Select,
    Uuid,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement

from rsc_service.db.lookups import Lookup
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.tenants.models import Tenant

_CHUNK = 400  # keys per statement, well inside both databases' limits on bound parameters


# Built once, so each batch only binds values (a statement object keeps its compiled form).
# Every column of an index is constrained and nothing is ordered, so SQLite searches the index rather than
# walking the tenant's rows in id order.
_BY_KEY = Lookup(
    lambda among: (
        select(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == bindparam("tenant_id", type_=Uuid()),
            among(OutboxMessage.resource, "resources"),
            among(OutboxMessage.key, "values"),
        )
        .with_for_update()
    )
)
_UNDER = Lookup(
    lambda among: (
        select(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == bindparam("tenant_id", type_=Uuid()),
            OutboxMessage.resource == bindparam("resource"),
            among(OutboxMessage.path_parent, "values"),
        )
        .with_for_update()
    )
)


async def lock_for_enqueue(
    session: AsyncSession,
    *,
    refs: Sequence[tuple[uuid.UUID, str, str]],
    parents: Sequence[tuple[uuid.UUID, str, str]],
) -> list[OutboxMessage]:
    """Rows named by (tenant, resource, key) and rows of (tenant, resource) under a path parent, locked."""
    found: dict[int, OutboxMessage] = {}

    async def read(
        lookup: Lookup[Select[OutboxMessage]], values: dict[str, object], items: list[str]
    ) -> None:
        query = lookup.of(session)
        for start in range(0, len(items), _CHUNK):
            rows = await session.scalars(query, {**values, "values": items[start : start + _CHUNK]})
            found.update((row.id, row) for row in rows)

    for tenant_id in sorted({t for t, _, _ in refs} | {t for t, _, _ in parents}):
        resources = sorted({r for t, r, _ in refs if t == tenant_id})
        keys = sorted({key for t, _, key in refs if t == tenant_id})
        await read(_BY_KEY, {"tenant_id": tenant_id, "resources": resources}, keys)
        for resource in sorted({r for t, r, _ in parents if t == tenant_id}):
            under = sorted({parent for t, r, parent in parents if t == tenant_id and r == resource})
            await read(_UNDER, {"tenant_id": tenant_id, "resource": resource}, under)
    wanted = set(refs)
    wanted_parents = set(parents)
    return [
        row
        for row in found.values()
        if (row.tenant_id, row.resource, row.key) in wanted
        or (row.tenant_id, row.resource, row.path_parent) in wanted_parents
    ]


async def list_messages(
    session: AsyncSession, *, tenant_id: uuid.UUID, state: State | None = None
) -> Sequence[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.tenant_id == tenant_id)
    if state is not None:
        query = query.where(OutboxMessage.state == state)
    return (await session.scalars(query.order_by(OutboxMessage.id))).all()


async def count_by_state(session: AsyncSession, *, tenant_id: uuid.UUID) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.state, func.count())
        .where(OutboxMessage.tenant_id == tenant_id)
        .group_by(OutboxMessage.state)
    )
    return {str(state): int(count) for state, count in rows.all()}


async def claim_candidates(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    per_tenant: int,
    states: Sequence[State] = (State.PENDING,),
    skip_tenants: Collection[uuid.UUID] = (),
) -> Sequence[OutboxMessage]:
    """Due rows, at most `per_tenant` of each tenant, oldest due first; locked with SKIP LOCKED on PostgreSQL
    (SQLite's single writer needs no lock).

    The cap is applied before the limit, and the claim takes each tenant's oldest row, then each one's
    second, and so on: however many tenants have backlogs as large as the cap, a tenant with a few rows due
    gets them into this claim. Only each tenant's first `per_tenant` due rows are read, searched in the
    (tenant, state, due, id) index: a claim costs about the tenants times the cap, never the size of the
    largest backlog (ranking every due row cost a second at a million rows of one tenant).
    """
    if session.get_bind().dialect.name == "postgresql":
        claim = claim_query(
            now=now, limit=limit, per_tenant=per_tenant, states=states, skip_tenants=skip_tenants
        )
        return (await session.scalars(claim)).all()
    # SQLite has no LATERAL, and with statistics it plans a join of tenants to their rows as a walk of the
    # index: the tenants with rows due are found in one statement (a probe of the index each), then each
    # one's first rows are searched for, one statement each.
    due: list[Row[int, uuid.UUID, datetime]] = []
    for state in states:
        for tenant_id in (await session.scalars(_owing(state, now, skip_tenants))).all():
            query = first_due(tenant_id, state, now=now, per_tenant=per_tenant)
            due += (await session.execute(query)).all()
    if State.PENDING in states:
        due += (await session.execute(_expired(now, skip_tenants))).all()
    picked = _round_robin([(row.id, row.tenant_id, row.next_attempt_at) for row in due], per_tenant, limit)
    if not picked:
        return []
    order = {row_id: index for index, row_id in enumerate(picked)}
    rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(picked)))).all()
    return sorted(rows, key=lambda row: order[row.id])


def _round_robin(due: Sequence[tuple[int, uuid.UUID, datetime]], per_tenant: int, limit: int) -> list[int]:
    """Ids of the claim: each tenant's oldest due, then each one's second, and so on, at most `per_tenant` of
    each and `limit` in all (what claim_query's row number per tenant does on PostgreSQL)."""
    by_tenant: dict[uuid.UUID, list[tuple[datetime, int]]] = {}
    for row_id, tenant_id, at in due:
        by_tenant.setdefault(tenant_id, []).append((at, row_id))
    ranked = [
        (rank, at, row_id)
        for rows in by_tenant.values()
        for rank, (at, row_id) in enumerate(sorted(rows)[:per_tenant])
    ]
    return [row_id for _, _, row_id in sorted(ranked)[:limit]]


S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def _skipping(
    query: S, tenant: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID], skip: Collection[uuid.UUID]
) -> S:
    """`query` without the rows of the tenants in `skip` (paused ones)."""
    return query.where(tenant.not_in(list(skip))) if skip else query


def _owing(state: State, now: datetime, skip: Collection[uuid.UUID]) -> Select[uuid.UUID]:
    """The tenants with a row due in `state`."""
    row = OutboxMessage
    owing = select(row.id).where(row.tenant_id == Tenant.id, row.state == state, row.next_attempt_at <= now)
    return _skipping(select(Tenant.id).where(owing.exists()), Tenant.id, skip)


def first_due(
    tenant_id: uuid.UUID | ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID],
    state: State,
    *,
    now: datetime,
    per_tenant: int,
) -> Select[int, uuid.UUID, datetime]:
    """(id, tenant, due) of a tenant's first `per_tenant` rows due in `state`: one range of the (tenant,
    state, due, id) index, read in its order and stopped there."""
    row = OutboxMessage
    return (
        select(row.id, row.tenant_id, row.next_attempt_at)
        .where(row.tenant_id == tenant_id, row.state == state, row.next_attempt_at <= now)
        .order_by(row.next_attempt_at, row.id)
        .limit(per_tenant)
    )


def _expired(now: datetime, skip: Collection[uuid.UUID]) -> Select[int, uuid.UUID, datetime]:
    """Rows whose claimer died (its lease ran out in flight): few, searched by their state."""
    row = OutboxMessage
    query = select(row.id, row.tenant_id, row.next_attempt_at).where(
        row.state == State.INFLIGHT, row.leased_until < now
    )
    return _skipping(query, row.tenant_id, skip)


def claim_query(
    *,
    now: datetime,
    limit: int,
    per_tenant: int,
    states: Sequence[State],
    skip_tenants: Collection[uuid.UUID],
) -> Select[OutboxMessage]:
    """PostgreSQL's claim in one statement: each tenant's first due rows (a LATERAL subquery with a LIMIT,
    locked as they are read, skipping rows another replica's claim holds, so it takes the rows after them),
    ranked per tenant, then the claim's rows read by id (at most `limit` primary-key look-ups)."""
    branches = [
        _first_due_lateral(state, now=now, per_tenant=per_tenant, skip=skip_tenants) for state in states
    ]
    if State.PENDING in states:
        branches.append(_expired(now, skip_tenants))
    candidates = union_all(*branches).subquery() if len(branches) > 1 else branches[0].subquery()
    rank = func.row_number().over(
        partition_by=candidates.c.tenant_id, order_by=(candidates.c.next_attempt_at, candidates.c.id)
    )
    ranked = select(candidates.c.id, candidates.c.next_attempt_at, rank.label("rank")).subquery()
    picked = (
        select(ranked.c.id, ranked.c.rank)
        .where(ranked.c.rank <= per_tenant)
        .order_by(ranked.c.rank, ranked.c.next_attempt_at, ranked.c.id)
        .limit(limit)
        .subquery()
    )
    return (
        select(OutboxMessage)
        .join(picked, picked.c.id == OutboxMessage.id)
        .order_by(picked.c.rank, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .with_for_update(of=OutboxMessage, skip_locked=True)
    )


def _first_due_lateral(
    state: State, *, now: datetime, per_tenant: int, skip: Collection[uuid.UUID]
) -> Select[int, uuid.UUID, datetime]:
    first = first_due(Tenant.id, state, now=now, per_tenant=per_tenant)
    lateral = first.with_for_update(skip_locked=True).lateral(f"first_{state.value}")
    query = select(lateral.c.id, lateral.c.tenant_id, lateral.c.next_attempt_at).select_from(Tenant)
    return _skipping(query.join(lateral, true()), Tenant.id, skip)


async def task_riders(
    session: AsyncSession, *, tenant_id: uuid.UUID, now: datetime, limit: int
) -> Sequence[OutboxMessage]:
    """The tenant's other job tasks, not due yet and held by nobody, soonest due first: asked after in the
    same read as its due ones (one read asks after up to 100 tasks, and costs one call of the day's budget
    however many it names), so tasks posted apart are not each asked after alone. A rider another replica's
    poll holds (leased, until its answer settles it) is left to that poll."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.state == State.AWAITING_TASK,
            OutboxMessage.next_attempt_at > now,
            or_(OutboxMessage.leased_until.is_(None), OutboxMessage.leased_until <= now),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(of=OutboxMessage, skip_locked=True)
    )
    return (await session.scalars(query)).all()


async def find_refs(
    session: AsyncSession, *, tenant_ids: Sequence[uuid.UUID], refs: Sequence[tuple[str, str]]
) -> dict[tuple[uuid.UUID, str, str], OutboxMessage]:
    if not refs:
        return {}
    keys = {key for _, key in refs}
    resources = {resource for resource, _ in refs}
    rows = await session.scalars(
        select(OutboxMessage).where(  # all three columns of the unique index, so it is searched
            OutboxMessage.tenant_id.in_(list(tenant_ids)),
            OutboxMessage.resource.in_(list(resources)),
            OutboxMessage.key.in_(list(keys)),
        )
    )
    wanted = set(refs)
    return {(r.tenant_id, r.resource, r.key): r for r in rows if (r.resource, r.key) in wanted}


async def mark_claimed(
    session: AsyncSession, rows: Sequence[OutboxMessage], *, token: uuid.UUID, leased_until: datetime
) -> None:
    """Lease `rows` to `token` in one statement per kind, and mirror the new values on the loaded rows."""
    sending = [row for row in rows if row.state is not State.AWAITING_TASK]
    polling = [row for row in rows if row.state is State.AWAITING_TASK]
    lease = {"lease_token": token, "leased_until": leased_until}
    if sending:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([row.id for row in sending]))
            .values(
                state=State.INFLIGHT,
                sent_revision=OutboxMessage.revision,
                attempts=OutboxMessage.attempts + 1,
                **lease,
            )
            .execution_options(synchronize_session=False)
        )
    # Asking after a job's task is not another attempt at sending it. The row stays AWAITING_TASK, so it is
    # not due again until the lease runs out: another replica does not ask after the same task meanwhile,
    # and takes it over if this one dies holding it. Every answer settles a new due time.
    polling_values = {"next_attempt_at": leased_until, **lease}
    if polling:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([row.id for row in polling]))
            .values(**polling_values)
            .execution_options(synchronize_session=False)
        )
    sending_ids = {row.id for row in sending}
    for row in rows:
        values: dict[str, object] = dict(polling_values)
        if row.id in sending_ids:
            values = lease | {
                "state": State.INFLIGHT,
                "sent_revision": row.revision,
                "attempts": row.attempts + 1,
            }
        for name, value in values.items():
            set_committed_value(row, name, value)


async def renew_lease(
    session: AsyncSession, rows: Sequence[OutboxMessage], *, token: uuid.UUID, leased_until: datetime
) -> list[OutboxMessage]:
    """Extend to `leased_until` the lease of those of `rows` still leased to `token`, in one statement, and
    mirror it on them. Returns those; a row another worker took over, or that was given back, is not among
    them."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([row.id for row in rows]), OutboxMessage.lease_token == token)
        .values(leased_until=leased_until)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    renewed = set(result.scalars().all())
    kept = [row for row in rows if row.id in renewed]
    for row in kept:
        set_committed_value(row, "leased_until", leased_until)
    return kept


async def settle_landed(
    session: AsyncSession, *, ids: Sequence[int], token: uuid.UUID, now: datetime, deleted: bool = False
) -> int:
    """Every row of a batch landed: one UPDATE, still guarded by the lease. Returns the rows it settled.

    A row that got a newer revision while in flight goes back to pending rather than done. A batch of
    deletions (`deleted`) leaves LinkedIn holding none of its records: their `landed_at` is cleared, so no
    landing from before the deletion counts once they are owed again (docs/architecture.md#8-deleting).
    """
    newer = OutboxMessage.revision > OutboxMessage.sent_revision
    landed_at = null() if deleted else func.coalesce(OutboxMessage.landed_at, now)
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.lease_token == token)
        .values(
            state=case((newer, literal(State.PENDING.value)), else_=literal(State.DONE.value)),
            landed_at=landed_at,
            last_error=None,
            failing_since=None,
            attempts=0,
            next_attempt_at=now,
            updated_at=now,
            lease_token=None,
            leased_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def lock_claimed(
    session: AsyncSession, *, ids: Sequence[int], token: uuid.UUID
) -> Sequence[OutboxMessage]:
    """The rows of `ids` still leased to `token`; a row taken over by another worker is not among them."""
    return (
        await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.lease_token == token)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()


async def release_blocked(
    session: AsyncSession, *, tenant_id: uuid.UUID, refs: Collection[str], now: datetime
) -> int:
    """Dead letters that waited for one of `refs` ("resource:key") are due again, and so, in turn, those that
    waited for them. Returns how many rows were released."""
    released = 0
    waiting_on = set(refs)
    while waiting_on:
        rows = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.tenant_id == tenant_id,
                OutboxMessage.state == State.DEAD,
                OutboxMessage.blocked_by.in_(sorted(waiting_on)),
            )
            .values(
                state=State.PENDING,
                blocked_by=None,
                attempts=0,
                failing_since=None,
                last_error=None,
                next_attempt_at=now,
                updated_at=now,
                owed_since=now,  # owed again from its release, as a replayed row is
            )
            .returning(OutboxMessage.resource, OutboxMessage.key)
            .execution_options(synchronize_session=False)
        )
        waiting_on = {f"{resource}:{key}" for resource, key in rows.all()}
        released += len(waiting_on)
    return released


async def release_awaited(session: AsyncSession, *, rows: Sequence[OutboxMessage], now: datetime) -> int:
    """Dead letters that gave up waiting for one of `rows` (records sent for the first time: they have
    arrived at last) are due again, and in turn those that waited for them. Returns how many.

    The dead letters of the claim's tenants that wait for anything are read first (few, from the (tenant,
    state) index): the usual claim has nothing waiting on it and updates nothing."""
    if not rows:
        return 0
    tenant_ids = sorted({row.tenant_id for row in rows})
    awaited = await session.execute(
        select(OutboxMessage.tenant_id, OutboxMessage.blocked_by)
        .where(
            OutboxMessage.tenant_id.in_(tenant_ids),
            OutboxMessage.state == State.DEAD,
            OutboxMessage.blocked_by.is_not(None),
        )
        .distinct()
    )
    waited_for: dict[uuid.UUID, set[str]] = {}
    for tenant_id, ref in awaited.all():
        if ref is not None:
            waited_for.setdefault(tenant_id, set()).add(ref)
    released = 0
    for tenant_id, refs in waited_for.items():
        arrived = {f"{row.resource}:{row.key}" for row in rows if row.tenant_id == tenant_id} & refs
        if arrived:
            released += await release_blocked(session, tenant_id=tenant_id, refs=arrived, now=now)
    return released


async def release_leases(session: AsyncSession, *, tokens: Sequence[uuid.UUID], now: datetime) -> int:
    """Rows leased to `tokens` are free again and due now; an in-flight row is pending again, its attempt
    given back (it may have reached LinkedIn: sending it again is an idempotent write)."""
    inflight = OutboxMessage.state == State.INFLIGHT
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.lease_token.in_(list(tokens)))
        .values(
            state=case((inflight, literal(State.PENDING.value)), else_=OutboxMessage.state),
            attempts=case(
                (and_(inflight, OutboxMessage.attempts > 0), OutboxMessage.attempts - 1),
                else_=OutboxMessage.attempts,
            ),
            lease_token=None,
            leased_until=None,
            next_attempt_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_owed(session: AsyncSession, *, tenant_id: uuid.UUID, up_to: int) -> int:
    """Rows of the tenant not yet at LinkedIn (due now or waiting for budget or a retry), counted up to
    `up_to` (enough to tell a backlog)."""
    return int(await session.scalar(owed_count(tenant_id, up_to)) or 0)


def owed_count(tenant_id: uuid.UUID, up_to: int) -> Select[int]:
    """The count `count_owed` runs: read from the (tenant, state) index alone, without the rows."""
    owed = OutboxMessage.state.in_([State.PENDING, State.INFLIGHT])
    capped = (
        select(OutboxMessage.id).where(OutboxMessage.tenant_id == tenant_id, owed).limit(up_to).subquery()
    )
    return select(func.count()).select_from(capped)
