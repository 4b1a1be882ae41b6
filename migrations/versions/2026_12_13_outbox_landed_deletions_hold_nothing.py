"""A deletion that landed leaves LinkedIn holding nothing of its record: `outbox_messages.landed_at` is cleared
on such rows, as the dispatcher now does when a deletion lands, so that children of a re-created record wait
for it to land again (docs/architecture.md#8-deleting). Data only: the schema does not change.

Revision ID: 9c4e1a7b3d52
Revises: 6a8e2d4f1b37
Create Date: 2026-12-13 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c4e1a7b3d52"
down_revision: str | None = "6a8e2d4f1b37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE outbox_messages SET landed_at = NULL WHERE op = 'delete' AND state = 'done'"))


def downgrade() -> None:
    """Nothing to restore: the releases before this one read a cleared landed_at as "never landed", which is
    what LinkedIn holds of a deleted record."""
