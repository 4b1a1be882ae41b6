"""Pydantic models of the webhook events the ATS sends, as one discriminated union, and their parser."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from rsc_service.integrations.ats.records import (
    Application,
    Candidate,
    InterviewFeedback,
    Job,
    Note,
    User,
)


class _Tombstone(BaseModel):
    """What a `*.deleted` event carries: the ids, the deleting version and when it happened."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    version: int = Field(ge=1)
    deleted_at: AwareDatetime

    @property
    def deleted(self) -> bool:
        return True


class CandidateTombstone(_Tombstone):
    kind: Literal["candidate"] = "candidate"


class JobTombstone(_Tombstone):
    kind: Literal["job"] = "job"


class UserTombstone(_Tombstone):
    kind: Literal["user"] = "user"


class ApplicationTombstone(_Tombstone):
    kind: Literal["application"] = "application"
    candidate_id: str
    job_id: str


class NoteTombstone(_Tombstone):
    kind: Literal["note"] = "note"
    candidate_id: str
    application_id: str | None = None
    job_id: str | None = None


class InterviewFeedbackTombstone(_Tombstone):
    kind: Literal["interview_feedback"] = "interview_feedback"
    candidate_id: str
    job_id: str
    application_id: str


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1, description="Event id; equals the webhook-id header")
    type: str
    occurred_at: AwareDatetime

    @property
    def deleted(self) -> bool:
        return self.type.endswith(".deleted")


class CandidateChanged(_Event):
    type: Literal["candidate.created", "candidate.updated"]
    data: Candidate


class CandidateDeleted(_Event):
    type: Literal["candidate.deleted"]
    data: CandidateTombstone


class JobChanged(_Event):
    type: Literal["job.created", "job.updated"]
    data: Job


class JobDeleted(_Event):
    type: Literal["job.deleted"]
    data: JobTombstone


class ApplicationChanged(_Event):
    type: Literal["application.created", "application.updated", "application.stage_changed"]
    data: Application


class ApplicationDeleted(_Event):
    type: Literal["application.deleted"]
    data: ApplicationTombstone


class NoteChanged(_Event):
    type: Literal["note.created", "note.updated"]
    data: Note


class NoteDeleted(_Event):
    type: Literal["note.deleted"]
    data: NoteTombstone


class InterviewFeedbackChanged(_Event):
    type: Literal["interview_feedback.created", "interview_feedback.updated"]
    data: InterviewFeedback


class InterviewFeedbackDeleted(_Event):
    type: Literal["interview_feedback.deleted"]
    data: InterviewFeedbackTombstone


class UserChanged(_Event):
    type: Literal["user.created", "user.updated"]
    data: User


class UserDeleted(_Event):
    type: Literal["user.deleted"]
    data: UserTombstone


WebhookEvent: TypeAlias = Annotated[
    CandidateChanged
    | CandidateDeleted
    | JobChanged
    | JobDeleted
    | ApplicationChanged
    | ApplicationDeleted
    | NoteChanged
    | NoteDeleted
    | InterviewFeedbackChanged
    | InterviewFeedbackDeleted
    | UserChanged
    | UserDeleted,
    Field(discriminator="type"),
]

EVENT_TYPES: tuple[str, ...] = tuple(
    event_type
    for model in (
        CandidateChanged,
        CandidateDeleted,
        JobChanged,
        JobDeleted,
        ApplicationChanged,
        ApplicationDeleted,
        NoteChanged,
        NoteDeleted,
        InterviewFeedbackChanged,
        InterviewFeedbackDeleted,
        UserChanged,
        UserDeleted,
    )
    for event_type in get_args(model.model_fields["type"].annotation)
)

_adapter: TypeAdapter[WebhookEvent] = TypeAdapter(WebhookEvent)


def parse_event(body: bytes | str) -> WebhookEvent:
    """Parse a verified webhook body; raises pydantic.ValidationError (a ValueError) when malformed."""
    return _adapter.validate_json(body)
