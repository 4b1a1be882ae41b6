"""Settings of the fake ATS: API tokens, where and how it sends webhooks, its account and what it seeds."""

from __future__ import annotations

import base64
import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Standard Webhooks' example schedule: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
STANDARD_RETRY_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)


Plan = Literal["free", "standard", "professional", "enterprise"]
# The contract's Account.web_url: an https origin, no path and no trailing `/` (what validJsSdkDomains takes).
WEB_URL_PATTERN = r"^https://[^/?#@\s]+$"


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


class SeedOptions(BaseModel):
    """What the seed generator makes; the same options and seed always give the same records."""

    seed: int = 1
    users: int = Field(default=12, ge=1)
    jobs: int = Field(default=20, ge=1)
    candidates: int = Field(default=200, ge=0)
    applications: int | None = Field(default=None, ge=0, description="Default: one per candidate")
    notes: int | None = Field(default=None, ge=0, description="Default: one per two candidates")
    interviews: int | None = Field(default=None, ge=0, description="Default: one per four applications")
    recruiter_emails: list[str] = Field(
        default_factory=list,
        description="Emails of LinkedIn Recruiter seat holders; the first recruiter users get them",
    )
    domain: str = "acme-robotics.example"
    history_days: int = Field(default=730, ge=1, description="Jobs and candidates spread over this many days")


class AccountOptions(BaseModel):
    """The account `GET /account` answers at start; `PATCH /_sim/account` changes it later."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="Acme Robotics", min_length=1)
    plan: Plan = "enterprise"
    web_url: str | None = Field(
        default=None, pattern=WEB_URL_PATTERN, description="https origin; default: the origin of `ui_url`"
    )


class AtsSimConfig(BaseModel):
    api_tokens: list[str] = Field(default_factory=lambda: ["ats-sim-token"], min_length=1)
    webhook_url: str | None = Field(default=None, description="Where every change is posted")
    webhook_secret: str = Field(default_factory=_new_secret, description="whsec_ + base64")
    previous_webhook_secrets: list[str] = Field(
        default_factory=list, description="Also signed with, while the receiver rotates secrets"
    )
    retry_schedule: list[float] = Field(default_factory=lambda: list(STANDARD_RETRY_SCHEDULE), min_length=1)
    retry_scale: float = Field(default=1.0, ge=0, description="Multiplies every retry delay; tests use ~0")
    webhook_timeout: float = Field(default=15.0, gt=0)
    ui_url: str = Field(default="https://acme-robotics.ats.example", description="Base of records' `url`")
    account: AccountOptions = Field(default_factory=AccountOptions)
    seed: SeedOptions | None = Field(default=None, description="Seed the world at start (no webhooks)")

    @property
    def webhook_secrets(self) -> list[str]:
        return [self.webhook_secret, *self.previous_webhook_secrets]
