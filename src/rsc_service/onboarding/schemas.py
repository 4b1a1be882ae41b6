"""API shapes of a customer's setup, as the ATS's integrations page uses them (docs/onboarding.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rsc_service.integrations.linkedin.wire_keys import IntegrationType
from rsc_service.tenants.models import Stage
from rsc_service.tenants.schemas import ContractUrn

AtsUserId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
Urn = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^urn:li:[a-zA-Z]+:[^\x00]+$")]


class ActivationStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ats_user_id: AtsUserId = Field(description="The ATS user who clicked Activate: an Admin or Owner")


class ActivationStarted(BaseModel):
    sign_in_url: str = Field(description="Send the admin's browser here: LinkedIn's sign-in page")
    expires_at: datetime = Field(description="The sign-in must come back before this")


class PluginIntegration(BaseModel):
    """One element of the array LinkedIn's configuration plugin hands to its `onintegrate` callback."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    integration_context: Urn = Field(alias="integrationContext")
    integration_type: IntegrationType = Field(alias="integrationType")
    tenant_type: Literal["RECRUITER"] = Field("RECRUITER", alias="tenantType")


class PluginContract(BaseModel):
    model_config = ConfigDict(extra="ignore")

    urn: ContractUrn
    type: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[^\x00]*$")]


class PluginMember(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
    seat_roles: list[Annotated[str, StringConstraints(max_length=60, pattern=r"^[^\x00]*$")]] = Field(
        default_factory=list, alias="seatRoles", max_length=20
    )


class IntegrationRequestBody(BaseModel):
    """What the plugin answered, passed on by the ATS page, and who is at the keyboard."""

    model_config = ConfigDict(extra="forbid")

    ats_user_id: AtsUserId
    member: PluginMember
    contracts: list[PluginContract] = Field(min_length=1, max_length=20)
    integrations: list[PluginIntegration] = Field(min_length=1, max_length=40)


class IntegrationRead(BaseModel):
    context: str
    type: str
    status: str = Field(description="REQUESTED until LinkedIn reports ENABLED or DISABLED")


class FeatureRead(BaseModel):
    name: str
    level: Literal["company", "contract"]
    active: bool
    reason: str | None = Field(None, description="Why the feature is inactive")


class IntegrationStatus(BaseModel):
    stage: Stage
    stage_changed_at: datetime | None
    stalled: bool = Field(description="No change for RSC_ONBOARDING__STALL_MINUTES while someone must act")
    waiting_for: Literal["ats_admin", "linkedin_admin", "service"] | None = Field(
        None, description="Who must act next"
    )
    next_step: str | None = None
    js_sdk_api_key: str | None = Field(
        None,
        description="The customer's child application client id: the api_key of LinkedIn's in.js widgets",
    )
    job_availability: Literal["PUBLIC", "PRIVATE_TO_ATS_INTEGRATION"]
    integrations: list[IntegrationRead]
    features: list[FeatureRead]


class JobAvailability(BaseModel):
    """RSC-102: the customer's choice for synced jobs; without one every job is PRIVATE_TO_ATS_INTEGRATION."""

    model_config = ConfigDict(extra="forbid")

    job_availability: Literal["PUBLIC", "PRIVATE_TO_ATS_INTEGRATION"]
