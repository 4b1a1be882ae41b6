"""exports: One-Click Exports once per request id with their outcome, and each tenant's export settings

Revision ID: f9c36e4b5152
Revises: e8b25d3fa041
Create Date: 2026-12-06 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rsc_service.db.base

revision: str = "f9c36e4b5152"
down_revision: str | None = "e8b25d3fa041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "linkedin_exports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("member_urn", sa.String(length=100), nullable=True),
        sa.Column("seat_urn", sa.String(length=100), nullable=True),
        sa.Column("ats_user_id", sa.String(length=200), nullable=True),
        sa.Column("job_id", sa.String(length=200), nullable=True),
        sa.Column("ats_candidate_id", sa.String(length=200), nullable=True),
        sa.Column("likely_duplicate_of", sa.String(length=200), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("processed_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_linkedin_exports_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkedin_exports")),
        sa.UniqueConstraint("tenant_id", "request_id", name=op.f("uq_linkedin_exports_tenant_id_request_id")),
    )
    op.create_index(
        "ix_linkedin_exports_seat_month", "linkedin_exports", ["tenant_id", "seat_urn", "month"], unique=False
    )
    op.create_table(
        "export_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("stage", sa.String(length=100), nullable=True),
        sa.Column("sourcer_user_id", sa.String(length=200), nullable=True),
        sa.Column("updated_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_export_settings_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_export_settings")),
    )


def downgrade() -> None:
    op.drop_table("export_settings")
    op.drop_index("ix_linkedin_exports_seat_month", table_name="linkedin_exports")
    op.drop_table("linkedin_exports")
