"""in-ats: the tenant's In-ATS credential and deep-link template, links by member, the link audit trail

Revision ID: e8b25d3fa041
Revises: d7a14c2e9f30
Create Date: 2026-12-06 07:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rsc_service.db.base

revision: str = "e8b25d3fa041"
down_revision: str | None = "d7a14c2e9f30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tenants", sa.Column("in_ats_credential_enc", sa.Text(), nullable=True))
    op.add_column("tenants", sa.Column("candidate_url_template", sa.String(length=500), nullable=True))
    op.create_index("ix_candidate_links_member", "candidate_links", ["tenant_id", "member_urn"], unique=False)
    op.create_table(
        "candidate_link_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("ats_candidate_id", sa.String(length=200), nullable=False),
        sa.Column("member_before", sa.String(length=100), nullable=True),
        sa.Column("source_before", sa.String(length=20), nullable=True),
        sa.Column("member_after", sa.String(length=100), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", rsc_service.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_candidate_link_changes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_link_changes")),
    )
    op.create_index(
        "ix_candidate_link_changes_candidate",
        "candidate_link_changes",
        ["tenant_id", "ats_candidate_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_candidate_link_changes_candidate", table_name="candidate_link_changes")
    op.drop_table("candidate_link_changes")
    op.drop_index("ix_candidate_links_member", table_name="candidate_links")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("candidate_url_template")
        batch.drop_column("in_ats_credential_enc")
