"""LinkChange: the audit trail of links a person made or removed through the ATS (docs/in-ats.md#links).
MemberPullOwed: the member pulls connect before alert owes (docs/in-ats.md#connect-before-alert-l5)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base, OutsideText
from rsc_service.tenants.models import ACTOR_LENGTH


class LinkChange(Base):
    __tablename__ = "candidate_link_changes"
    __table_args__ = (Index("ix_candidate_link_changes_candidate", "tenant_id", "ats_candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ats_candidate_id: Mapped[str] = mapped_column(String(200))
    member_before: Mapped[str | None] = mapped_column(String(100))
    source_before: Mapped[str | None] = mapped_column(String(20))  # null: there was no link row
    member_after: Mapped[str | None] = mapped_column(String(100))  # null: unlinked
    # "ats_user:<id>" (an id of up to 200 characters, as the routes take it) or "ats" when no user was named
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    at: Mapped[datetime]


class MemberPullOwed(Base):
    """A connect before alert for the candidate has not had its member's notes and InMails written onto it
    yet: owed from the connect's start until a member pull succeeds. A connect that found the candidate
    unlinked owes it before the member is known (member null until a pull starts), so one that answers
    pending leaves the pull to the next connect once the candidate is linked; a pull that fails (all of it
    or a stream) or never finished leaves the row, and the next connect pulls the member again."""

    __tablename__ = "member_pulls_owed"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    ats_candidate_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    member_urn: Mapped[str | None] = mapped_column(String(100))  # null: not linked when it was owed
    owed_since: Mapped[datetime]
    attempts: Mapped[int]  # pulls of the member for the candidate that failed
    error: Mapped[str | None] = mapped_column(OutsideText(500))  # the last failure, as the connect said
    failed_at: Mapped[datetime | None]
