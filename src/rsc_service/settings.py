"""Settings: env vars `RSC_<GROUP>__<FIELD>` (or `RSC_<FIELD>` at the top), read once by load_settings()."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any, Union, get_args, get_origin

import pydantic_settings
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./rsc-service.db"


def _blank(value: object) -> bool:
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    return isinstance(raw, str) and not raw.strip()


def _blank_is_unset(value: object) -> object:
    # An empty secret (`RSC_ADMIN__TOKEN=`, a compose `${VAR}` left unset) is no secret at all: anybody
    # could present it, or sign with it. It reads as unset, so whatever it guards stays off.
    return None if _blank(value) else value


# Every optional secret setting: a blank value is unset.
OptionalSecret = Annotated[SecretStr | None, BeforeValidator(_blank_is_unset)]


def _key_list(value: object) -> object:
    """RSC_SECURITY__ENCRYPTION_KEYS as written: one key (as `keygen` prints it), a comma list, or a JSON
    list (a value starting with `[`); blank entries are dropped."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise ValueError("starts with [ but is not a JSON list of keys") from None
        else:
            value = text.split(",")
    if isinstance(value, list):
        return [item.strip() if isinstance(item, str) else item for item in value if not _blank(item)]
    return value


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class DatabaseSettings(BaseModel):
    url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db",
    )
    pool_size: int = Field(10, ge=1, le=200, description="PostgreSQL connection pool size")
    busy_timeout_ms: int = Field(5000, ge=1000, description="SQLite busy timeout")
    echo: bool = Field(False, description="Log every SQL statement (development only)")
    statement_timeout_seconds: float = Field(
        30,
        gt=0,
        le=3600,
        description="PostgreSQL: longest the service waits for a statement's answer, a new connection or a"
        " pooled one before it gives up (client-side: a server that accepts packets and never answers fails"
        " the statement instead of hanging it)",
    )
    analyze_after_rows: int = Field(
        200,
        ge=1,
        description="PostgreSQL: a table the service fills is analyzed once it holds this many rows, and"
        " again each time it has doubled since (autovacuum would, later, if it is on)",
    )

    @field_validator("url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (the service is async-only)"
            )
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def safe_url(self) -> str:
        """The URL with its password masked: the only form of it fit for messages and logs."""
        return safe_url(self.url)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # A repr of the settings (a debugger, an error report) shows the URL without its password.
        for name, value in super().__repr_args__():
            yield name, safe_url(value) if name == "url" and isinstance(value, str) else value


class ServerSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address `serve` binds to")
    port: int = Field(8000, ge=1, le=65535, description="Port `serve` listens on")
    public_url: str = Field("http://127.0.0.1:8000", description="URL others use to reach this service")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest request body accepted, on any route")
    max_header_bytes: int = Field(16_384, ge=1024, description="Largest total size of a request's headers")


class LinkedInSettings(BaseModel):
    # No default on purpose: nothing in development can reach the real LinkedIn by accident.
    api_url: str | None = Field(None, description="RSC API base, e.g. https://api.linkedin.com")
    oauth_url: str | None = Field(None, description="OAuth base, e.g. https://www.linkedin.com/oauth/v2")
    timeout_seconds: float = Field(30.0, gt=0, description="Per-request timeout for LinkedIn calls")
    max_connections: int = Field(20, ge=1, description="Connection pool size for LinkedIn")
    url_limit_bytes: int = Field(
        8192, ge=1024, description="Longest URL before Rest.li query tunnelling (a query over 4 KB always is)"
    )
    records_per_minute: int | None = Field(
        10_000, ge=1, description="Sync records per sliding 60 s per LinkedIn application (none: no limit)"
    )
    requests_per_day: int | None = Field(
        100_000, ge=1, description="Sync requests per UTC day per application"
    )
    prospect_requests_per_day: int | None = Field(
        100_000, ge=1, description="conversationEvents, prospectNotes and mailStubs requests per UTC day"
    )
    job_task_requests_per_day: int | None = Field(
        300_000, ge=1, description="Job-posting task reads per UTC day, per application (null: no limit)"
    )


class AtsSettings(BaseModel):
    timeout_seconds: float = Field(
        15.0, gt=0, description="Deadline of each ATS request as a whole (each retry has its own)"
    )
    retries: int = Field(3, ge=0, le=10, description="Retries on ATS 5xx and timeouts")
    webhook_tolerance_seconds: int = Field(300, ge=30, description="Accepted webhook timestamp skew")
    inbox_retention_days: int = Field(7, ge=1, description="How long webhook ids are kept for dedupe")
    secret_grace_hours: float = Field(
        24.0, ge=0, description="How long a rotated-out webhook secret still verifies"
    )
    tenant_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long a replica trusts its copy of a tenant's webhook keys",
    )
    ingest_gather_ms: float = Field(
        2.0, ge=0, le=50, description="Longest a webhook batch waits for requests still being verified"
    )
    ingest_batch: int = Field(
        256, ge=1, le=2000, description="Most webhooks committed together in one transaction"
    )
    ingest_writers: int = Field(
        4,
        ge=1,
        le=16,
        description="Group commits in flight at once where the database has several connections (PostgreSQL)",
    )


