"""enqueue(): the one way other features tell the outbox what LinkedIn must receive, in their transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.outbox import repository
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Intent, State

_SETTLED = (State.DONE, State.DEAD)
TOUCHED = "outbox_touched"  # session.info flag: this transaction wrote outbox rows
NOTIFY_CHANNEL = "rsc_outbox"


async def _announce(session: AsyncSession) -> None:
    """Wake dispatchers when this transaction commits: in-process by flag, other replicas by NOTIFY."""
    if session.info.get(TOUCHED):
        return
    session.info[TOUCHED] = True
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


def _same(message: OutboxMessage, intent: Intent) -> bool:
    return (
        message.op == intent.op
        and message.payload == intent.payload
        and message.path_parent == intent.path_parent
        and list(message.depends_on) == list(intent.depends_on)
    )


async def enqueue(
    session: AsyncSession, *, tenant_id: uuid.UUID, intent: Intent, source_version: int, now: datetime
) -> OutboxMessage:
    """Upsert the row for (resource, key). A changed payload is a new revision; a settled row is due again.

    An in-flight row keeps its lease: its settle sees `revision > sent_revision` and leaves it pending.
    """
    await _announce(session)
    for _ in range(2):  # a concurrent first insert of the same key loses once, then updates
        message = await repository.lock_message(
            session, tenant_id=tenant_id, resource=intent.resource, key=intent.key
        )
        if message is None:
            message = OutboxMessage(
                tenant_id=tenant_id,
                resource=intent.resource,
                key=intent.key,
                path_parent=intent.path_parent,
                depends_on=list(intent.depends_on),
                op=intent.op,
                payload=intent.payload,
                revision=1,
                source_version=source_version,
                state=State.PENDING,
                task_ids=[],
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
            try:
                async with session.begin_nested():
                    session.add(message)
                    await session.flush()
            except IntegrityError:
                continue
            return message
        message.source_version = max(message.source_version, source_version)
        if _same(message, intent):
            return message
        message.revision += 1
        message.op = intent.op
        message.payload = intent.payload
        message.path_parent = intent.path_parent
        message.depends_on = list(intent.depends_on)
        message.updated_at = now
        if message.state in _SETTLED:
            message.state = State.PENDING
            message.attempts = 0
            message.last_error = None
            message.next_attempt_at = now
        await session.flush()
        return message
    raise RuntimeError(f"outbox row {intent.resource}:{intent.key} could be neither inserted nor found")


async def list_messages(
    session: AsyncSession, *, tenant_id: uuid.UUID, state: State | None = None
) -> Sequence[OutboxMessage]:
    return await repository.list_messages(session, tenant_id=tenant_id, state=state)


async def depth(session: AsyncSession, *, tenant_id: uuid.UUID) -> dict[str, int]:
    return await repository.count_by_state(session, tenant_id=tenant_id)


async def list_children(
    session: AsyncSession, *, tenant_id: uuid.UUID, resource: str, path_parent: str
) -> Sequence[OutboxMessage]:
    return await repository.list_children(
        session, tenant_id=tenant_id, resource=resource, path_parent=path_parent
    )
