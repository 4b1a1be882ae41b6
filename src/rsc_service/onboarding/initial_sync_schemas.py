"""API shapes of the initial sync's progress and of its dry run (PRODUCT A4, O8)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from rsc_service.tenants.models import Stage


class KindProgress(BaseModel):
    kind: str = Field(description="user, job, candidate, application, note or interview_feedback")
    walked: int = Field(description="Records of the ATS walked and synced so far; never goes down")
    total: int | None = Field(
        description="Known once the kind is walked to the end (the ATS's lists carry no count)"
    )
    skipped: int = Field(
        description="Listed but not synced: an application of a job closed over two years ago, …"
    )
    finished: bool = Field(description="Walked to the end")
    owed: int = Field(description="LinkedIn records owed for the kind (an application owes its stages too)")
    landed: int
    dead: int = Field(description="Refused by LinkedIn or as built: reported, not waited for")
    remaining: int = Field(description="Owed and not landed yet")
    requests: int = Field(
        description="Requests the remaining records need at best: 100 a batch, a parent's children in one"
    )
    eta_seconds: float | None = Field(description="Time the remaining records need at LinkedIn's budgets")


class InitialSyncStatus(BaseModel):
    stage: Stage
    started_at: datetime | None = Field(description="When the sync started; null before it did")
    updated_at: datetime | None
    walked: bool = Field(
        description="Every kind walked to the end; the tenant becomes active once all landed"
    )
    email_sent: bool | None = Field(description="The admin's email once the sync finished; null before")
    eta_seconds: float | None = Field(description="Time every remaining record needs at LinkedIn's budgets")
    eta_partial: bool = Field(
        description="Kinds are still being walked: the ETA covers only the records walked so far"
    )
    kinds: list[KindProgress] = Field(description="Parents first: the order of the walk")


class DryRunKind(BaseModel):
    kind: str
    listed: int = Field(description="Records the ATS listed")
    synced: int = Field(description="Records the initial sync would sync")
    skipped: int = Field(description="Records it would skip (see `skipped`)")
    records: int = Field(description="LinkedIn records they would owe")
    refused: int = Field(description="Of those, records LinkedIn would refuse (see `refusals`)")


class DryRunRefusal(BaseModel):
    kind: str
    ats_id: str
    resource: str = Field(description="The LinkedIn resource, e.g. atsCandidates")
    key: str
    reason: str = Field(description="Why LinkedIn would refuse it, naming the fields as Rest.li does")


class DryRunSkipped(BaseModel):
    kind: str
    reason: str
    records: int


class DryRunResult(BaseModel):
    kinds: list[DryRunKind]
    refusals: list[DryRunRefusal]
    skipped: list[DryRunSkipped]