class OnboardingSettings(BaseModel):
    """How a customer is set up (docs/onboarding.md)."""

    partner_client_id: str | None = Field(
        None, description="The partner (parent) LinkedIn application: provisions child apps, signs members in"
    )
    partner_client_secret: OptionalSecret = Field(None, description="The partner application's client secret")
    product_name: str = Field(
        "rsc-service",
        min_length=1,
        max_length=40,
        description="The ATS's product name: what Recruiter admins see before each customer's name",
    )
    return_path: str = Field(
        "/settings/integrations",
        pattern=r"^/[^?#]*$",
        description="Page of the ATS (under its account's web_url) an admin returns to after signing in",
    )
    sign_in_minutes: int = Field(10, ge=1, le=60, description="How long a LinkedIn sign-in link stays valid")
    stall_minutes: int = Field(
        10, ge=1, description="A setup step with no change for this long shows as stalled, with who must act"
    )


class OutboxSettings(BaseModel):
    poll_ms: int = Field(250, ge=10, le=5000, description="Longest a replica sleeps between outbox checks")
    batch_wait_ms: int = Field(
        50, ge=0, le=200, description="How long a live batch waits to fill after a wake"
    )
    concurrency: int = Field(8, ge=1, le=64, description="Batches in flight per replica")
    lease_seconds: float = Field(120.0, gt=0, description="Claim lease; at least twice the LinkedIn timeout")
    give_up_hours: float = Field(
        24.0,
        gt=0,
        le=24 * 30,
        description="How long transient failures keep a row retrying before it is dead",
    )
    claim_limit: int = Field(2000, ge=1, description="Rows claimed per drain")
    per_tenant: int = Field(1000, ge=1, description="Most rows one tenant gets per drain (fairness)")


class PullSettings(BaseModel):
    """The pull of Recruiter notes, InMails and InMail-reply stubs into the ATS (docs/pull.md)."""

    interval_minutes: float = Field(30.0, gt=0, description="How often the pull runs, fleet-wide")
    concurrency: int = Field(4, ge=1, le=64, description="Tenants pulled at once")
    overlap_minutes: float = Field(
        10.0, ge=0, le=60, description="Each window starts this much before the last one ended"
    )
    initial_lookback_hours: float = Field(24.0, gt=0, description="How far back a stream's first pull reads")
    page_size: int = Field(50, ge=1, le=100, description="Items per LinkedIn page (InMails: at most 12)")
    page_retries: int = Field(
        5, ge=0, le=20, description="Tries again of a failed page before the stream waits"
    )
    stub_window_hours: float = Field(
        12.0, gt=0, le=12, description="Mail-stub window; halved when LinkedIn says it matches too many"
    )
    closed_profiles_days: float = Field(
        7.0, gt=0, le=30, description="How often LinkedIn's closed profiles are read (at most every 30 days)"
    )


class LinksSettings(BaseModel):
    """The ATS's link routes (docs/in-ats.md#links)."""

    connect_wait_seconds: float = Field(
        5.0, gt=0, le=30, description="How long connect before alert waits for LinkedIn's email match"
    )


class SchedulerSettings(BaseModel):
    enabled: bool = Field(True, description="Run periodic jobs in this process")
    lease_ttl_seconds: float = Field(60.0, gt=0, description="Singleton job lease; renewed while running")
    intervals: dict[str, float] = Field(
        default_factory=dict, description='Per-job interval overrides in seconds, JSON: {"heartbeat": 5}'
    )
    holder: str | None = Field(None, description="Name of this replica in leases (default host:pid)")


class AdminSettings(BaseModel):
    token: OptionalSecret = Field(None, description="Bearer token for /v1/admin (admin API off when unset)")
    metrics_token: OptionalSecret = Field(
        None,
        description="Bearer token for /metrics (unset: the admin token; neither set: /metrics answers 401)",
    )


class SecuritySettings(BaseModel):
    # NoDecode: pydantic-settings would otherwise read the variable as JSON first, and a bare key is not.
    encryption_keys: Annotated[list[SecretStr], NoDecode, BeforeValidator(_key_list)] = Field(
        default_factory=list,
        description="Fernet keys for secrets at rest, newest first (one key, a comma list or a JSON list)",
    )


