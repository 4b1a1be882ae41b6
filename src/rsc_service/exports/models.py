"""Exports LinkedIn told the tenant of, each once per request id with what became of it, and each tenant's
choices for the candidates an export creates (docs/exports.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base


class Outcome(StrEnum):
    CREATED = "created"  # a new ATS candidate, linked to the member, on the job if one was chosen
    ASSIGNED = "assigned"  # the candidate linked to the member, assigned to the job chosen
    ALREADY_ASSIGNED = "already_assigned"  # the linked candidate already had an application on that job
    LINKED_ONLY = "linked_only"  # no job chosen and the member is already in the ATS: nothing to do
    UNKNOWN_JOB = "unknown_job"
    NOT_VISIBLE = "not_visible"  # the exporting user may not see the job chosen
    QUOTA = "quota"  # the seat's exports this month reached LinkedIn's allowance
    NOT_FOUND = "not_found"  # LinkedIn serves no export for the request id (expired, or not ours)
    WRONG_ORGANIZATION = "wrong_organization"


DONE = frozenset({Outcome.CREATED, Outcome.ASSIGNED, Outcome.ALREADY_ASSIGNED, Outcome.LINKED_ONLY})
# Not an outcome: the export's new candidate is being written to the ATS. Its row stands until the outcome is
# recorded over it, and a later export of the member writes that same candidate (docs/exports.md).
WRITING = "writing"


class Export(Base):
    __tablename__ = "linkedin_exports"
    __table_args__ = (
        UniqueConstraint("tenant_id", "request_id"),
        Index("ix_linkedin_exports_seat_month", "tenant_id", "seat_urn", "month"),
        # A member's export being written, found by the next export of that member (docs/exports.md).
        Index("ix_linkedin_exports_member", "tenant_id", "member_urn"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    request_id: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(30))  # an Outcome, or WRITING
    detail: Mapped[str | None] = mapped_column(String(500))
    member_urn: Mapped[str | None] = mapped_column(String(100))
    seat_urn: Mapped[str | None] = mapped_column(String(100))
    ats_user_id: Mapped[str | None] = mapped_column(
        String(200)
    )  # the exporting user, when the seat is connected
    job_id: Mapped[str | None] = mapped_column(String(200))
    ats_candidate_id: Mapped[str | None] = mapped_column(String(200))
    # An existing candidate with the same name and the same current employer or title: a person decides.
    likely_duplicate_of: Mapped[str | None] = mapped_column(String(200))
    # UTC "YYYY-MM": of the seat allowance the export counted in; of processing when it counted in none.
    month: Mapped[str] = mapped_column(String(7))
    processed_at: Mapped[datetime]


class ExportAllowance(Base):
    """How much of LinkedIn's allowance a seat has used in a calendar month: the exports counted against it,
    those written and those being written. Taken one at a time with a conditional UPDATE, so two exports at
    once cannot both take the last one (docs/exports.md#allowance)."""

    __tablename__ = "export_allowances"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    seat_urn: Mapped[str] = mapped_column(String(100), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # UTC "YYYY-MM"
    used: Mapped[int]


class ExportReservation(Base):
    """The one unit of a seat's allowance an export holds, by request id: a retried export counts once, and
    an export whose ATS write failed gives it back (docs/exports.md#allowance)."""

    __tablename__ = "export_reservations"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    request_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seat_urn: Mapped[str] = mapped_column(String(100))
    month: Mapped[str] = mapped_column(String(7))  # the allowance it was taken from
    reserved_at: Mapped[datetime]


class ExportSettings(Base):
    """What an export writes into the ATS; a tenant without a row takes the defaults."""

    __tablename__ = "export_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str | None] = mapped_column(String(100))  # None: the job's first stage
    sourcer_user_id: Mapped[str | None] = mapped_column(String(200))  # None: the exporting user
    updated_at: Mapped[datetime]
