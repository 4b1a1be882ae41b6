"""tenants.linkedin_app_urn unique (a job resync names the customer by it alone: docs/pull.md#job-resync;
many tenants may still have none), and the audit trails' actor wide enough for "ats_user:" and an ATS user id
of 200 characters (tenant_stage_changes, candidate_link_changes).

Tenants that share an application URN stop the upgrade, naming the URN and their keys: which customer the
application serves is the operator's call, made before upgrading again.

Revision ID: 6a8e2d4f1b37
Revises: 7d1f3b9e2c64
Create Date: 2026-12-12 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6a8e2d4f1b37"
down_revision: str | None = "7d1f3b9e2c64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AUDIT_TABLES = ("tenant_stage_changes", "candidate_link_changes")


def upgrade() -> None:
    shared = op.get_bind().execute(
        sa.text(
            "SELECT linkedin_app_urn, key FROM tenants WHERE linkedin_app_urn IN ("
            "SELECT linkedin_app_urn FROM tenants WHERE linkedin_app_urn IS NOT NULL "
            "GROUP BY linkedin_app_urn HAVING COUNT(*) > 1) ORDER BY linkedin_app_urn, key"
        )
    )
    named = [f"{urn}: {key}" for urn, key in shared]
    if named:
        raise RuntimeError(
            "tenants share a LinkedIn application URN; leave it only to the tenant it serves (set the "
            "others' linkedin_app_urn to null) and upgrade again: " + "; ".join(named)
        )
    op.create_index("ix_tenants_linkedin_app_urn", "tenants", ["linkedin_app_urn"], unique=True)
    for table in _AUDIT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "actor",
                existing_type=sa.String(length=200),
                type_=sa.String(length=210),
                existing_nullable=False,
            )


def downgrade() -> None:
    for table in _AUDIT_TABLES:
        # An actor over 200 characters keeps its first 200.
        shortened = f"UPDATE {table} SET actor = substr(actor, 1, 200) WHERE length(actor) > 200"  # noqa: S608
        op.execute(sa.text(shortened))
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "actor",
                existing_type=sa.String(length=210),
                type_=sa.String(length=200),
                existing_nullable=False,
            )
    op.drop_index("ix_tenants_linkedin_app_urn", table_name="tenants")
