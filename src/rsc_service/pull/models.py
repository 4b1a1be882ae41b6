"""The pull's state: a cursor per tenant, contract, stream (and seat), and every LinkedIn item written into
the ATS, with the ATS id it got (docs/pull.md)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base, OutsideText


class PullCursor(Base):
    """How far one stream has been read. `seat_id` is "" for the contract-wide streams."""

    __tablename__ = "pull_cursors"
    __table_args__ = (UniqueConstraint("tenant_id", "contract_urn", "stream", "seat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    contract_urn: Mapped[str] = mapped_column(String(100))
    stream: Mapped[str] = mapped_column(String(30))
    seat_id: Mapped[str] = mapped_column(String(40), default="")
    # Everything LinkedIn dated before this has been written; the next window starts here less an overlap.
    position: Mapped[datetime | None]
    # The window being walked (its end) and the next page's offset in it; None between windows.
    window_end: Mapped[datetime | None]
    page_start: Mapped[int] = mapped_column(default=0)
    # The window's size as LinkedIn counted it on the last page: fewer next time means items left the window
    # before the offset (a note edited since), and the offset steps back as many.
    page_total: Mapped[int | None]
    last_run_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    items_written: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)  # consecutive failed runs
    last_error: Mapped[str | None] = mapped_column(OutsideText(500))


class PulledItem(Base):
    """One LinkedIn item (InMail, note, mail stub) and what it became in the ATS; never written twice."""

    __tablename__ = "pulled_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "stream", "item_id"),
        Index("ix_pulled_items_member", "tenant_id", "member_urn"),
        Index("ix_pulled_items_candidate", "tenant_id", "ats_candidate_id"),  # R7, R8 read by candidate
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(30))
    item_id: Mapped[str] = mapped_column(String(200))
    contract_urn: Mapped[str] = mapped_column(String(100))
    member_urn: Mapped[str | None] = mapped_column(String(100))
    # "written" (ats_id is the ATS record), "skipped" (nothing to write: see reason) or "withdrawn".
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(60))
    ats_id: Mapped[str | None] = mapped_column(String(200))
    ats_candidate_id: Mapped[str | None] = mapped_column(String(200))
    pulled_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    # What R7 shows everyone of a written note or InMail (docs/linkedin-activity.md); the content stays in
    # the ATS. The author is the seat's ATS user where connected, else a name; `direction` is an InMail's.
    author_user_id: Mapped[str | None] = mapped_column(String(200))
    author_name: Mapped[str | None] = mapped_column(String(200))
    direction: Mapped[str | None] = mapped_column(String(10))
    dated_at: Mapped[datetime | None]
