"""linkedin activity: who wrote each pulled note and InMail and when, and the index reading them by candidate

Revision ID: a1c2e3f4b5d6
Revises: f9c36e4b5152
Create Date: 2026-12-06 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rsc_service.db.base

revision: str = "a1c2e3f4b5d6"
down_revision: str | None = "f9c36e4b5152"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pulled_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_user_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("author_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("direction", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("dated_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_pulled_items_candidate", ["tenant_id", "ats_candidate_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pulled_items", schema=None) as batch_op:
        batch_op.drop_index("ix_pulled_items_candidate")
        batch_op.drop_column("dated_at")
        batch_op.drop_column("direction")
        batch_op.drop_column("author_name")
        batch_op.drop_column("author_user_id")
