"""ReconcileCursor: per tenant and record kind, how far the ATS has been compared with the mirror."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base, OutsideText


class ReconcileCursor(Base):
    __tablename__ = "reconcile_cursors"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    # Every ATS change older than this has been compared; the next walk starts here less an overlap. Never
    # past when the walk that moved it started (service._moved).
    since: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(OutsideText())
