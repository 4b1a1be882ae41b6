"""member pulls owed: connect before alert keeps each candidate's member pull owed until one succeeds, so a
failed one is pulled again by the next connect

Revision ID: 44107d7c2c70
Revises: c5dbafb0d076
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rsc_service.db.base

revision: str = "44107d7c2c70"
down_revision: str | None = "c5dbafb0d076"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_pulls_owed",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("ats_candidate_id", sa.String(length=200), nullable=False),
        sa.Column("member_urn", sa.String(length=100), nullable=False),
        sa.Column("owed_since", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("failed_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_member_pulls_owed_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "ats_candidate_id", name=op.f("pk_member_pulls_owed")),
    )


def downgrade() -> None:
    op.drop_table("member_pulls_owed")
