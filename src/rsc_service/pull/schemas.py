"""The operator's view of the pull: a run at once, and each stream's health (docs/pull.md#operations)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PullRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_keys: list[str] | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="Only these tenants (tn_...); every active one if absent",
    )


class PullRejectedRead(BaseModel):
    item_id: str = Field(description="LinkedIn's id of the note, InMail or reply stub")
    reason: str = Field(
        description="ats_rejected: the ATS's status, problem code and the fields it named; the item is "
        "recorded as skipped and not pulled again"
    )


class PullStreamRunRead(BaseModel):
    stream: str
    contract_urn: str
    seat_id: str | None = Field(
        description="The seat whose InMails were read; null for contract-wide streams"
    )
    pages: int
    written: int = Field(description="Items written into the ATS")
    skipped: int = Field(
        description="Items recorded without a write (no linked candidate, already linked…), not counting "
        "`rejected`"
    )
    withdrawn: int = Field(description="Notes LinkedIn marked inactive, withdrawn from the ATS")
    rejected: list[PullRejectedRead] = Field(
        description="Items the ATS refused as invalid (a 4xx about the item); the stream went on past them"
    )
    error: str | None = Field(description="Why the stream stopped (LinkedIn's message); it resumes next run")


class PullTenantRunRead(BaseModel):
    tenant_key: str
    written: int
    error: str | None
    streams: list[PullStreamRunRead]


class PullRunRead(BaseModel):
    written: int
    tenants: list[PullTenantRunRead]


class PullStreamRead(BaseModel):
    stream: str
    contract_urn: str
    seat_id: str | None = Field(description="The seat whose InMails this cursor reads; null: contract-wide")
    last_run_at: datetime | None
    last_success_at: datetime | None = Field(description="When the stream last read up to the present")
    lag_seconds: float | None = Field(description="Seconds since last_success_at; null before the first")
    items_written: int
    failures: int = Field(description="Runs in a row that stopped on an error")
    last_error: str | None = Field(description="LinkedIn's (or the ATS's) message, until a page succeeds")
