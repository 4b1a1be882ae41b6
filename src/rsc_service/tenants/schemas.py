"""API shapes of tenants: what operators send when registering one, and what they read back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Secret, StringConstraints, model_validator
from pydantic.config import JsonDict

from rsc_service.tenants.models import Stage, Tenant

# LinkedIn's ids in URNs are ASCII digits, as many as the column holding the URN has room for: contracts and
# organizations in String(100), the application in String(200) (tenants/models.py).
ContractUrn = Annotated[str, StringConstraints(pattern=r"^urn:li:contract:[0-9]{1,84}$")]
OrganizationUrn = Annotated[str, StringConstraints(pattern=r"^urn:li:organization:[0-9]{1,80}$")]
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store a NUL in text
AppUrn = Annotated[str, StringConstraints(pattern=r"^urn:li:developerApplication:[0-9]{1,172}$")]
# A secret the service sends in an HTTP header (the ATS token) or uses as an HMAC key and in LinkedIn's
# token requests (the client secret): visible ASCII only, so every request can carry it; kept masked.
VISIBLE_ASCII = r"^[\x21-\x7e]+$"
_WRITE_ONLY: JsonDict = {"format": "password", "writeOnly": True}
AtsToken = Annotated[
    Secret[Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=VISIBLE_ASCII)]],
    Field(json_schema_extra=_WRITE_ONLY),
]
ClientSecret = Annotated[
    Secret[Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=VISIBLE_ASCII)]],
    Field(json_schema_extra=_WRITE_ONLY),
]
# An absolute http(s) URL with a host, no credentials and a port of 1-65535 if any (urls.check_outbound also
# refuses http and non-public hosts unless RSC_ALLOW_INSECURE_LOCAL is set); the pattern is what the schema
# and the service both enforce.
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
AtsBaseUrl = Annotated[
    str,
    StringConstraints(max_length=500, pattern=rf"^https?://[A-Za-z0-9._~-]+(:{_PORT})?(/[!-~]*)?$"),
]
_ATS_BASE_URL = (
    "Base URL of this customer's ATS API: https (http only with RSC_ALLOW_INSECURE_LOCAL), a public host"
)


_LINKEDIN_FIELDS = (
    "linkedin_organization_urn",
    "linkedin_client_id",
    "linkedin_client_secret",
    "linkedin_app_urn",
    "linkedin_unique_foreign_id",
)


def _all_or_none_schema() -> JsonDict:
    """The either/or of `TenantCreate._all_or_none`, for the OpenAPI document."""
    none: JsonDict = {name: {"type": "null"} for name in _LINKEDIN_FIELDS}
    every: JsonDict = {name: {"not": {"type": "null"}} for name in _LINKEDIN_FIELDS}
    every["contracts"] = {"minItems": 1}
    return {
        "oneOf": [
            {"properties": none},
            {"required": [*_LINKEDIN_FIELDS, "contracts"], "properties": every},
        ]
    }


class TenantCreate(BaseModel):
    """A customer: with an existing child application (every `linkedin_*` field and `contracts`), it starts
    `active`; with none of them, it starts `requested` and its ATS admin activates it (docs/onboarding.md)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_all_or_none_schema())

    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL, examples=["Acme Staffing"])
    ats_base_url: AtsBaseUrl = Field(description=_ATS_BASE_URL, examples=["https://ats.example.com/api"])
    ats_token: AtsToken = Field(description="Bearer token the service uses on the ATS API")
    linkedin_organization_urn: OrganizationUrn | None = Field(None, examples=["urn:li:organization:1001"])
    contracts: list[ContractUrn] = Field(default_factory=list, examples=[["urn:li:contract:2001"]])
    linkedin_client_id: str | None = Field(
        None, min_length=1, max_length=200, pattern=NO_NUL, description="Child application client id"
    )
    linkedin_client_secret: ClientSecret | None = Field(None, description="Child application client secret")
    linkedin_app_urn: AppUrn | None = Field(None, examples=["urn:li:developerApplication:3001"])
    linkedin_unique_foreign_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        pattern=NO_NUL,
        description="uniqueForeignId the child application was provisioned with",
    )

    @model_validator(mode="after")
    def _all_or_none(self) -> TenantCreate:
        given = [name for name in _LINKEDIN_FIELDS if getattr(self, name) is not None]
        if given and len(given) != len(_LINKEDIN_FIELDS):
            missing = ", ".join(name for name in _LINKEDIN_FIELDS if name not in given)
            raise ValueError(
                f"registering an existing child application needs every linkedin_* field; missing: {missing}"
            )
        if given and not self.contracts:
            raise ValueError("registering an existing child application needs at least one contract")
        return self

    @property
    def registers_child_app(self) -> bool:
        return self.linkedin_client_id is not None


class TenantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200, pattern=NO_NUL)
    ats_base_url: AtsBaseUrl | None = Field(None, description=_ATS_BASE_URL)
    ats_token: AtsToken | None = None
    contracts: list[ContractUrn] | None = Field(None, min_length=1)
    linkedin_client_secret: ClientSecret | None = None


class TenantRead(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    stage: Stage
    ats_base_url: str
    linkedin_organization_urn: str | None
    contracts: list[str]
    linkedin_client_id: str | None
    linkedin_app_urn: str | None
    linkedin_unique_foreign_id: str | None
    job_availability: str | None = Field(
        None, description="PUBLIC or PRIVATE_TO_ATS_INTEGRATION; null: not chosen, jobs go out private"
    )
    stage_changed_at: datetime | None = None
    api_key_prefix: str = Field(description="First characters of the ATS-facing API key, to tell keys apart")
    sending_paused_until: datetime | None = Field(
        None, description="Set while LinkedIn refuses the integration"
    )
    sending_paused_reason: str | None = None
    created_at: datetime
    updated_at: datetime


class TenantCreated(TenantRead):
    """Returned once, at registration: the secrets are not stored in a readable form and never shown again."""

    api_key: str = Field(description="Bearer key the ATS uses on this service's ATS-facing API")
    webhook_secret: str = Field(description="Standard Webhooks signing secret (whsec_ + base64)")


class ApiKeyRotated(BaseModel):
    """Returned once: the key is stored hashed and never shown again; the previous key is refused at once."""

    api_key: str = Field(description="The new bearer key the ATS uses on this service's ATS-facing API")
    api_key_prefix: str = Field(description="Its first characters, as tenant reads show them")


class WebhookSecretRotate(BaseModel):
    """How long the secrets being replaced keep verifying; send 0 to revoke a leaked secret at once."""

    model_config = ConfigDict(extra="forbid")

    previous_valid_for_hours: float | None = Field(
        None,
        strict=True,
        ge=0,
        le=24 * 30,
        description=(
            "Hours the current secret (and any earlier one still in its grace period) keeps verifying "
            "while the ATS switches over; 0 revokes them at once. Default: RSC_ATS__SECRET_GRACE_HOURS"
        ),
        examples=[0],
    )


class WebhookSecretRotated(BaseModel):
    webhook_secret: str = Field(description="The new signing secret, shown once")
    previous_valid_until: datetime | None = Field(
        description="When the replaced secrets stop verifying (now, for a revocation)"
    )


def to_read(tenant: Tenant) -> TenantRead:
    return TenantRead(
        id=tenant.id,
        key=tenant.key,
        name=tenant.name,
        stage=tenant.stage,
        ats_base_url=tenant.ats_base_url,
        linkedin_organization_urn=tenant.linkedin_organization_urn,
        contracts=[contract.contract_urn for contract in tenant.contracts],
        linkedin_client_id=tenant.linkedin_client_id,
        linkedin_app_urn=tenant.linkedin_app_urn,
        linkedin_unique_foreign_id=tenant.linkedin_unique_foreign_id,
        api_key_prefix=tenant.api_key_prefix,
        job_availability=tenant.job_availability,
        stage_changed_at=tenant.stage_changed_at,
        sending_paused_until=tenant.sending_paused_until,
        sending_paused_reason=tenant.sending_paused_reason,
        created_at=tenant.created_at,
        updated_at=tenant.updated_at,
    )


class StageChangeRead(BaseModel):
    from_stage: Stage | None
    to_stage: Stage
    actor: str = Field(description="operator, ats_user:<id>, linkedin (a notification) or service (a job)")
    reason: str
    at: datetime


class StageForce(BaseModel):
    """An operator moving a tenant one step by hand; the move must still be one the lifecycle allows."""

    model_config = ConfigDict(extra="forbid")

    stage: Stage
    reason: str = Field(min_length=1, max_length=400, pattern=r"^[^\x00]*$")
