"""The simulated LinkedIn side: applications, tokens, members, seats, and what recruiters do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class App:
    """A developer application: the partner (parent) app or a provisioned customer (child) app."""

    client_id: str
    client_secret: str
    app_id: int
    kind: str  # "partner" or "child"
    parent: str | None = None
    name: str = ""
    description: str = ""
    unique_foreign_id: str | None = None
    js_domains: list[str] = field(default_factory=list)
    callback_urls: list[str] = field(default_factory=list)
    organization: str | None = None
    contracts: list[str] = field(default_factory=list)
    job_webhook_url: str | None = None

    @property
    def urn(self) -> str:
        return f"urn:li:developerApplication:{self.app_id}"

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.urn,
            "name": self.name,
            "description": self.description,
            "uniqueForeignId": self.unique_foreign_id,
            "validJsSdkDomains": list(self.js_domains),
            "oauth2AuthorizedCallbackUrls": list(self.callback_urls),
            "credentials": {"clientId": self.client_id, "clientSecret": self.client_secret},
        }


@dataclass
class Token:
    value: str
    client_id: str
    expires_at: datetime
    member: str | None = None  # set for 3-legged member tokens


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    member: str
    expires_at: datetime


@dataclass
class Member:
    person_id: str
    first_name: str
    last_name: str
    emails: list[str] = field(default_factory=list)
    phone: str | None = None
    headline: str = ""
    closed: bool = False

    @property
    def urn(self) -> str:
        return f"urn:li:person:{self.person_id}"


@dataclass
class Seat:
    seat_id: int
    contract: str
    member: str  # person id
    state: str = "ACTIVE"
    roles: list[str] = field(default_factory=lambda: ["SOURCER_ADD_PROSPECT"])
    created_at: int = 0

    @property
    def urn(self) -> str:
        return f"urn:li:seat:{self.seat_id}"


@dataclass
class Task:
    """An asynchronous job-posting task created by `simpleJobPostings` batch_create."""

    urn: str
    client_id: str
    element: dict[str, Any]
    created_at: datetime
    failure: str | None
    job_urn: str | None = None
    settled: bool = False
    processed: bool = False  # ended PROCESSED: the customer's jobs still come from a feed or career site


@dataclass
class Export:
    request_id: str
    organization: str
    seat: int
    member: str
    job: str | None
    at: int


@dataclass
class StatusRequest:
    """What an INTEGRATION_STATUS_CHANGE notification points at."""

    request_id: str
    integrations: list[dict[str, Any]]


@dataclass
class ConversationEvent:
    event_id: str
    thread: str
    seat: int
    member: str
    direction: str  # "OUTBOUND" (seat to member) or "INBOUND" (member's reply)
    subject: str
    body: str
    at: int


@dataclass
class MailStub:
    stub_id: str
    contract: str
    owner: int
    member: str
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    created_at: int


@dataclass
class ProspectNote:
    note_id: str
    contract: str
    owner: int
    member: str
    note: str
    created: int
    last_modified: int
    active: bool = True


@dataclass
class Delivery:
    """One push notification and what happened when the simulator tried to deliver it."""

    notification_id: str
    type: str
    url: str | None
    payload: dict[str, Any]
    attempts: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.notification_id,
            "type": self.type,
            "url": self.url,
            "payload": self.payload,
            "attempts": self.attempts,
            "delivered": self.delivered,
        }


@dataclass
class CallbackState:
    validated_at: datetime | None = None
    failures: int = 0
    blocked: bool = False
