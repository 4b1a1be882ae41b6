"""export allowances: each seat's One-Click Exports of a month counted by one row taken atomically, and the
unit each export holds by request id

Revision ID: c5dbafb0d076
Revises: a1c2e3f4b5d6
Create Date: 2026-12-07 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rsc_service.db.base

revision: str = "c5dbafb0d076"
down_revision: str | None = "a1c2e3f4b5d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export_allowances",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seat_urn", sa.String(length=100), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_export_allowances_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "seat_urn", "month", name=op.f("pk_export_allowances")),
    )
    op.create_table(
        "export_reservations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("seat_urn", sa.String(length=100), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("reserved_at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_export_reservations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "request_id", name=op.f("pk_export_reservations")),
    )


def downgrade() -> None:
    op.drop_table("export_reservations")
    op.drop_table("export_allowances")
