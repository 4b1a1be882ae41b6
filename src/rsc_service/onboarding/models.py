"""Progress of a tenant's long setup tasks (the initial sync, the deletion at deactivation), per kind of
record, saved as they go so a restarted process continues where the last one stopped
(docs/onboarding.md#initial-sync)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base


class SetupProgress(Base):
    __tablename__ = "setup_progress"
    __table_args__ = (UniqueConstraint("tenant_id", "task", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    task: Mapped[str] = mapped_column(String(20))  # initial_sync | deactivation
    kind: Mapped[str] = mapped_column(String(40))  # job, candidate, application, …
    cursor: Mapped[str | None] = mapped_column(Text)  # where the walk continues (an ATS cursor, a last id)
    done: Mapped[int] = mapped_column(default=0)  # records walked (or deleted) so far; never goes down
    total: Mapped[int | None]  # when known
    finished: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WalkedRecord(Base):
    """A record the initial sync listed in its current walk, so each is counted once though the ATS lists a
    record again when it changes while the walk pages (docs/onboarding.md#initial-sync). A kind's rows go
    when it is walked to the end, and all of a tenant's when a new sync starts."""

    __tablename__ = "initial_sync_walked"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "ats_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    ats_id: Mapped[str] = mapped_column(String(200))
    synced: Mapped[bool]  # False while it was only skipped (a parent not synced, a value not storable)
