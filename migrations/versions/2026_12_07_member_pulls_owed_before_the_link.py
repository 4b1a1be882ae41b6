"""member pulls owed before the link: a connect that answers pending owes the candidate its member's pull
before the member is known, so the member is null until the candidate is linked

Revision ID: 9b3e6f1d2a47
Revises: 44107d7c2c70
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b3e6f1d2a47"
down_revision: str | None = "44107d7c2c70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member_pulls_owed", schema=None) as batch_op:
        batch_op.alter_column("member_urn", existing_type=sa.String(length=100), nullable=True)


def downgrade() -> None:
    # Pulls owed to candidates not linked yet have no member to keep: the schema before this one cannot
    # hold them.
    op.execute(sa.text("DELETE FROM member_pulls_owed WHERE member_urn IS NULL"))
    with op.batch_alter_table("member_pulls_owed", schema=None) as batch_op:
        batch_op.alter_column("member_urn", existing_type=sa.String(length=100), nullable=False)
