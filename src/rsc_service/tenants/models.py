"""Tenant: one ATS account = one LinkedIn organization = one provisioned child application
(docs/architecture.md#1-tenants)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rsc_service.db.base import Base, EnumText, OutsideText, TimestampMixin


class Stage(StrEnum):
    REQUESTED = "requested"
    PARTNER_READY = "partner_ready"
    ENABLED = "enabled"
    INITIAL_SYNC = "initial_sync"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


# tenants.key: "tn_" and 16 hex digits when registered (tenants/service.py); no longer key can exist.
KEY_LENGTH = 64
# An audit trail's actor: "ats_user:" and an ATS user id of up to 200 characters (what every route takes),
# or a shorter name (operator, linkedin, service, ats).
ACTOR_LENGTH = 210


class Tenant(TimestampMixin, Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[Stage] = mapped_column(EnumText(Stage, 20), default=Stage.REQUESTED)
    ats_base_url: Mapped[str] = mapped_column(String(500))
    ats_token_enc: Mapped[str] = mapped_column(Text)
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    api_key_prefix: Mapped[str] = mapped_column(String(16))
    # Null until onboarding provisions the child application and the customer connects it
    # (docs/onboarding.md); an operator registering an existing child app sets them at once.
    linkedin_organization_urn: Mapped[str | None] = mapped_column(String(100))
    linkedin_client_id: Mapped[str | None] = mapped_column(String(200))
    linkedin_client_secret_enc: Mapped[str | None] = mapped_column(Text)
    # One tenant's: a job resync names the customer by it alone (docs/pull.md#job-resync); many nulls.
    linkedin_app_urn: Mapped[str | None] = mapped_column(String(200), unique=True, index=True)
    linkedin_unique_foreign_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    stage_changed_at: Mapped[datetime | None]
    # P9: PUBLIC or PRIVATE_TO_ATS_INTEGRATION; null = no choice made = private (RSC-102).
    job_availability: Mapped[str | None] = mapped_column(String(40))
    # The https origin where the customer's ATS users work: LinkedIn's validJsSdkDomains.
    ats_web_url: Mapped[str | None] = mapped_column(String(500))
    activated_by_user_id: Mapped[str | None] = mapped_column(String(200))
    activated_by_member: Mapped[str | None] = mapped_column(String(100))
    # A8: "delete" (LinkedIn's copy is deleted, then local data purged) or "keep" (LinkedIn keeps its copy).
    deactivation_mode: Mapped[str | None] = mapped_column(String(20))
    deactivation_finished_at: Mapped[datetime | None]
    # Set when LinkedIn refuses the integration as a whole (403): nothing is sent, nothing dead-lettered.
    sending_paused_until: Mapped[datetime | None]
    sending_paused_reason: Mapped[str | None] = mapped_column(OutsideText(500))
    # What LinkedIn's side presents on the In-ATS routes, encrypted (docs/in-ats.md#the-credential); null
    # until the child application is provisioned or an operator issues one.
    in_ats_credential_enc: Mapped[str | None] = mapped_column(Text)
    # The deep link of the In-ATS preview, e.g. https://acme.ats.example/candidates/{candidate_id}; null:
    # the candidate's own `url` from the ATS (docs/in-ats.md#the-deep-link).
    candidate_url_template: Mapped[str | None] = mapped_column(String(500))

    contracts: Mapped[list[TenantContract]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TenantContract.contract_urn",
    )
    # Declared so a flush inserts the tenant before its audit rows (they are written, never loaded this way).
    stage_changes: Mapped[list[StageChange]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True, order_by="StageChange.id"
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


class StageChange(Base):
    """The audit trail of a tenant's stages: who moved it, when and why (kept after deactivation)."""

    __tablename__ = "tenant_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[Stage | None] = mapped_column(EnumText(Stage, 20))
    to_stage: Mapped[Stage] = mapped_column(EnumText(Stage, 20))
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    reason: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime]


class TenantIntegration(Base):
    """One LinkedIn integration of the tenant (company-level types on the organization, CSA_API on each
    contract) and the status LinkedIn last reported for it."""

    __tablename__ = "tenant_integrations"
    __table_args__ = (UniqueConstraint("tenant_id", "integration_context", "integration_type"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    integration_context: Mapped[str] = mapped_column(String(100))
    integration_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # REQUESTED until LinkedIn says ENABLED or DISABLED
    updated_at: Mapped[datetime]


class OAuthState(Base):
    """A LinkedIn sign-in in progress: the `state` (stored hashed) binds the callback to a tenant and user."""

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    ats_user_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