class LoggingSettings(BaseModel):
    level: str = Field("INFO", description="Log level")
    format: LogFormat = Field(LogFormat.AUTO, description="json, console, or auto (console in development)")
    opentelemetry: bool = Field(
        False,
        description="FastAPI's native OpenTelemetry traces and metrics (Prometheus metrics are always on)",
    )

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return upper


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RSC_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    environment: Environment = Field(Environment.DEVELOPMENT, description="development or production")
    allow_insecure_local: bool = Field(
        False, description="Allow http and loopback/private callback and ATS URLs (demo and tests only)"
    )
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    linkedin: LinkedInSettings = Field(default_factory=LinkedInSettings)
    ats: AtsSettings = Field(default_factory=AtsSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    onboarding: OnboardingSettings = Field(default_factory=OnboardingSettings)
    pull: PullSettings = Field(default_factory=PullSettings)
    links: LinksSettings = Field(default_factory=LinksSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    admin: AdminSettings = Field(default_factory=AdminSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)

    @model_validator(mode="after")
    def _lease_covers_a_send(self) -> Settings:
        # A claim must outlive the slowest send, else another worker may send the same rows
        # (docs/architecture.md#4-the-outbox).
        if self.outbox.lease_seconds < 2 * self.linkedin.timeout_seconds:
            raise ValueError(
                f"RSC_OUTBOX__LEASE_SECONDS ({self.outbox.lease_seconds}) must be at least twice "
                f"RSC_LINKEDIN__TIMEOUT_SECONDS ({self.linkedin.timeout_seconds})"
            )
        return self


class SettingsError(Exception):
    """Settings that cannot be used; the message names each env var and the reason."""


_SECRETISH = re.compile("TOKEN|KEY|SECRET|PASSWORD")
# The password of any URL in free text: after "scheme:", any number of slashes (a mistyped URL has one or
# three) and "user:", up to the last "@" of the run (a password may itself hold "@"); and a `password=` query
# parameter (asyncpg reads one).
_URL_PASSWORD = re.compile(r"(?P<keep>\b[A-Za-z][\w+.-]*:/*[^:/@\s]*:)\S*@")
_QUERY_PASSWORD = re.compile(r"(?P<keep>[?&]password=)[^&\s'\"]*", re.IGNORECASE)
MASK = "***"


def hide_passwords(text: str) -> str:
    """`text` with the password of every URL in it masked (settings errors, log lines, exceptions)."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['keep']}{MASK}@", text)
    return _QUERY_PASSWORD.sub(lambda m: f"{m['keep']}{MASK}", text)


def safe_url(url: str) -> str:
    """A database URL as it may be shown: SQLAlchemy's rendering without the password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        rendered = make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # not a URL SQLAlchemy can read: mask what looks like one
        rendered = url
    return hide_passwords(rendered)


def _echoed(loc: tuple[int | str, ...], given: object) -> str:
    """What an error line shows of the value it refused: a scalar outside any secret, else nothing. A group,
    list or mapping may hold a secret anywhere inside it (`RSC_SECURITY='["key"]'` is a whole group), so
    its value is never shown; a database URL's password is masked wherever it appears (describe)."""
    path = "__".join(str(part) for part in loc).upper()
    whole_group = len(loc) == 1 and _decoded_as_json(f"RSC_{path}")
    if _SECRETISH.search(path) or whole_group or not isinstance(given, str | int | float | bool | None):
        return ""
    return f" (got {given!r})"


def describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        if not item["loc"]:  # a rule across settings: its message names the variables
            lines.append(hide_passwords(item["msg"].removeprefix("Value error, ")))
            continue
        path = "__".join(str(part) for part in item["loc"]).upper()
        shown = _echoed(item["loc"], item.get("input"))
        lines.append(hide_passwords(f"RSC_{path}: {item['msg']}{shown}"))
    return "invalid settings:\n  " + "\n  ".join(lines)


_UNDECODABLE = re.compile(r'error parsing value for field "(?P<field>\w+)"')


def _decoded_as_json(name: str) -> bool:
    """Whether pydantic-settings reads the variable `name` (RSC_...) as JSON: a whole group, or a list or
    mapping setting without NoDecode."""
    model: Any = Settings
    parts = name.upper().removeprefix("RSC_").split("__")
    for depth, part in enumerate(parts):
        fields = getattr(model, "model_fields", {})
        field = fields.get(part.lower())
        if field is None:
            return False
        annotation = field.annotation
        if depth == len(parts) - 1:
            return NoDecode not in field.metadata and _complex(annotation)
        model = annotation
    return False


def _complex(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, type(int | None)):
        return any(_complex(arg) for arg in get_args(annotation) if arg is not type(None))
    origin = get_origin(annotation) or annotation
    return origin in (list, dict, set, tuple) or (isinstance(origin, type) and issubclass(origin, BaseModel))


def _not_json(error: pydantic_settings.SettingsError) -> str:
    """The variables a settings source could not read as JSON, named without their values."""
    found = _UNDECODABLE.search(str(error))
    if found is None:
        return "invalid settings:\n  an RSC_ variable is not valid JSON where a group, list or mapping is"
    group = f"RSC_{found['field'].upper()}"
    names = []
    for name, value in os.environ.items():
        upper = name.upper()
        if (upper == group or upper.startswith(f"{group}__")) and _decoded_as_json(upper):
            try:
                json.loads(value)
            except ValueError:
                names.append(upper)
    # None in the environment: a line of .env, under this group.
    named = ", ".join(sorted(names)) or f"{group} or a variable under it"
    return f"invalid settings:\n  {named}: not valid JSON, which a group, list or mapping is written in"


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(describe(error)) from None
    except pydantic_settings.SettingsError as error:  # its message and cause say nothing of the value
        raise SettingsError(_not_json(error)) from None
