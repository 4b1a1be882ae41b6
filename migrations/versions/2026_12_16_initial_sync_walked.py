"""initial sync: the records each walk has listed, so a record listed again is counted once

The ATS lists a record that changes while the walk pages again at the end (openapi/ats-api.yaml); the walk
counted it twice, in its progress and in the activation email (docs/onboarding.md#initial-sync).

Revision ID: a3685112462c
Revises: e51076700e40
Create Date: 2026-12-16 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a3685112462c"
down_revision: str | None = "e51076700e40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "initial_sync_walked",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("ats_id", sa.String(length=200), nullable=False),
        sa.Column("synced", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_initial_sync_walked_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initial_sync_walked")),
        sa.UniqueConstraint(
            "tenant_id", "kind", "ats_id", name=op.f("uq_initial_sync_walked_tenant_id_kind_ats_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("initial_sync_walked")
