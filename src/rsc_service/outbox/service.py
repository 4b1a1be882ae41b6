"""enqueue(): how other features tell the outbox what LinkedIn must receive, in their own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db import bulk
from rsc_service.outbox import repository, tenant_rows, wake
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Intent, Op, State, left_key

_SETTLED = (State.DONE, State.DEAD)


def _same(message: OutboxMessage | NewMessage, intent: Intent) -> bool:
    return (
        message.op == intent.op
        and message.payload == intent.payload
        and message.path_parent == intent.path_parent
        and list(message.depends_on) == list(intent.depends_on)
        and message.refused == intent.refused
    )


@dataclass(frozen=True)
class Owed:
    """What one mirror record owes LinkedIn: its intents, and optionally a sub-collection to prune.

    With `prune` = (resource, path_parent), rows of that sub-collection under that parent which the intents
    no longer name are owed as deletions (an application's stage that left its history, RSC-503).

    With `moves`, the record may change parent (a note attached to another application): a row that LinkedIn
    may hold under its old parent owes the deletion of that copy, in a row of its own (`left_key`), and such a
    deletion still owed under the parent the record comes back to is dropped. Rows named in `retire`,
    (resource, key), are owed as deletions where they are (a note that became an application note leaves the
    candidate's notes).
    """

    tenant_id: uuid.UUID
    intents: Sequence[Intent]
    source_version: int
    prune: tuple[str, str] | None = None
    moves: bool = False
    retire: Sequence[tuple[str, str]] = ()


async def enqueue(
    session: AsyncSession, owed: Sequence[Owed], *, now: datetime, along: Sequence[bulk.Rows] = ()
) -> list[Message]:
    """Upsert every intent's row, in order. A changed payload is a new revision; a settled row is due again.

    The rows concerned are read (locked on PostgreSQL) in one statement and changed in memory for the
    session's flush; new rows are inserted together in one statement, outside the session. An in-flight
    row keeps its lease: its settle sees `revision > sent_revision` and leaves it pending. A refused intent
    is a dead letter at once, with its reason. A concurrent first insert of the same key fails that
    statement with IntegrityError; the caller's transaction is retried as a whole. Rows of other tables in
    `along` are inserted with the new rows, in the same statement on PostgreSQL (db/bulk.py).
    """
    if not any(o.intents or o.prune or o.retire for o in owed):
        await bulk.insert_together(session, along)
        return []
    named = [(o.tenant_id, i.resource, i.key) for o in owed for i in o.intents]
    named += [
        (o.tenant_id, i.resource, left_key(i.key, i.path_parent))
        for o in owed
        if o.moves
        for i in o.intents
        if i.path_parent is not None
    ]
    named += [(o.tenant_id, resource, key) for o in owed for resource, key in o.retire]
    rows = _Rows(
        await repository.lock_for_enqueue(
            session, refs=named, parents=[(o.tenant_id, *o.prune) for o in owed if o.prune is not None]
        )
    )
    # A record moving away from its parent leaves a copy there, owed as a deletion in a row of its own: that
    # row may exist already (moved away from there before), and only the row just read names the old parent.
    left_behind = [
        (o.tenant_id, i.resource, left_key(i.key, found.path_parent))
        for o in owed
        if o.moves
        for i in o.intents
        if (found := rows.get(o.tenant_id, i.resource, i.key)) is not None
        and found.path_parent not in (None, i.path_parent)
    ]
    if left_behind:
        rows.add(await repository.lock_for_enqueue(session, refs=left_behind, parents=[]))
    touched: list[Message] = []
    for item in owed:
        for intent in item.intents:
            if item.moves:
                touched += rows.move(item.tenant_id, intent, item.source_version, now)
            touched.append(rows.upsert(item.tenant_id, intent, item.source_version, now))
        for resource, key in item.retire:
            found = rows.get(item.tenant_id, resource, key)
            if found is not None and found.op is not Op.DELETE:
                gone = Intent(resource, key, Op.DELETE, None, path_parent=found.path_parent)
                touched.append(rows.upsert(item.tenant_id, gone, item.source_version, now))
        if item.prune is not None:
            resource, parent = item.prune
            kept = {intent.key for intent in item.intents if intent.resource == resource}
            for row in rows.children(item.tenant_id, resource, parent):
                if row.key in kept or row.op is Op.DELETE:
                    continue
                gone = Intent(resource, row.key, Op.DELETE, None, path_parent=parent)
                touched.append(rows.upsert(item.tenant_id, gone, item.source_version, now))
    # On PostgreSQL the outbox INSERT's trigger sends the NOTIFY.
    await bulk.insert_together(session, [*along, bulk.Rows(_TABLE, rows.new)])
    await wake.announce(session, inserted=bool(rows.new))
    for tenant_id, refs in rows.revived.items():  # sent again: what waited for them is due again too
        await repository.release_blocked(session, tenant_id=tenant_id, refs=refs, now=now)
    return touched


@dataclass(slots=True, eq=False)
class NewMessage:
    """An outbox row this run creates: OutboxMessage's columns without the ORM's per-object cost."""

    tenant_id: uuid.UUID
    resource: str
    key: str
    path_parent: str | None
    depends_on: list[str]
    op: Op
    payload: dict[str, Any] | None
    revision: int
    source_version: int
    state: State
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    owed_since: datetime
    task_ids: list[str] = field(default_factory=list)
    attempts: int = 0
    last_error: str | None = None
    refused: str | None = None
    failing_since: datetime | None = None
    blocked_by: str | None = None
    sent_revision: None = None  # never sent yet
    landed_at: datetime | None = None  # set only for the copy a moved record left under its old parent
    id: None = None  # given by the database on insert


_TABLE = cast(Table, OutboxMessage.__table__)  # inserted with Core (db/bulk.py): no ORM bookkeeping per row
Message = OutboxMessage | NewMessage


class _Rows:
    """The outbox rows one enqueue_all() reads and writes, by (tenant, resource, key)."""

    def __init__(self, loaded: Sequence[OutboxMessage]) -> None:
        self._by_key: dict[tuple[uuid.UUID, str, str], Message] = {
            (m.tenant_id, m.resource, m.key): m for m in loaded
        }
        self.new: list[NewMessage] = []  # inserted together at the end
        self.revived: dict[uuid.UUID, set[str]] = {}  # dead letters due again, by tenant

    def add(self, loaded: Sequence[OutboxMessage]) -> None:
        """Rows read after the first read, for keys only those rows could name."""
        for m in loaded:
            self._by_key.setdefault((m.tenant_id, m.resource, m.key), m)

    def get(self, tenant_id: uuid.UUID, resource: str, key: str) -> Message | None:
        return self._by_key.get((tenant_id, resource, key))

    def move(self, tenant_id: uuid.UUID, intent: Intent, source_version: int, now: datetime) -> list[Message]:
        """Before `intent` is upserted: the deletion of the copy its row's record left under its old parent,
        if LinkedIn may hold one, and none still owed under the parent `intent` names (that copy is the
        record's own row again). Returns the rows changed."""
        touched: list[Message] = []
        if intent.path_parent is not None:
            left = self.get(tenant_id, intent.resource, left_key(intent.key, intent.path_parent))
            if left is not None and left.state in (State.PENDING, State.DEAD):
                # Never sent since it was owed: the record's own row writes or deletes it there now.
                left.state, left.landed_at, left.blocked_by, left.updated_at = State.DONE, None, None, now
                touched.append(left)
        message = self.get(tenant_id, intent.resource, intent.key)
        old = message.path_parent if message is not None else None
        if message is None or old is None or old == intent.path_parent or not tenant_rows.maybe_held(message):
            return touched
        gone = Intent(intent.resource, left_key(intent.key, old), Op.DELETE, None, path_parent=old)
        earlier = self.get(tenant_id, gone.resource, gone.key)
        # An earlier copy there that was deleted (or dropped): this one is owed anew.
        left = self.upsert(
            tenant_id, gone, source_version, now, again=earlier is not None and earlier.state in _SETTLED
        )
        # LinkedIn may hold the copy there (a deactivation deletes it too); the record's own row holds nothing
        # under its new parent until its write lands there.
        left.landed_at = message.landed_at or now
        if isinstance(message, OutboxMessage):
            message.landed_at = None
        touched.append(left)
        return touched

    def children(self, tenant_id: uuid.UUID, resource: str, parent: str) -> list[Message]:
        rows = [
            m
            for (tenant, kind, _), m in self._by_key.items()
            if tenant == tenant_id and kind == resource and m.path_parent == parent
        ]
        return sorted(rows, key=lambda m: (m.id is None, m.id or 0))

    def upsert(
        self, tenant_id: uuid.UUID, intent: Intent, source_version: int, now: datetime, *, again: bool = False
    ) -> Message:
        """The row of `intent`, created or changed; `again`: a new revision, owed again, even if the intent is
        the one the row holds already."""
        message = self._by_key.get((tenant_id, intent.resource, intent.key))
        if message is None:
            new = NewMessage(
                tenant_id=tenant_id,
                resource=intent.resource,
                key=intent.key,
                path_parent=intent.path_parent,
                depends_on=list(intent.depends_on),
                op=intent.op,
                payload=intent.payload,
                revision=1,
                source_version=source_version,
                state=State.PENDING if intent.refused is None else State.DEAD,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
                owed_since=now,
                last_error=intent.refused,
                refused=intent.refused,
            )
            self.new.append(new)
            self._by_key[(tenant_id, intent.resource, intent.key)] = new
            return new
        message.source_version = max(message.source_version, source_version)
        if _same(message, intent) and not again:
            return message
        # Owed again after its deletion: rows that gave up waiting for it (policy.awaited) are due again.
        recreated = message.op is Op.DELETE and intent.op is not Op.DELETE
        if recreated and message.sent_revision == message.revision:
            # Its deletion was sent, so LinkedIn may hold nothing of it already (in flight, or its answer
            # lost): what landed before counts no more, and its children wait for the re-creation to land
            # (docs/architecture.md#8-deleting).
            message.landed_at = None
        message.revision += 1
        message.op = intent.op
        message.payload = intent.payload
        message.path_parent = intent.path_parent
        message.depends_on = list(intent.depends_on)
        message.updated_at = now
        if recreated:  # owed anew: its deletion's landing leaves LinkedIn nothing of it (settling.landed)
            message.created_at = now
        message.refused = intent.refused
        if intent.refused is not None:
            # A row in flight keeps its lease, and one waiting on a job task keeps waiting: what LinkedIn did
            # with the revision sent is still recorded (held, landed), then the settle finds the newer,
            # refused revision and makes the row a dead letter with its reason (settling.py).
            message.last_error = intent.refused
            if message.state not in (State.INFLIGHT, State.AWAITING_TASK):
                message.state, message.attempts, message.task_ids = State.DEAD, 0, []
        elif message.state in _SETTLED:
            if message.state is State.DEAD or recreated:
                self.revived.setdefault(tenant_id, set()).add(f"{message.resource}:{message.key}")
            message.state = State.PENDING
            message.owed_since = now  # owed again from now (a row still owed stays owed since before)
            message.blocked_by = None
            message.attempts = 0
            message.last_error = None
            message.failing_since = None
            message.next_attempt_at = now
        return message


async def list_messages(
    session: AsyncSession, *, tenant_id: uuid.UUID, state: State | None = None
) -> Sequence[OutboxMessage]:
    return await repository.list_messages(session, tenant_id=tenant_id, state=state)


async def send_again(
    session: AsyncSession, *, tenant_id: uuid.UUID, resource: str, keys: Sequence[str], now: datetime
) -> int:
    """Rows LinkedIn already holds go out once more as they are, because LinkedIn asked for them again (a
    RESYNC_JOBS push): each settled row is due now, as a new revision. Returns how many."""
    if not keys:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.resource == resource,
            OutboxMessage.key.in_(list(keys)),
            OutboxMessage.state == State.DONE,
        )
        .values(
            state=State.PENDING,
            revision=OutboxMessage.revision + 1,
            attempts=0,
            task_ids=[],
            next_attempt_at=now,
            updated_at=now,
            owed_since=now,
        )
        .execution_options(synchronize_session=False)
    )
    await wake.announce(session)
    return int(getattr(result, "rowcount", 0) or 0)


async def has_backlog(session: AsyncSession, *, tenant_id: uuid.UUID, rows: int) -> bool:
    """Whether the tenant owes LinkedIn at least `rows` rows (due, or waiting for budget or a retry): the
    drain is catching up."""
    return await repository.count_owed(session, tenant_id=tenant_id, up_to=rows) >= rows


async def depth(session: AsyncSession, *, tenant_id: uuid.UUID) -> dict[str, int]:
    return await repository.count_by_state(session, tenant_id=tenant_id)


def landed(resource: str) -> Select[uuid.UUID, str, datetime]:
    """(tenant, key, settled at) of the rows of `resource` whose newest write has landed, as a query that
    other features may join their own tables to."""
    return select(OutboxMessage.tenant_id, OutboxMessage.key, OutboxMessage.updated_at).where(
        OutboxMessage.resource == resource,
        OutboxMessage.state == State.DONE,
        OutboxMessage.op == Op.UPSERT,
    )
