"""Pydantic models of the ATS contract's records, pages and create bodies (openapi/ats-api.yaml)."""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Kind = Literal["candidate", "job", "application", "note", "interview_feedback", "user"]
AccessLevel = Literal["owner", "admin", "recruiter", "hiring_manager", "interviewer"]
JobStatus = Literal["open", "closed"]
JobPrivacy = Literal["public", "private"]
EmploymentType = Literal["full_time", "part_time", "contract", "temporary", "internship"]
ApplicationStatus = Literal["active", "hired", "rejected", "withdrawn"]
Rating = Literal["strong_no", "no", "yes", "strong_yes"]
AccountPlan = Literal["free", "standard", "professional", "enterprise"]
EmailDirection = Literal["outbound", "inbound"]


class _Wire(BaseModel):
    # Unknown fields are ignored so the ATS can add fields without breaking older services.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Visibility(_Wire):
    """Content readable only by ATS users holding a seat on this LinkedIn contract (R7)."""

    linkedin_contract: str = Field(min_length=1, examples=["urn:li:contract:7240031"])


class Location(_Wire):
    city: str | None = None
    region: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2")
    postal_code: str | None = None


class EmailAddress(_Wire):
    address: str = Field(min_length=3)
    type: Literal["home", "work", "other"] = "home"


class PhoneNumber(_Wire):
    number: str = Field(min_length=3)
    type: Literal["mobile", "home", "work", "other"] = "mobile"


class _Record(_Wire):
    id: str
    version: int = Field(ge=1, description="Monotonic per record; +1 on every change, deletion included")
    created_at: AwareDatetime
    updated_at: AwareDatetime
    deleted_at: AwareDatetime | None = Field(
        default=None, description="Set only in lists with include_deleted"
    )

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


class User(_Record):
    kind: Literal["user"] = "user"
    email: str
    first_name: str
    last_name: str
    access_level: AccessLevel
    active: bool = True


class Account(_Wire):
    """The ATS account the token belongs to (one tenant)."""

    id: str
    name: str
    plan: AccountPlan
    web_url: str = Field(
        pattern=r"^https://[^/?#@\s]+$",
        description="The https origin where the account's users work, no trailing / (as validJsSdkDomains)",
        examples=["https://acme-robotics.ats.example"],
    )
    version: int = Field(ge=1, description="Monotonic: +1 on every change of the account")
    updated_at: AwareDatetime


class HiringTeamMember(_Wire):
    user_id: str
    role: Literal["hiring_manager", "recruiter", "coordinator", "interviewer"]


class Job(_Record):
    kind: Literal["job"] = "job"
    title: str
    description: str | None = None
    department: str | None = None
    location: Location | None = None
    employment_type: EmploymentType | None = None
    status: JobStatus
    privacy: JobPrivacy
    listed: bool
    restricted: bool = Field(default=False, description="Only the hiring team may see the job (P7)")
    hiring_team: list[HiringTeamMember] = Field(default_factory=list)
    closed_at: AwareDatetime | None = None
    url: str | None = Field(default=None, description="The job's page in the ATS")


class Candidate(_Record):
    kind: Literal["candidate"] = "candidate"
    first_name: str
    last_name: str
    emails: list[EmailAddress] = Field(default_factory=list)
    phones: list[PhoneNumber] = Field(default_factory=list)
    linkedin_url: str | None = None
    current_company: str | None = None
    current_title: str | None = None
    location: Location | None = None
    source: str | None = None
    sourcer_user_id: str | None = None
    do_not_contact: bool = False
    external_id: str | None = Field(default=None, description="Set when the service created the record")
    url: str | None = Field(default=None, description="The candidate's record in the ATS")


class StageChange(_Wire):
    stage: str
    entered_at: AwareDatetime
    changed_by_user_id: str | None = None


class Application(_Record):
    kind: Literal["application"] = "application"
    candidate_id: str
    job_id: str
    stage: str
    status: ApplicationStatus
    stage_history: list[StageChange] = Field(default_factory=list, description="Oldest first")
    source: str | None = None
    sourcer_user_id: str | None = None
    applied_at: AwareDatetime
    external_id: str | None = None


class Note(_Record):
    kind: Literal["note"] = "note"
    candidate_id: str
    application_id: str | None = Field(default=None, description="Set for an application note")
    job_id: str | None = Field(default=None, description="The application's job, for an application note")
    body: str
    author_user_id: str | None = None
    author_name: str | None = None
    written_at: AwareDatetime
    visibility: Visibility | None = None
    external_id: str | None = None


class InterviewFeedback(_Record):
    kind: Literal["interview_feedback"] = "interview_feedback"
    candidate_id: str
    job_id: str
    application_id: str
    interviewer_user_id: str | None = None
    interview_type: Literal["phone", "video", "onsite", "other"] = "other"
    interviewed_at: AwareDatetime
    rating: Rating | None = None
    summary: str | None = None


class Email(_Record):
    kind: Literal["email"] = "email"
    candidate_id: str
    subject: str | None = None
    body: str
    direction: EmailDirection
    sender_name: str | None = None
    sender_user_id: str | None = None
    thread_id: str | None = Field(default=None, max_length=200)
    sent_at: AwareDatetime
    visibility: Visibility | None = None
    external_id: str


class UserEmail(_Wire):
    kind: Literal["user_email"] = "user_email"
    id: str
    user_id: str
    to: str
    subject: str
    body: str
    external_id: str
    sent_at: AwareDatetime


RecordT = TypeVar("RecordT", bound=BaseModel)


class Page(_Wire, Generic[RecordT]):
    data: list[RecordT]
    next_cursor: str | None = Field(default=None, description="Absent or null on the last page")


# --- bodies the service sends -----------------------------------------------------------------


class _Create(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    external_id: str = Field(min_length=1, max_length=255, description="Idempotency key, per tenant and kind")


class CandidateCreate(_Create):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    emails: list[EmailAddress] = Field(default_factory=list)
    phones: list[PhoneNumber] = Field(default_factory=list)
    linkedin_url: str | None = None
    current_company: str | None = None
    current_title: str | None = None
    location: Location | None = None
    source: str | None = None
    sourcer_user_id: str | None = None
    job_id: str | None = Field(default=None, description="Assign to this job at once; omit for unassigned")
    stage: str | None = Field(default=None, description="First stage on the job (default: the first)")


class ApplicationCreate(_Create):
    job_id: str
    stage: str | None = None
    source: str | None = None
    sourcer_user_id: str | None = None


class NoteCreate(_Create):
    body: str = Field(min_length=1)
    application_id: str | None = None
    author_user_id: str | None = None
    author_name: str | None = None
    written_at: AwareDatetime
    visibility: Visibility | None = None


class EmailCreate(_Create):
    subject: str | None = None
    body: str = Field(min_length=1)
    direction: EmailDirection
    sender_name: str | None = None
    sender_user_id: str | None = None
    thread_id: str | None = Field(default=None, max_length=200)
    sent_at: AwareDatetime
    visibility: Visibility | None = None


class UserEmailCreate(_Create):
    subject: str = Field(min_length=1)
    body: str = Field(min_length=1)
