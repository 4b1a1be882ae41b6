"""Tenant: one ATS account = one LinkedIn organization = one provisioned child application."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base, TimestampMixin


class Stage(StrEnum):
    REQUESTED = "requested"
    PARTNER_READY = "partner_ready"
    ENABLED = "enabled"
    INITIAL_SYNC = "initial_sync"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class Tenant(TimestampMixin, Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[Stage] = mapped_column(String(20), default=Stage.REQUESTED)
