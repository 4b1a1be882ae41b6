"""onboarding: stages audit, integrations, sign-in states, seats, LinkedIn notifications

Revision ID: 8e2a6c41f0b7
Revises: 7c1e4f2a9d03
Create Date: 2026-12-06 03:52:28.359662
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rsc_service.db.base

revision: str = "8e2a6c41f0b7"
down_revision: str | None = "7c1e4f2a9d03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "linkedin_notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_linkedin_notifications_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkedin_notifications")),
        sa.UniqueConstraint(
            "tenant_id",
            "kind",
            "request_id",
            name=op.f("uq_linkedin_notifications_tenant_id_kind_request_id"),
        ),
    )
    with op.batch_alter_table("linkedin_notifications", schema=None) as batch_op:
        batch_op.create_index("ix_linkedin_notifications_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_linkedin_notifications_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "oauth_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("ats_user_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_oauth_states_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_oauth_states")),
    )
    with op.batch_alter_table("oauth_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_states_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "seats",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("contract_urn", sa.String(length=100), nullable=False),
        sa.Column("seat_id", sa.String(length=40), nullable=False),
        sa.Column("member_urn", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("first_name", sa.String(length=200), nullable=True),
        sa.Column("last_name", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("ats_user_id", sa.String(length=200), nullable=True),
        sa.Column("assigned_by", sa.String(length=20), nullable=True),
        sa.Column("assigned_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_seats_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seats")),
        sa.UniqueConstraint("tenant_id", "ats_user_id", name=op.f("uq_seats_tenant_id_ats_user_id")),
        sa.UniqueConstraint(
            "tenant_id", "contract_urn", "seat_id", name=op.f("uq_seats_tenant_id_contract_urn_seat_id")
        ),
    )
    with op.batch_alter_table("seats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seats_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "tenant_integrations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("integration_context", sa.String(length=100), nullable=False),
        sa.Column("integration_type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("updated_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_integrations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_integrations")),
        sa.UniqueConstraint(
            "tenant_id",
            "integration_context",
            "integration_type",
            name=op.f("uq_tenant_integrations_tenant_id_integration_context_integration_type"),
        ),
    )
    with op.batch_alter_table("tenant_integrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_integrations_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "tenant_stage_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage", sa.String(length=20), nullable=True),
        sa.Column("to_stage", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_stage_changes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_stage_changes")),
    )
    with op.batch_alter_table("tenant_stage_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_stage_changes_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stage_changed_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("job_availability", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("ats_web_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("activated_by_user_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("activated_by_member", sa.String(length=100), nullable=True))
        batch_op.alter_column(
            "linkedin_organization_urn", existing_type=sa.VARCHAR(length=100), nullable=True
        )
        batch_op.alter_column("linkedin_client_id", existing_type=sa.VARCHAR(length=200), nullable=True)
        batch_op.alter_column("linkedin_client_secret_enc", existing_type=sa.TEXT(), nullable=True)
        batch_op.alter_column("linkedin_app_urn", existing_type=sa.VARCHAR(length=200), nullable=True)
        batch_op.alter_column(
            "linkedin_unique_foreign_id", existing_type=sa.VARCHAR(length=200), nullable=True
        )


def downgrade() -> None:

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.alter_column(
            "linkedin_unique_foreign_id", existing_type=sa.VARCHAR(length=200), nullable=False
        )
        batch_op.alter_column("linkedin_app_urn", existing_type=sa.VARCHAR(length=200), nullable=False)
        batch_op.alter_column("linkedin_client_secret_enc", existing_type=sa.TEXT(), nullable=False)
        batch_op.alter_column("linkedin_client_id", existing_type=sa.VARCHAR(length=200), nullable=False)
        batch_op.alter_column(
            "linkedin_organization_urn", existing_type=sa.VARCHAR(length=100), nullable=False
        )
        batch_op.drop_column("activated_by_member")
        batch_op.drop_column("activated_by_user_id")
        batch_op.drop_column("ats_web_url")
        batch_op.drop_column("job_availability")
        batch_op.drop_column("stage_changed_at")

    with op.batch_alter_table("tenant_stage_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenant_stage_changes_tenant_id"))

    op.drop_table("tenant_stage_changes")
    with op.batch_alter_table("tenant_integrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenant_integrations_tenant_id"))

    op.drop_table("tenant_integrations")
    with op.batch_alter_table("seats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seats_tenant_id"))

    op.drop_table("seats")
    with op.batch_alter_table("oauth_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_states_tenant_id"))

    op.drop_table("oauth_states")
    with op.batch_alter_table("linkedin_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linkedin_notifications_tenant_id"))
        batch_op.drop_index("ix_linkedin_notifications_due")

    op.drop_table("linkedin_notifications")
