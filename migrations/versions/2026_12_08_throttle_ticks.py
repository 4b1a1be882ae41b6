"""throttle slots per tick: the record window is counted in tenths of a second, so the margin kept against
LinkedIn's own window is 1.1 s instead of 2 s (docs/architecture.md#10-throttle)

Revision ID: 7c4d2e9a1f36
Revises: 5e8a1c2f7b90
Create Date: 2026-12-08 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c4d2e9a1f36"
down_revision: str | None = "5e8a1c2f7b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("throttle_slots", schema=None) as batch_op:
        batch_op.alter_column(
            "second",
            new_column_name="tick",
            existing_type=sa.Integer(),
            type_=sa.BigInteger(),
            existing_nullable=False,
        )
    # What the last minute sent stays counted: a second's records fall in its first tick.
    op.execute(sa.text("UPDATE throttle_slots SET tick = tick * 10"))


def downgrade() -> None:
    # Ticks of one second cannot share its row: the window's last minute is forgotten (a 429 from LinkedIn
    # pauses sending if that lets more through than it allows).
    op.execute(sa.text("DELETE FROM throttle_slots"))
    with op.batch_alter_table("throttle_slots", schema=None) as batch_op:
        batch_op.alter_column(
            "tick",
            new_column_name="second",
            existing_type=sa.BigInteger(),
            type_=sa.Integer(),
            existing_nullable=False,
        )
