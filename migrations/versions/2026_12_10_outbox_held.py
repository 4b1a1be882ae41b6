"""outbox: held and held_after_task, what LinkedIn holds of a record where that decides how the next write
goes (a job's availability, which an UPDATE may not change: docs/architecture.md#6-jobs); keys of any length

Jobs whose newest write landed are known to hold the availability of their stored payload; any other row
starts unknown, and is sent as before until a task of its own succeeds.

A key may join two ATS ids of up to 200 characters (an ACL's group and job, percent-quoted) or add a suffix to
one (a stage's index): `key` and `blocked_by` ("resource:key") become text. On PostgreSQL varchar to text
rewrites neither the table nor its indexes.

Revision ID: 9b3e6d1c4a58
Revises: 3f7a9c1e5b28
Create Date: 2026-12-10 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b3e6d1c4a58"
down_revision: str | None = "3f7a9c1e5b28"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("held", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("held_after_task", sa.String(length=40), nullable=True))
        batch.alter_column(
            "key", existing_type=sa.String(length=200), type_=sa.Text(), existing_nullable=False
        )
        batch.alter_column("blocked_by", existing_type=sa.String(length=270), type_=sa.Text())
    if op.get_bind().dialect.name == "postgresql":
        availability = "payload->>'availability'"
    else:
        availability = "json_extract(payload, '$.availability')"
    op.execute(
        sa.text(
            f"UPDATE outbox_messages SET held = {availability} "  # noqa: S608 — one of the two constants above
            "WHERE resource = 'simpleJobPostings' AND state = 'done' AND landed_at IS NOT NULL"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.alter_column("blocked_by", existing_type=sa.Text(), type_=sa.String(length=270))
        batch.alter_column(
            "key", existing_type=sa.Text(), type_=sa.String(length=200), existing_nullable=False
        )
        batch.drop_column("held_after_task")
        batch.drop_column("held")
