"""The records the ATS syncs to LinkedIn: jobs, candidates, applications and their sub-collections."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rsc_service.integrations.linkedin.wire_base import Read, Wire

JobState = Literal["LISTED", "CLOSED"]
JobAvailability = Literal["PUBLIC", "PRIVATE_TO_ATS_INTEGRATION"]
JobOperation = Literal["CREATE", "UPDATE", "RENEW", "CLOSE"]
InterviewType = Literal["PHONE_SCREEN", "ONSITE"]


class SimpleJobPosting(Wire):
    integration_context: str
    external_job_posting_id: str
    title: str  # at most 200 characters
    description: str
    state: JobState
    company_apply_url: str
    listed_at: int
    location: str | None = None  # "CITY,STATE" or "CITY,COUNTRY"; else countryCode + postalCode
    country_code: str | None = None
    postal_code: str | None = None
    availability: JobAvailability | None = None
    job_posting_operation_type: JobOperation | None = None
    listing_type: str | None = None


class SimpleJobPostingTask(Read):
    """Status of one job-posting task: IN_PROGRESS, then SUCCEEDED, FAILED or PROCESSED (with or without an
    error) (docs/linkedin.md#jobs)."""

    status: str
    job_posting: str | None = None
    error_message: str | None = None  # the documented name of the failure's reason
    message: str | None = None  # an older spelling, read when errorMessage is absent

    @property
    def reason(self) -> str | None:
        return self.error_message or self.message


class Address(Wire):
    line1: str | None = None
    city: str | None = None
    geographic_area: str | None = None
    geographic_area_type: str | None = None  # e.g. STATE
    postal_code: str | None = None
    country: str | None = None


class PhoneNumber(Wire):
    number: str
    extension: str | None = None


class _CandidateFields(Wire):
    first_name: str | None = None
    last_name: str | None = None
    middle_initial: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    # addresses and phoneNumbers are required but may be empty, so they are always sent.
    email_addresses: list[str] = Field(default_factory=list)
    phone_numbers: list[PhoneNumber] = Field(default_factory=list)
    addresses: list[Address] = Field(default_factory=list)
    current_company_name: str | None = None
    current_job_title: str | None = None
    external_profile_url: str | None = None
    linkedin_profile_url: str | None = Field(default=None, alias="linkedInProfileUrl")
    do_not_contact: bool | None = None
    manual_matched_member: str | None = None  # urn:li:person:{id}


class AtsCandidate(_CandidateFields):
    ats_created_at: int
    ats_last_modified_at: int


class CandidateMatch(_CandidateFields, Read):
    """A candidate read back with LinkedIn's matches; `matchedMembers` is the algorithmic match."""

    ats_created_at: int | None = None
    ats_last_modified_at: int | None = None
    matched_members: list[str] = Field(default_factory=list)


class AtsApplication(Wire):
    ats_created_at: int
    ats_last_modified_at: int
    ats_job_posting_id: str  # the job's externalJobPostingId
    ats_job_posting_name: str
    ats_candidate_id: str | None = None
    candidate_email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    source: str | None = None
    disposition_reason: str | None = None


class Actor(Wire):
    first_name: str
    last_name: str


class Note(Wire):
    """A candidate or application note."""

    ats_created_at: int | None = None
    note: str | None = None
    author: Actor | None = None


class InterviewEvaluation(Wire):
    attribute: str
    result: str


class InterviewFeedback(Wire):
    ats_created_at: int | None = None
    interviewer: Actor | None = None
    evaluations: list[InterviewEvaluation] | None = None
    feedback: str | None = None
    interview_type: InterviewType | None = None


class ApplicationStage(Wire):
    ats_created_at: int
    stage: str  # free text; LinkedIn rejects "Not Available"
