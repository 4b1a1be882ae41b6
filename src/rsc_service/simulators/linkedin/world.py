"""In-memory state of the simulated LinkedIn and JSON seeding; the default world is in defaults.py."""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .config import SimConfig
from .defaults import DEFAULT_SEED
from .limits import Throttle
from .models import (
    App,
    AuthCode,
    CallbackState,
    ConversationEvent,
    Delivery,
    Export,
    MailStub,
    Member,
    ProspectNote,
    Seat,
    StatusRequest,
    Task,
    Token,
)
from .restli import Key, make_key
from .store import Collection, HistoryEntry

ORG_TYPES = ("IN_ATS_INDICATOR", "ONE_CLICK_EXPORT", "PROFILE_PLUGIN")
CONTRACT_TYPES = ("CSA_API",)
# The kinds of Recruiter contract a customer can hold (`type` of a seeded contract).
RECRUITER_CONTRACT_KINDS = ("RECRUITER_CORPORATE", "RECRUITER_LITE")
DEFAULT_CONTRACT_KIND = "RECRUITER_CORPORATE"
RESOURCES = (
    "atsIntegrations",
    "configurations",
    "simpleJobPostings",
    "atsCandidates",
    "candidateNotes",
    "atsApplications",
    "applicationNotes",
    "interviewFeedback",
    "stages",
    "atsEntityAcls",
    "atsEntityAclAssignees",
)


class SimClock:
    """The simulator's clock: a base clock plus an offset that `/_sim/clock` sets or advances."""

    def __init__(self, base: Callable[[], datetime] | None = None) -> None:
        self.base = base or (lambda: datetime.now(UTC))
        self.offset = timedelta()

    def now(self) -> datetime:
        return self.base() + self.offset

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def set(self, when: datetime) -> None:
        self.offset = when - self.base()

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


