"""outbox: owed_since, since when a row is owed, kept however often it is claimed and retried

Sync health's oldest owed change and `rsc_outbox_oldest_age_seconds` read it instead of `updated_at`, which
every claim moves (docs/architecture.md#20-operations). Existing rows get the best this database knows: a row
that never landed is owed since it was created; one that landed, since its last change, or the start of its
current run of failures if that came first (a failing row's `updated_at` is its last attempt).

Revision ID: e51076700e40
Revises: 5b7d2e9a4c16
Create Date: 2026-12-15 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rsc_service.db.base

revision: str = "e51076700e40"
down_revision: str | None = "5b7d2e9a4c16"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owed_since", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True)
        )
    op.execute(
        sa.text(
            "UPDATE outbox_messages SET owed_since = CASE"
            " WHEN landed_at IS NULL THEN created_at"
            " WHEN failing_since IS NOT NULL AND failing_since < updated_at THEN failing_since"
            " ELSE updated_at END"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("owed_since")
