"""setup progress and deactivation

Revision ID: 3f9b2d7e6a15
Revises: 8e2a6c41f0b7
Create Date: 2026-12-06 04:04:57.571509
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rsc_service.db.base

revision: str = "3f9b2d7e6a15"
down_revision: str | None = "8e2a6c41f0b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "setup_progress",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("task", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column("started_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_setup_progress_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setup_progress")),
        sa.UniqueConstraint("tenant_id", "task", "kind", name=op.f("uq_setup_progress_tenant_id_task_kind")),
    )
    with op.batch_alter_table("setup_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_setup_progress_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivation_mode", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column(
                "deactivation_finished_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("deactivation_finished_at")
        batch_op.drop_column("deactivation_mode")

    with op.batch_alter_table("setup_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_setup_progress_tenant_id"))

    op.drop_table("setup_progress")
