"""AtsRecord: our copy of every ATS record; the newest version wins and a deletion is a tombstone
(docs/architecture.md#2-the-mirror)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement

from rsc_service.db.base import Base, JsonDocument

# The ATS user a note (`author_user_id`) or interview feedback (`interviewer_user_id`) names, read from the
# record's JSON: notes and feedback embed that user's name, and are owed again when the user changes. Written
# the same in the index and in the look-up (mirror/unit.py), so that both databases search the index.
EMBEDDED_USER_FIELDS = ("author_user_id", "interviewer_user_id")


class EmbeddedUser(ColumnElement[str]):
    """The user id a note or feedback names, as SQL of the dialect (None for other records)."""

    inherit_cache = True
    type = String()


@compiles(EmbeddedUser, "postgresql")
def _embedded_user_postgresql(element: EmbeddedUser, compiler: SQLCompiler, **kw: Any) -> str:
    return "coalesce(" + ", ".join(f"data ->> '{field}'" for field in EMBEDDED_USER_FIELDS) + ")"


@compiles(EmbeddedUser)
def _embedded_user_sqlite(element: EmbeddedUser, compiler: SQLCompiler, **kw: Any) -> str:
    return "coalesce(" + ", ".join(f"json_extract(data, '$.{field}')" for field in EMBEDDED_USER_FIELDS) + ")"


class AtsRecord(Base):
    __tablename__ = "ats_records"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "ats_id"),
        Index("ix_ats_records_candidate", "tenant_id", "candidate_id"),
        Index("ix_ats_records_application", "tenant_id", "application_id"),
        Index("ix_ats_records_job", "tenant_id", "job_id"),  # a job's applications, re-owed when it changes
        # A user's notes and feedback, newest first, re-owed when the user changes.
        Index("ix_ats_records_user", "tenant_id", EmbeddedUser(), "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    ats_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    deleted: Mapped[bool] = mapped_column(default=False)
    candidate_id: Mapped[str | None] = mapped_column(String(200))
    job_id: Mapped[str | None] = mapped_column(String(200))
    application_id: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    occurred_at: Mapped[datetime]
    updated_at: Mapped[datetime]
