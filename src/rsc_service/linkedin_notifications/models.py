"""LinkedIn's push notifications as received: recorded once by request id, processed by a job
(docs/onboarding.md#notifications)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base, OutsideText

INTEGRATION_STATUS_CHANGE = "INTEGRATION_STATUS_CHANGE"
EXPORT_CANDIDATE_PROFILE = "EXPORT_CANDIDATE_PROFILE"


class State(StrEnum):
    PENDING = "pending"  # due at next_attempt_at; while claimed, next_attempt_at is the claim's end
    DONE = "done"
    FAILED = "failed"  # expired, or out of attempts; last_error says which
    IGNORED = "ignored"  # a type this service does not act on; last_error says so


class LinkedInNotification(Base):
    __tablename__ = "linkedin_notifications"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "request_id"),
        Index("ix_linkedin_notifications_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))  # INTEGRATION_STATUS_CHANGE, EXPORT_CANDIDATE_PROFILE, …
    request_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending | done | failed | ignored
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(OutsideText(500))
