"""Queries on received notifications: recorded once, claimed when due, settled under the claim."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db.session import insert_for
from rsc_service.linkedin_notifications.models import LinkedInNotification, State


@dataclass(frozen=True)
class Claimed:
    """A notification taken by one worker until `claimed_until` (its next_attempt_at while it holds it)."""

    id: int
    tenant_id: uuid.UUID
    kind: str
    request_id: str
    expires_at: datetime | None
    attempts: int
    claimed_until: datetime


async def add(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    kind: str,
    request_id: str,
    received_at: datetime,
    expires_at: datetime | None,
) -> bool:
    """Insert the notification unless (tenant, type, request id) is already stored; True when it is new.
    ON CONFLICT DO NOTHING, which SQLite and PostgreSQL both speak: a repeated delivery writes nothing."""
    statement = (
        insert_for(session, LinkedInNotification)
        .values(
            tenant_id=tenant_id,
            kind=kind,
            request_id=request_id,
            received_at=received_at,
            expires_at=expires_at,
            state=State.PENDING.value,
            attempts=0,
            next_attempt_at=received_at,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "kind", "request_id"])
        .returning(LinkedInNotification.id)
    )
    return (await session.scalar(statement)) is not None


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    claimed_until: datetime,
    limit: int,
    left_for_others: Collection[str],
) -> list[Claimed]:
    """Pending notifications due at `now`, oldest first, except the types in `left_for_others`; each is
    held until `claimed_until` by moving its next_attempt_at there. Locked with SKIP LOCKED on PostgreSQL,
    so replicas claiming at once take different rows (SQLite's single writer needs no lock)."""
    query = (
        select(LinkedInNotification)
        .where(
            LinkedInNotification.state == State.PENDING.value,
            LinkedInNotification.next_attempt_at <= now,
        )
        .order_by(LinkedInNotification.next_attempt_at, LinkedInNotification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if left_for_others:
        query = query.where(LinkedInNotification.kind.not_in(list(left_for_others)))
    rows = (await session.scalars(query)).all()
    if not rows:
        return []
    await session.execute(
        update(LinkedInNotification)
        .where(LinkedInNotification.id.in_([row.id for row in rows]))
        .values(next_attempt_at=claimed_until)
        .execution_options(synchronize_session=False)
    )
    return [
        Claimed(
            id=row.id,
            tenant_id=row.tenant_id,
            kind=row.kind,
            request_id=row.request_id,
            expires_at=row.expires_at,
            attempts=row.attempts,
            claimed_until=claimed_until,
        )
        for row in rows
    ]


async def lock_claimed(session: AsyncSession, claimed: Claimed) -> LinkedInNotification | None:
    """The notification, locked for this transaction, if `claimed` still holds it: still pending and not
    claimed again since (a worker whose claim ran out and was taken over gets None and changes nothing)."""
    return await session.scalar(
        select(LinkedInNotification)
        .where(
            LinkedInNotification.id == claimed.id,
            LinkedInNotification.state == State.PENDING.value,
            LinkedInNotification.next_attempt_at == claimed.claimed_until,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
