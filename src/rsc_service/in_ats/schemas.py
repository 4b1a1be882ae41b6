"""What the In-ATS routes answer LinkedIn's side (docs/in-ats.md#routes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

MEMBER_PATTERN = r"^urn:li:person:[A-Za-z0-9_-]{1,80}$"
MAX_MEMBERS = 100  # a Recruiter search page

MemberUrn = Annotated[str, Field(pattern=MEMBER_PATTERN, examples=["urn:li:person:AbC123"])]


class MemberCandidates(BaseModel):
    member_urn: str
    candidate_ids: list[str] = Field(description="The member's candidates in the ATS (usually one)")


class PastApplicantsRead(BaseModel):
    count: int = Field(description="How many of the members asked about are candidates in the ATS")
    members: list[MemberCandidates] = Field(description="Those members, in the order they were asked")


class IndicatorRead(BaseModel):
    member_urn: str
    in_ats: bool = Field(description="Always true: a member not in the ATS is a 404")
    candidate_ids: list[str]


class NotePreview(BaseModel):
    id: str
    written_at: datetime
    author: str | None = Field(description="The author's name, as the ATS names them")
    body: str | None = Field(description="Null when `restricted`")
    restricted: bool = Field(
        description="Written from LinkedIn, or kept to the seats of one contract: only that it exists, when "
        "and by whom is shown"
    )


class InterviewPreview(BaseModel):
    id: str
    interviewed_at: datetime
    interview_type: str = Field(examples=["phone", "video", "onsite", "other"])
    interviewer: str | None
    rating: str | None = Field(examples=["strong_yes"])
    summary: str | None


class StageChangePreview(BaseModel):
    stage: str
    entered_at: datetime
    changed_by: str | None


class JobPreview(BaseModel):
    id: str
    title: str | None = Field(
        description="Null when the ATS never told us the job, or when the job is `restricted`"
    )
    status: str | None = Field(examples=["open", "closed", "deleted"])
    restricted: bool = Field(
        description="Only the job's hiring team may see it in the ATS: its title is not shown (P7)"
    )


class ApplicationPreview(BaseModel):
    id: str
    job: JobPreview
    stage: str
    status: str = Field(examples=["active", "hired", "rejected", "withdrawn"])
    applied_at: datetime
    stage_changes: list[StageChangePreview] = Field(description="Oldest first")
    notes: list[NotePreview]
    interviews: list[InterviewPreview]


class CandidatePreview(BaseModel):
    id: str
    name: str
    first_name: str
    last_name: str
    current_title: str | None
    current_company: str | None
    record_url: str | None = Field(description="Opens the candidate's record in the ATS")
    updated_at: datetime
    applications: list[ApplicationPreview] = Field(description="Newest first")
    notes: list[NotePreview] = Field(description="Notes on the candidate rather than on an application")
    has_notes: bool
    has_interviews: bool


class PreviewRead(BaseModel):
    member_urn: str
    candidates: list[CandidatePreview] = Field(description="Most recently changed first")


class InAtsSettingsRead(BaseModel):
    tenant_key: str
    credential_issued: bool
    candidate_url_template: str | None


class InAtsSettingsUpdate(BaseModel):
    candidate_url_template: str | None = Field(
        max_length=500,
        # Documented, not enforced here: operator.checked_template enforces it (https only unless
        # RSC_ALLOW_INSECURE_LOCAL), naming which part is wrong: a host, then the one placeholder somewhere
        # after it, no other braces, and no space or control character.
        json_schema_extra={
            "pattern": r"^https?://[^/?#{}\[\]\x00-\x20\x7f]+[/?#][^{}\x00-\x20\x7f]*\{candidate_id\}"
            r"[^{}\x00-\x20\x7f]*$"
        },
        description="https URL with `{candidate_id}` where the ATS candidate id goes; null: the candidate's "
        "own `url` from the ATS",
        examples=["https://acme.ats.example/candidates/{candidate_id}"],
    )


class InAtsCredentialRead(BaseModel):
    tenant_key: str
    credential: str = Field(description="What LinkedIn's side sends as the bearer token on the In-ATS routes")
