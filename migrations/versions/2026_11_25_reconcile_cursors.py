"""reconcile cursors

Revision ID: 29365478d9b5
Revises: fd23e058a049
Create Date: 2026-11-25 19:52:01.041261
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rsc_service.db.base

revision: str = "29365478d9b5"
down_revision: str | None = "fd23e058a049"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reconcile_cursors",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("since", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_reconcile_cursors_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "kind", name=op.f("pk_reconcile_cursors")),
    )


def downgrade() -> None:
    op.drop_table("reconcile_cursors")
