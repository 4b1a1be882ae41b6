"""Request bodies the fake ATS accepts, written from openapi/ats-api.yaml, not from the service's models."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from rsc_service.simulators.ats.records import iso


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def fields(self) -> dict[str, Any]:
        """The body as the contract's JSON, keeping only what the caller sent."""
        dumped = self.model_dump(mode="python", exclude_unset=True)
        # Timestamps are stored like every other: second precision, UTC, `Z`.
        return {key: iso(value) if isinstance(value, datetime) else value for key, value in dumped.items()}


class _Create(_Body):
    external_id: str = Field(min_length=1, max_length=255)


class Visibility(_Body):
    linkedin_contract: str = Field(min_length=1)


class Location(_Body):
    city: str | None = None
    region: str | None = None
    country: str | None = None
    postal_code: str | None = None


class EmailAddress(_Body):
    address: str = Field(min_length=3)
    type: Literal["home", "work", "other"] = "home"


class PhoneNumber(_Body):
    number: str = Field(min_length=3)
    type: Literal["mobile", "home", "work", "other"] = "mobile"


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
    job_id: str | None = None
    stage: str | None = None


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
    direction: Literal["outbound", "inbound"]
    sender_name: str | None = None
    sender_user_id: str | None = None
    thread_id: str | None = Field(default=None, max_length=200)
    sent_at: AwareDatetime
    visibility: Visibility | None = None


class UserEmailCreate(_Create):
    subject: str = Field(min_length=1)
    body: str = Field(min_length=1)


class Withdrawal(_Body):
    external_id: str = Field(min_length=1, max_length=255)
