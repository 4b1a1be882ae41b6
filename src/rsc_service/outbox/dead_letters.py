"""Dead letters: listed per tenant a page at a time, and replayed from the record's current version.

Replay is idempotent: a row that is no longer dead is left alone, so replaying the same ids twice owes
LinkedIn nothing more. Each request replays at most `REPLAY_LIMIT` rows (docs/architecture.md#20-operations).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.errors import FieldProblem, NotFound, Unprocessable
from rsc_service.outbox import repository
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State

REPLAY_LIMIT = 500
PAGE_LIMIT = 200
_ALL_PAGES = 10  # pages of up to REPLAY_LIMIT dead letters one replay of all reads at most

# Re-owes LinkedIn what the row's record is now (the mirror's current version); the outbox cannot see it.
Rebuild = Callable[[AsyncSession, OutboxMessage], Awaitable[None]]


@dataclass(frozen=True)
class DeadLetterPage:
    items: Sequence[OutboxMessage]
    next_after: int | None  # pass as `after` for the next page; None on the last page


@dataclass(frozen=True)
class Replayed:
    replayed: list[int]
    skipped: list[int]  # rows not dead (any more), or still refused as built: nothing done for them
    remaining: int  # dead letters of the tenant still waiting after this request


async def list_dead(
    session: AsyncSession, *, tenant_id: uuid.UUID, after: int = 0, limit: int = 50
) -> DeadLetterPage:
    limit = max(1, min(limit, PAGE_LIMIT))
    rows = (
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.tenant_id == tenant_id,
                OutboxMessage.state == State.DEAD,
                OutboxMessage.id > after,
            )
            .order_by(OutboxMessage.id)
            .limit(limit + 1)
        )
    ).all()
    items = rows[:limit]
    return DeadLetterPage(items=items, next_after=items[-1].id if len(rows) > limit else None)


async def count_dead(session: AsyncSession, *, tenant_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.tenant_id == tenant_id, OutboxMessage.state == State.DEAD)
    )
    return int(count or 0)


async def replay(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    ids: Sequence[int] | None,
    replay_all: bool,
    rebuild: Rebuild,
    now: datetime,
    limit: int = REPLAY_LIMIT,
) -> Replayed:
    """Make the chosen dead letters due again: `ids` (all of this tenant's, else 404), or up to `limit`.

    With `replay_all`, rows still refused as built stay dead and are passed over, so a request reaches the
    rows after them: it reads on, a page at a time and at most `_ALL_PAGES` pages, until `limit` rows are
    replayed or none are left."""
    if replay_all == (ids is not None):
        raise Unprocessable(
            "give either ids or all=true",
            errors=[FieldProblem(field="body", reason="exactly one of ids and all is required")],
        )
    done: list[OutboxMessage] = []
    skipped: list[int] = []
    if ids is not None:
        done, skipped = await _replay_rows(
            session, await _named(session, tenant_id, ids, limit), rebuild, now
        )
    else:
        after = 0
        for _ in range(_ALL_PAGES):
            rows = await _dead_after(session, tenant_id, after=after, limit=limit - len(done))
            if not rows:
                break
            replayed, passed = await _replay_rows(session, rows, rebuild, now)
            done, skipped, after = done + replayed, skipped + passed, rows[-1].id
            if len(done) >= limit:
                break
    await session.flush()
    # What waited for the replayed rows is due again with them (and so, in turn, what waited for those).
    await repository.release_blocked(
        session, tenant_id=tenant_id, refs={f"{row.resource}:{row.key}" for row in done}, now=now
    )
    return Replayed(
        replayed=[row.id for row in done],
        skipped=skipped,
        remaining=await count_dead(session, tenant_id=tenant_id),
    )


async def _replay_rows(
    session: AsyncSession, rows: Sequence[OutboxMessage], rebuild: Rebuild, now: datetime
) -> tuple[list[OutboxMessage], list[int]]:
    """(rows made due again, ids of rows left alone: no longer dead, or still refused as built)."""
    replayed: list[OutboxMessage] = []
    skipped: list[int] = []
    for row in rows:
        if row.state is not State.DEAD:
            skipped.append(row.id)
            continue
        await rebuild(session, row)
        if row.op is not Op.DELETE and row.payload is None:
            skipped.append(row.id)  # still refused as built: sending it again would change nothing
            continue
        # A changed payload has already made the row pending; an unchanged one is due again all the same.
        row.state = State.PENDING
        row.attempts = 0
        row.failing_since = None
        row.blocked_by = None
        row.next_attempt_at = now
        row.lease_token = row.leased_until = None
        row.updated_at = row.owed_since = now  # owed from the replay on (docs/architecture.md#20-operations)
        replayed.append(row)
    return replayed, skipped


async def _dead_after(
    session: AsyncSession, tenant_id: uuid.UUID, *, after: int, limit: int
) -> Sequence[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == tenant_id, OutboxMessage.state == State.DEAD, OutboxMessage.id > after
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update()
    )
    return (await session.scalars(query)).all()


async def _named(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[int], limit: int
) -> Sequence[OutboxMessage]:
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > limit:
        raise Unprocessable(
            f"at most {limit} ids per request",
            errors=[FieldProblem(field="body.ids", reason=f"{len(wanted)} ids; at most {limit}")],
        )
    query = select(OutboxMessage).where(OutboxMessage.tenant_id == tenant_id, OutboxMessage.id.in_(wanted))
    rows = (await session.scalars(query.order_by(OutboxMessage.id).with_for_update())).all()
    missing = sorted(set(wanted) - {row.id for row in rows})
    if missing:
        # Another tenant's row is as unknown here as one that never existed.
        raise NotFound(f"no outbox rows {', '.join(map(str, missing))} for this tenant")
    return rows
