"""The ATS-facing shapes of exports and their settings."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from rsc_service.exports.decide import DEFAULT_SOURCE
from rsc_service.exports.models import Export, Outcome
from rsc_service.tenants.schemas import NO_NUL


class ExportRead(BaseModel):
    request_id: str
    outcome: Outcome = Field(
        description="created, assigned, already_assigned, linked_only: written (or already so) in the ATS; "
        "unknown_job, not_visible, quota, not_found, wrong_organization: refused, nothing written"
    )
    detail: str | None = Field(description="Why an export was refused")
    member_urn: str | None
    seat_urn: str | None = Field(description="The exporting recruiter's seat")
    ats_user_id: str | None = Field(description="The exporting user, when the seat is connected to one")
    job_id: str | None = Field(description="The job chosen in Recruiter")
    ats_candidate_id: str | None = Field(description="The candidate created or assigned")
    likely_duplicate_of: str | None = Field(
        description="An existing candidate with the same name and current employer or title: a person "
        "decides whether to merge them; nothing is merged automatically"
    )
    processed_at: datetime


class ExportListRead(BaseModel):
    exports: list[ExportRead]


class ExportSettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(
        DEFAULT_SOURCE, min_length=1, max_length=100, pattern=NO_NUL, description="The candidate's source"
    )
    stage: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=NO_NUL,
        description="The first stage on the job; null: the job's first",
    )
    sourcer_user_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        pattern=NO_NUL,
        description="The sourcer; null: the exporting user",
    )


def export_read(row: Export) -> ExportRead:
    return ExportRead(
        request_id=row.request_id,
        outcome=Outcome(row.outcome),
        detail=row.detail,
        member_urn=row.member_urn,
        seat_urn=row.seat_urn,
        ats_user_id=row.ats_user_id,
        job_id=row.job_id,
        ats_candidate_id=row.ats_candidate_id,
        likely_duplicate_of=row.likely_duplicate_of,
        processed_at=row.processed_at,
    )