class World:
    """Everything the simulated LinkedIn knows; `app.state.world` in tests."""

    def __init__(self, config: SimConfig, clock: SimClock) -> None:
        self.config = config
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self.apps: dict[str, App] = {}
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, AuthCode] = {}
        self.organizations: set[str] = set()
        self.contracts: dict[str, str] = {}  # contract URN -> organization URN
        self.contract_types: dict[str, str] = {}  # contract URN -> RECRUITER_CORPORATE | RECRUITER_LITE
        self.members: dict[str, Member] = {}
        self.seats: dict[int, Seat] = {}
        self.authorize_member: str | None = None
        self.collections: dict[str, Collection] = {name: Collection(name) for name in RESOURCES}
        self.tasks: dict[str, Task] = {}
        self.job_feeds: set[str] = set(self.config.job_feed_organizations)
        self.job_urns: dict[Key, str] = {}
        self.exports: dict[str, Export] = {}
        self.status_requests: dict[str, StatusRequest] = {}
        self.conversation_events: list[ConversationEvent] = []
        self.mail_stubs: list[MailStub] = []
        self.prospect_notes: dict[str, ProspectNote] = {}
        self.deliveries: list[Delivery] = []
        self.callbacks: dict[str, CallbackState] = {}
        self.requests: deque[dict[str, Any]] = deque(maxlen=self.config.request_log_limit)
        self.counter = 5000
        self.throttle = Throttle(self.config)

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def collection(self, name: str) -> Collection:
        return self.collections[name]

    def record(self, resource: str, **key: str) -> dict[str, Any] | None:
        """One stored record by its key fields, e.g. `record("atsCandidates", atsCandidateId="C1", ...)`."""
        return self.collection(resource).get(make_key(key))

    def history(self, resource: str, **key: str) -> list[HistoryEntry]:
        """Every write of one key, oldest first; deleted keys keep theirs."""
        return list(self.collection(resource).history.get(make_key(key), []))

    @property
    def candidates(self) -> dict[Key, dict[str, Any]]:
        return self.collection("atsCandidates").records

    @property
    def applications(self) -> dict[Key, dict[str, Any]]:
        return self.collection("atsApplications").records

    @property
    def jobs(self) -> dict[Key, dict[str, Any]]:
        return self.collection("simpleJobPostings").records

    # -- seeding -------------------------------------------------------------------------------

    def seed(self, data: dict[str, Any] | None = None) -> None:
        """Replace the world: the default world with each top-level key of `data` replacing its own."""
        merged = copy.deepcopy(DEFAULT_SEED) | copy.deepcopy(data or {})
        self.reset()
        partner = merged["partner"]
        self.apps[partner["clientId"]] = App(
            partner["clientId"],
            partner["clientSecret"],
            int(partner.get("appId", 100)),
            "partner",
            name=partner.get("name", "Sim ATS"),
            job_webhook_url=partner.get("jobWebhookUrl"),
            callback_urls=list(partner.get("oauth2AuthorizedCallbackUrls", [])),
        )
        self.organizations.update(merged.get("organizations", []))
        for contract in merged.get("contracts", []):
            kind = contract.get("type", DEFAULT_CONTRACT_KIND)
            if kind not in RECRUITER_CONTRACT_KINDS:
                raise ValueError(
                    f"Contract {contract['urn']}: type {kind!r} is not one of "
                    f"{list(RECRUITER_CONTRACT_KINDS)}"
                )
            self.contracts[contract["urn"]] = contract["organization"]
            self.contract_types[contract["urn"]] = kind
            self.organizations.add(contract["organization"])
        for child in merged.get("childApps", []):
            app = App(
                child["clientId"],
                child["clientSecret"],
                int(child.get("appId", self.next_id())),
                "child",
                parent=partner["clientId"],
                name=child.get("name", child["clientId"]),
                unique_foreign_id=child.get("uniqueForeignId", child["clientId"]),
                organization=child.get("organization"),
                contracts=list(child.get("contracts", [])),
                callback_urls=list(child.get("oauth2AuthorizedCallbackUrls", [])),
                js_domains=list(child.get("validJsSdkDomains", [])),
            )
            self.apps[app.client_id] = app
            if child.get("enabled"):
                self.enable_integrations(app, True, name_prefix=app.name)
                self.set_viewers_all(app)
        for m in merged.get("members", []):
            self.members[m["id"]] = Member(
                m["id"],
                m["firstName"],
                m["lastName"],
                [m["email"]] if m.get("email") else list(m.get("emails", [])),
                m.get("phone"),
                m.get("headline", ""),
            )
        for s in merged.get("seats", []):
            self.seats[int(s["id"])] = Seat(
                int(s["id"]),
                s["contract"],
                s["member"],
                s.get("state", "ACTIVE"),
                list(s.get("roles", ["SOURCER_ADD_PROSPECT"])),
                int(s.get("createdAt", 1_600_000_000_000)),
            )
        self.authorize_member = merged.get("authorizeMember")

    # -- integrations --------------------------------------------------------------------------

    @staticmethod
    def integration_key(context: str, integration_type: str) -> Key:
        return make_key(
            {
                "integrationContext": context,
                "integrationType": integration_type,
                "tenantType": "RECRUITER",
                "dataProvider": "ATS",
            }
        )

    def enable_integrations(
        self, app: App, enabled: bool, name_prefix: str | None = None, types: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Set the status of the app's integrations (as a LinkedIn admin would); returns the changed ones."""
        changed = []
        targets = [(app.organization, t) for t in ORG_TYPES] + [
            (c, t) for c in app.contracts for t in CONTRACT_TYPES
        ]
        store = self.collection("atsIntegrations")
        for context, integration_type in targets:
            if context is None or (types and integration_type not in types):
                continue
            key = self.integration_key(context, integration_type)
            record = dict(store.get(key) or dict(key))
            if name_prefix and not record.get("integrationName"):
                record["integrationName"] = f"{name_prefix} {integration_type}"
            record["status"] = "ENABLED" if enabled else "DISABLED"
            record["lastModifiedAt"] = self.clock.now_ms()
            store.put(key, record, self.clock.now_ms(), "admin_enable" if enabled else "admin_disable")
            changed.append(record)
        return changed

    def set_viewers_all(self, app: App) -> None:
        if app.organization is None:
            return
        configs = self.collection("configurations")
        for integration_type, name in (
            ("ONE_CLICK_EXPORT", "JOB_POSTING_VIEWERS"),
            ("IN_ATS_INDICATOR", "APPLICATION_VIEWERS"),
        ):
            key = make_key(
                dict(self.integration_key(app.organization, integration_type)) | {"configuration": name}
            )
            configs.put(
                key, {"configurationValue": {"string": "ALL_PRODUCT_USERS"}}, self.clock.now_ms(), "seed"
            )

    def integration_enabled(self, context: str, types: tuple[str, ...]) -> bool:
        store = self.collection("atsIntegrations")
        for integration_type in types:
            record = store.get(self.integration_key(context, integration_type))
            if record and record.get("status") == "ENABLED":
                return True
        return False

    def callback_url(self, organization: str) -> str | None:
        """The customer's CALLBACK_URL configuration (one per customer)."""
        for key, record in self.collection("configurations").where(integrationContext=organization):
            if dict(key).get("configuration") == "CALLBACK_URL":
                value = record.get("configurationValue", {}).get("string")
                return str(value) if value else None
        return None

    def app_for_organization(self, organization: str) -> App | None:
        return next(
            (a for a in self.apps.values() if a.kind == "child" and a.organization == organization), None
        )

    def contract_view(self, urn: str) -> dict[str, str]:
        """A contract as the configuration plugin shows it: `{"urn", "type"}`."""
        return {"urn": urn, "type": self.contract_types.get(urn, DEFAULT_CONTRACT_KIND)}

    def active_seats(self, person_id: str) -> list[Seat]:
        """The member's ACTIVE seats, by seat id."""
        return sorted(
            (s for s in self.seats.values() if s.member == person_id and s.state == "ACTIVE"),
            key=lambda s: s.seat_id,
        )

    def partner(self) -> App:
        return next(a for a in self.apps.values() if a.kind == "partner")

    def member_by_email(self, email: str) -> Member | None:
        wanted = email.strip().lower()
        return next((m for m in self.members.values() if wanted in (e.lower() for e in m.emails)), None)

    def now(self) -> datetime:
        return self.clock.now()
