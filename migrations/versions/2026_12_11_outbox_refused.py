"""outbox: refused, why the newest revision of a record was refused as built, kept apart from last_error,
which the settle of a send in flight (or a job task) rewrites (docs/architecture.md#5-resources).

Dead letters refused as built carry their reason in last_error: it is copied over.

Revision ID: 4c2e8a7f1d93
Revises: 9b3e6d1c4a58
Create Date: 2026-12-11 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4c2e8a7f1d93"
down_revision: str | None = "9b3e6d1c4a58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("refused", sa.Text(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE outbox_messages SET refused = last_error "
            "WHERE state = 'dead' AND last_error LIKE '% cannot be sent: %'"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("refused")
