"""Tenant: one ATS account = one LinkedIn organization = one provisioned child application
(docs/architecture.md#1-tenants)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rsc_service.db.base import Base, EnumText, TimestampMixin


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
    stage: Mapped[Stage] = mapped_column(EnumText(Stage, 20), default=Stage.REQUESTED)
    ats_base_url: Mapped[str] = mapped_column(String(500))
    ats_token_enc: Mapped[str] = mapped_column(Text)
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    api_key_prefix: Mapped[str] = mapped_column(String(16))
    linkedin_organization_urn: Mapped[str] = mapped_column(String(100))
    linkedin_client_id: Mapped[str] = mapped_column(String(200))
    linkedin_client_secret_enc: Mapped[str] = mapped_column(Text)
    linkedin_app_urn: Mapped[str] = mapped_column(String(200))
    linkedin_unique_foreign_id: Mapped[str] = mapped_column(String(200), unique=True)
    # Set when LinkedIn refuses the integration as a whole (403): nothing is sent, nothing dead-lettered.
    sending_paused_until: Mapped[datetime | None]
    sending_paused_reason: Mapped[str | None] = mapped_column(String(500))

    contracts: Mapped[list[TenantContract]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TenantContract.contract_urn",
    )


class TenantContract(Base):
    __tablename__ = "tenant_contracts"
    __table_args__ = (UniqueConstraint("tenant_id", "contract_urn"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    contract_urn: Mapped[str] = mapped_column(String(100))


class TenantWebhookSecret(Base):
    """Signing secrets of the ATS's webhooks; a rotated-out secret stays valid until `expires_at`."""

    __tablename__ = "tenant_webhook_secrets"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    secret_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
