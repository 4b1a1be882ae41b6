"""lookup indexes: a job's applications, a record's outbox sub-collection

Revision ID: 5b7d0c2e9a41
Revises: 12ed391588fb
Create Date: 2026-12-01 23:55:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b7d0c2e9a41"
down_revision: str | None = "12ed391588fb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ats_records_job", "ats_records", ["tenant_id", "job_id"], unique=False)
    op.create_index(
        "ix_outbox_messages_parent", "outbox_messages", ["tenant_id", "resource", "path_parent"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_parent", table_name="outbox_messages")
    op.drop_index("ix_ats_records_job", table_name="ats_records")
