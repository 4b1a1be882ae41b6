"""AtsRecord: our copy of every ATS record; the newest version wins and a deletion is a tombstone
(docs/architecture.md#2-the-mirror)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base, JsonDocument


class AtsRecord(Base):
    __tablename__ = "ats_records"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "ats_id"),
        Index("ix_ats_records_candidate", "tenant_id", "candidate_id"),
        Index("ix_ats_records_application", "tenant_id", "application_id"),
        Index("ix_ats_records_job", "tenant_id", "job_id"),  # a job's applications, re-owed when it changes
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    ats_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    deleted: Mapped[bool] = mapped_column(default=False)
    candidate_id: Mapped[str | None] = mapped_column(String(200))
    job_id: Mapped[str | None] = mapped_column(String(200))
    application_id: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    occurred_at: Mapped[datetime]
    updated_at: Mapped[datetime]
