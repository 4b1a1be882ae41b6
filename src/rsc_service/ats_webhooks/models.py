"""AtsWebhookEvent: the inbox, one row per (tenant, webhook-id), kept for dedupe
(docs/architecture.md#14-ingest)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base


class AtsWebhookEvent(Base):
    __tablename__ = "ats_webhook_events"
    __table_args__ = (UniqueConstraint("tenant_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(60))
    record_kind: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[str] = mapped_column(String(200))
    record_version: Mapped[int]
    applied: Mapped[bool] = mapped_column(default=True)
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(index=True)
