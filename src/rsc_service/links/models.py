"""CandidateLink: who an ATS candidate is on LinkedIn, and how we know (LinkedIn's email match, by hand, by
export, or from an InMail stub)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base


class LinkSource(StrEnum):
    EMAIL = "email"  # LinkedIn's own match, read back after the candidate landed
    EXPORT = "export"
    MANUAL = "manual"
    INMAIL_STUB = "inmail_stub"


class CandidateLink(Base):
    """A link not made by LinkedIn's email match rides on every candidate PUT as `manualMatchedMember`
    (docs/architecture.md#7-links)."""

    __tablename__ = "candidate_links"
    __table_args__ = (
        UniqueConstraint("tenant_id", "ats_candidate_id"),
        Index("ix_candidate_links_member", "tenant_id", "member_urn"),  # In-ATS reads by member
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ats_candidate_id: Mapped[str] = mapped_column(String(200))
    member_urn: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))  # email | export | manual | inmail_stub
    linked_at: Mapped[datetime | None]
    checked_at: Mapped[datetime | None]  # when LinkedIn's email match was last read back
