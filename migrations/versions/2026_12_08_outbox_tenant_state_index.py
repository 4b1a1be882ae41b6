"""outbox rows by tenant and state: the initial sync counts what a tenant still owes before each page, and
with an index on the tenant alone that count read every owed row from the table

Revision ID: 5e8a1c2f7b90
Revises: 9b3e6f1d2a47
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5e8a1c2f7b90"
down_revision: str | None = "9b3e6f1d2a47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The new index leads with the tenant, so it also serves the foreign key and every look-up by tenant.
    op.create_index(
        "ix_outbox_messages_tenant_state", "outbox_messages", ["tenant_id", "state"], unique=False
    )
    op.drop_index("ix_outbox_messages_tenant_id", table_name="outbox_messages")


def downgrade() -> None:
    op.create_index("ix_outbox_messages_tenant_id", "outbox_messages", ["tenant_id"], unique=False)
    op.drop_index("ix_outbox_messages_tenant_state", table_name="outbox_messages")
