"""outbox: failing_since (give up by time) and blocked_by (children of a dead parent)

Revision ID: 7c1e4f2a9d03
Revises: 5b7d0c2e9a41
Create Date: 2026-12-06 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rsc_service.db.base

revision: str = "7c1e4f2a9d03"
down_revision: str | None = "5b7d0c2e9a41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(
            sa.Column("failing_since", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("blocked_by", sa.String(length=270), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("blocked_by")
        batch.drop_column("failing_since")
