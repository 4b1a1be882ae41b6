"""outbox: task_started_at, the age of the job task a row waits on

Revision ID: c4d81a9e2b60
Revises: 3f9b2d7e6a15
Create Date: 2026-12-06 04:11:07.148403
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rsc_service.db.base

revision: str = "c4d81a9e2b60"
down_revision: str | None = "3f9b2d7e6a15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("task_started_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("task_started_at")
