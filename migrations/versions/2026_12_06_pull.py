"""pull: cursors per tenant, contract, stream and seat; pulled items with the ATS id written

Revision ID: d7a14c2e9f30
Revises: c4d81a9e2b60
Create Date: 2026-12-06 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rsc_service.db.base

revision: str = "d7a14c2e9f30"
down_revision: str | None = "c4d81a9e2b60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pull_cursors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("contract_urn", sa.String(length=100), nullable=False),
        sa.Column("stream", sa.String(length=30), nullable=False),
        sa.Column("seat_id", sa.String(length=40), nullable=False),
        sa.Column("position", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("window_end", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("page_start", sa.Integer(), nullable=False),
        sa.Column("page_total", sa.Integer(), nullable=True),
        sa.Column("last_run_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("items_written", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pull_cursors_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pull_cursors")),
        sa.UniqueConstraint(
            "tenant_id",
            "contract_urn",
            "stream",
            "seat_id",
            name=op.f("uq_pull_cursors_tenant_id_contract_urn_stream_seat_id"),
        ),
    )
    op.create_table(
        "pulled_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("stream", sa.String(length=30), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("contract_urn", sa.String(length=100), nullable=False),
        sa.Column("member_urn", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=True),
        sa.Column("ats_id", sa.String(length=200), nullable=True),
        sa.Column("ats_candidate_id", sa.String(length=200), nullable=True),
        sa.Column("pulled_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pulled_items_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulled_items")),
        sa.UniqueConstraint(
            "tenant_id", "stream", "item_id", name=op.f("uq_pulled_items_tenant_id_stream_item_id")
        ),
    )
    with op.batch_alter_table("pulled_items", schema=None) as batch_op:
        batch_op.create_index("ix_pulled_items_member", ["tenant_id", "member_urn"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pulled_items", schema=None) as batch_op:
        batch_op.drop_index("ix_pulled_items_member")
    op.drop_table("pulled_items")
    op.drop_table("pull_cursors")
