"""Recruiter seats of a tenant's contracts and the ATS user each one is connected to
(docs/onboarding.md#seats)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base


class Seat(Base):
    __tablename__ = "seats"
    __table_args__ = (
        UniqueConstraint("tenant_id", "contract_urn", "seat_id"),
        UniqueConstraint("tenant_id", "ats_user_id"),  # one seat per ATS user; nulls do not collide
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    contract_urn: Mapped[str] = mapped_column(String(100))
    seat_id: Mapped[str] = mapped_column(String(40))
    member_urn: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool]
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    ats_user_id: Mapped[str | None] = mapped_column(String(200))
    assigned_by: Mapped[str | None] = mapped_column(String(20))  # "email" (automatic) or "manual"
    assigned_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime]
