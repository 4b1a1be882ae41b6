"""outbox inserts notify: on PostgreSQL a statement that inserts outbox rows sends the dispatchers' NOTIFY
itself, so the transaction that owes them needs no statement of its own for it (docs/architecture.md#14-ingest)

Revision ID: 3f7a9c1e5b28
Revises: 7c4d2e9a1f36
Create Date: 2026-12-09 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3f7a9c1e5b28"
down_revision: str | None = "7c4d2e9a1f36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The channel is outbox/wake.py's CHANNEL. Once per statement, and PostgreSQL delivers one
    # notification per channel and payload per transaction, at its commit.
    op.execute(
        """
        CREATE FUNCTION rsc_outbox_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('rsc_outbox', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_inserted_notifies AFTER INSERT ON outbox_messages "
        "FOR EACH STATEMENT EXECUTE FUNCTION rsc_outbox_inserted()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS outbox_inserted_notifies ON outbox_messages")
    op.execute("DROP FUNCTION IF EXISTS rsc_outbox_inserted()")
