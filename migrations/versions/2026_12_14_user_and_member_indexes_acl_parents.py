"""Three look-ups the push and exports now make, and the ACL rows filed under their job.

- `ix_ats_records_user`: a user's notes and feedback, found when the user changes so that the name they
  embed is sent again (docs/architecture.md#2). An index on the user id the record's JSON names, written as
  the look-up writes it (mirror/models.py).
- `ix_linkedin_exports_member`: the export of a member being written, found by the next export of that
  member (docs/exports.md).
- `outbox_messages.path_parent` of every job ACL row (atsEntityAcls) is set to its job, as the push now files
  them, so the ACLs of members taken off a job's team are found and deleted (docs/linkedin.md#job-acls).

Revision ID: 5b7d2e9a4c16
Revises: 9c4e1a7b3d52
Create Date: 2026-12-14 09:00:00.000000
"""

from collections.abc import Sequence
from urllib.parse import unquote

import sqlalchemy as sa
from alembic import op

revision: str = "5b7d2e9a4c16"
down_revision: str | None = "9c4e1a7b3d52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USER_FIELDS = ("author_user_id", "interviewer_user_id")
_ACLS = "atsEntityAcls"


def _embedded_user(dialect: str) -> str:
    if dialect == "postgresql":
        return "coalesce(" + ", ".join(f"data ->> '{field}'" for field in _USER_FIELDS) + ")"
    return "coalesce(" + ", ".join(f"json_extract(data, '$.{field}')" for field in _USER_FIELDS) + ")"


def upgrade() -> None:
    bind = op.get_bind()
    op.create_index(
        "ix_ats_records_user", "ats_records", ["tenant_id", sa.text(_embedded_user(bind.dialect.name)), "id"]
    )
    op.create_index("ix_linkedin_exports_member", "linkedin_exports", ["tenant_id", "member_urn"])
    # An ACL's key is "group/jobId", each part percent-quoted (seats/acl.py).
    rows = bind.execute(
        sa.text("SELECT id, key FROM outbox_messages WHERE resource = :acls AND path_parent IS NULL"),
        {"acls": _ACLS},
    ).all()
    parents = [{"id": row_id, "parent": unquote(key.partition("/")[2])} for row_id, key in rows]
    if parents:
        bind.execute(sa.text("UPDATE outbox_messages SET path_parent = :parent WHERE id = :id"), parents)


def downgrade() -> None:
    op.execute(sa.text("UPDATE outbox_messages SET path_parent = NULL WHERE resource = 'atsEntityAcls'"))
    op.drop_index("ix_linkedin_exports_member", table_name="linkedin_exports")
    op.drop_index("ix_ats_records_user", table_name="ats_records")
