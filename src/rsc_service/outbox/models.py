"""OutboxMessage: one row per (tenant, resource, key) owed to LinkedIn (docs/architecture.md#4-the-outbox)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base, EnumText, JsonDocument, OutsideText, TimestampMixin
from rsc_service.outbox.ops import Op, State


class OutboxMessage(TimestampMixin, Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("tenant_id", "resource", "key"),
        Index("ix_outbox_messages_due", "state", "next_attempt_at"),
        # A tenant's rows by state, then when due: what it still owes (the initial sync's pace) and its depth
        # are counted from the index alone, however many rows have landed; a claim reads each tenant's first
        # due rows from it, never the whole of a backlog.
        Index("ix_outbox_messages_tenant_due", "tenant_id", "state", "next_attempt_at", "id"),
        # A record's sub-collection (an application's stages), read when the record is owed again.
        Index("ix_outbox_messages_parent", "tenant_id", "resource", "path_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(String(60))
    # Unbounded: a key may join two ATS ids of up to 200 characters each, percent-quoted (an ACL's group and
    # job), or add a suffix to one (a stage's index).
    key: Mapped[str] = mapped_column(Text)
    path_parent: Mapped[str | None] = mapped_column(String(200))
    depends_on: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    op: Mapped[Op] = mapped_column(EnumText(Op, 10))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    revision: Mapped[int] = mapped_column(default=1)
    sent_revision: Mapped[int | None]
    source_version: Mapped[int] = mapped_column(default=0)
    state: Mapped[State] = mapped_column(EnumText(State, 15), default=State.PENDING)
    task_ids: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_token: Mapped[uuid.UUID | None]
    leased_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(OutsideText())
    # Since when LinkedIn holds a version of the record: set by its first write to land, cleared when its
    # deletion lands, so a re-created record's children wait for it to land again; `created_at` then moves to
    # its re-creation, when it is owed anew (docs/architecture.md#8-deleting).
    landed_at: Mapped[datetime | None]
    # When the job-posting task the row waits on was started: its age sets how often it is asked after.
    # Not updated_at, which every update of the row moves.
    task_started_at: Mapped[datetime | None]
    # Since when the row is owed: set when it becomes owed (created, or settled and owed again), kept while it
    # stays owed, however often it is claimed and retried (updated_at moves each time). Sync health's oldest
    # owed change (docs/architecture.md#20-operations); it says nothing once the row has settled. None only in
    # rows written without it (they count from `created_at`).
    owed_since: Mapped[datetime | None]
    # When the current run of transient failures began; a row gives up by time, not by a count of attempts.
    failing_since: Mapped[datetime | None]
    # "resource:key" of the dead letter this row waits on; it is released when that row is due again.
    blocked_by: Mapped[str | None] = mapped_column(Text)
    # What LinkedIn holds of the record where that decides how the next write goes, as the sender names it:
    # a job's availability, which an UPDATE may not change (docs/architecture.md#6-jobs). None: not known.
    held: Mapped[str | None] = mapped_column(String(40))
    # What it will hold once the task in flight succeeds. REPOST: LinkedIn holds the job closed so that it can
    # be posted again, as a new job, with another availability.
    held_after_task: Mapped[str | None] = mapped_column(String(40))
    # Why the newest revision was refused as built (nothing to send: docs/architecture.md#5-resources); None
    # when it could be built. Kept apart from last_error, which the settle of a send in flight rewrites.
    refused: Mapped[str | None] = mapped_column(OutsideText())
