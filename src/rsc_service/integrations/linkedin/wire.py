"""Pydantic models of the JSON sent to and read from LinkedIn RSC, named field for field as LinkedIn does.

Timestamps are UTC epoch milliseconds. Models of what we send drop unset fields when dumped
(`to_wire`), because LinkedIn treats a PUT as a full replace and Rest.li rejects nulls.
Models of what we read keep undocumented fields (`extra="allow"`), since several response
shapes are only partly published (docs/linkedin.md#what-is-not-published).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

# Keys, the records they address and the match read-back live in wire_keys and wire_records;
# they are part of this module's public surface.
from rsc_service.integrations.linkedin.wire_base import Read, Wire
from rsc_service.integrations.linkedin.wire_keys import (
    DATA_PROVIDER,
    TENANT_TYPE,
    AclAssigneeKey,
    AclKey,
    ApplicationKey,
    CandidateKey,
    IntegrationKey,
    IntegrationType,
    RestliKey,
)
from rsc_service.integrations.linkedin.wire_records import (
    Actor,
    Address,
    ApplicationStage,
    AtsApplication,
    AtsCandidate,
    CandidateMatch,
    InterviewEvaluation,
    InterviewFeedback,
    JobAvailability,
    Note,
    PhoneNumber,
    SimpleJobPosting,
    SimpleJobPostingTask,
)

__all__ = [
    "DATA_PROVIDER",
    "TENANT_TYPE",
    "AclAssigneeKey",
    "AclKey",
    "Actor",
    "Address",
    "ApplicationKey",
    "ApplicationStage",
    "AtsApplication",
    "AtsCandidate",
    "AtsIntegration",
    "AuditStamp",
    "CandidateKey",
    "CandidateMatch",
    "ConfigurationName",
    "ConfigurationValue",
    "ConversationEvent",
    "ExportCandidateProfile",
    "ExportedCandidate",
    "IntegrationConfiguration",
    "IntegrationKey",
    "IntegrationStatusChange",
    "IntegrationType",
    "InterviewEvaluation",
    "InterviewFeedback",
    "JobAvailability",
    "MailStub",
    "Note",
    "Notification",
    "Page",
    "Paging",
    "PartialUpdate",
    "PhoneNumber",
    "ProspectNote",
    "ProvisionedApplication",
    "ProvisionedApplicationCreate",
    "ProvisionedCredentials",
    "PurgedExportedCandidate",
    "Read",
    "RestliKey",
    "ResyncJobs",
    "Seat",
    "SimpleJobPosting",
    "SimpleJobPostingTask",
    "StubProfile",
    "Wire",
    "parse_notification",
]

E = TypeVar("E")


class Paging(Read):
    start: int = 0
    count: int = 0
    total: int | None = None
    links: list[Any] = Field(default_factory=list)


class Page(BaseModel, Generic[E]):
    """A finder answer: `{"elements": [...], "paging": {...}}`."""

    model_config = ConfigDict(populate_by_name=True)

    elements: list[E] = Field(default_factory=list)
    paging: Paging = Field(default_factory=Paging)


class PartialUpdate(Wire):
    """`{"patch": {"$set": {...}}}`; LinkedIn only ever shows `$set` (docs/linkedin.md#partial-updates)."""

    patch: dict[str, dict[str, Any]]

    @classmethod
    def setting(cls, fields: Mapping[str, Any]) -> PartialUpdate:
        """A patch setting `fields`, given by their wire names."""
        return cls(patch={"$set": dict(fields)})


class AuditStamp(Read):
    time: int | None = None
    actor: str | None = None


# ---- integrations and configurations (docs/linkedin.md#integrations-and-configurations) ----


class AtsIntegration(Read):
    integration_context: str | None = None
    integration_type: str | None = None
    tenant_type: str | None = None
    data_provider: str | None = None
    integration_name: str | None = None
    # The enablement field is not published (docs/linkedin.md#what-is-not-published): ENABLED or DISABLED.
    status: str | None = None


class ConfigurationName(StrEnum):
    CALLBACK_URL = "CALLBACK_URL"
    JOB_POSTING_VIEWERS = "JOB_POSTING_VIEWERS"
    APPLICATION_VIEWERS = "APPLICATION_VIEWERS"


class ConfigurationValue(Read):
    """A Rest.li union: the member name says the type (`{"string": "..."}`)."""

    string: str | None = None


class IntegrationConfiguration(Wire):
    configuration_value: ConfigurationValue

    @classmethod
    def of(cls, value: str) -> IntegrationConfiguration:
        return cls(configuration_value=ConfigurationValue(string=value))


# ---- provisioning (docs/linkedin.md#provisioning) ----


class ProvisionedApplicationCreate(Wire):
    name: str
    unique_foreign_id: str
    description: str | None = None
    valid_js_sdk_domains: list[str] = Field(default_factory=list)
    oauth2_authorized_callback_urls: list[str] = Field(default_factory=list)


class ProvisionedCredentials(Read):
    client_id: str
    client_secret: str = Field(repr=False)


class ProvisionedApplication(Read):
    key: str | None = None  # the child app's URN, used verbatim in update URLs
    name: str | None = None
    unique_foreign_id: str | None = None
    description: str | None = None
    valid_js_sdk_domains: list[str] = Field(default_factory=list)
    oauth2_authorized_callback_urls: list[str] = Field(default_factory=list)
    credentials: ProvisionedCredentials | None = None


# ---- retrieval (docs/linkedin.md#retrieval) ----


class StubProfile(Read):
    """A LinkedIn stub profile: only `candidate` itself is documented, its fields are inferred
    (docs/linkedin.md#retrieval)."""

    first_name: str | None = None
    last_name: str | None = None
    email_address: list[str] = Field(default_factory=list)
    phone_numbers: list[PhoneNumber | str] = Field(default_factory=list)
    member: str | None = None  # urn:li:person:{id}
    headline: str | None = None  # "Title at Employer"; inferred

    @field_validator("email_address", "phone_numbers", mode="before")
    @classmethod
    def _as_list(cls, value: Any) -> Any:
        # March 2024: the stub profile's emailAddress went from an array to a single string
        # (docs/linkedin.md#retrieval).
        if value is None:
            return []
        return [value] if isinstance(value, str) else value


class ExportedCandidate(Read):
    candidate: StubProfile
    integration_context: str | None = None  # must be the organization whose callback got the push
    request_id: str | None = None
    exporter: str | None = None  # urn:li:seat:{id}; inferred
    ats_job_posting_id: str | None = None  # the job chosen at export time; inferred


class PurgedExportedCandidate(Read):
    member: str | None = None
    integration_context: str | None = None
    request_id: str | None = None


class Seat(Read):
    id: int | str | None = None
    first_name: str | None = None
    last_name: str | None = None
    contract: str | None = None
    member: str | None = None
    state: str | None = None
    seat_roles: list[str] = Field(default_factory=list)
    active: bool | None = None  # the older /v2/seats finder
    admin: bool | None = None  # the older /v2/seats finder
    # The holder's email, from the older /v2/seats finder (docs/linkedin.md#retrieval); not published
    email: str | None = None
    created: AuditStamp | None = None


class ConversationEvent(Read):
    """One InMail event; LinkedIn publishes no field list, so these names are inferred
    (docs/linkedin.md#retrieval)."""

    id: str | None = None
    thread: str | None = None
    seat: str | None = None
    member: str | None = None
    direction: str | None = None
    subject: str | None = None
    body: str | None = None
    created_at: int | None = None


class MailStub(StubProfile):
    id: int | str | None = None
    owner: str | None = None
    contract: str | None = None
    created_at: int | None = None


class ProspectNote(Read):
    id: int | str | None = None
    active: bool | None = None
    contract: str | None = None
    owner: str | None = None
    prospect: str | None = None
    note: str | None = None
    created: int | AuditStamp | None = None
    last_modified: int | AuditStamp | None = None


# ---- push notifications (docs/linkedin.md#push-notifications) ----


class ExportCandidateProfile(Wire):
    type: Literal["EXPORT_CANDIDATE_PROFILE"]
    id: str
    expires_at: int | None = None  # absent: never expires


class IntegrationStatusChange(Wire):
    type: Literal["INTEGRATION_STATUS_CHANGE"]
    id: str
    expires_at: int | None = None


class ResyncJobs(Wire):
    type: Literal["RESYNC_JOBS"]
    developer_application_urn: str
    external_job_posting_ids: list[str] = Field(default_factory=list)
    sync_all_open_jobs: bool = False


Notification = Annotated[
    ExportCandidateProfile | IntegrationStatusChange | ResyncJobs,
    Field(discriminator="type"),
]
_NOTIFICATION: TypeAdapter[ExportCandidateProfile | IntegrationStatusChange | ResyncJobs] = TypeAdapter(
    Notification
)


def parse_notification(body: bytes | str) -> ExportCandidateProfile | IntegrationStatusChange | ResyncJobs:
    return _NOTIFICATION.validate_json(body)
