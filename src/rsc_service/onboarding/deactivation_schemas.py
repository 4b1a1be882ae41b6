"""API shapes of a deactivation (PRODUCT A8; docs/onboarding.md#stages)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rsc_service.onboarding.deactivation import Progress
from rsc_service.onboarding.schemas import AtsUserId
from rsc_service.tenants.models import Stage

_DELETE = Field(
    strict=True,
    description=(
        "true: delete every record the service put at LinkedIn (jobs are closed), then purge our copy; "
        "false: LinkedIn keeps its copy, ours is purged at once"
    ),
)


class DeactivationStart(BaseModel):
    """The ATS admin's choice; there is no default: keeping or deleting LinkedIn's copy is theirs to make."""

    model_config = ConfigDict(extra="forbid")

    ats_user_id: AtsUserId = Field(description="The ATS user who deactivates: an Admin or Owner")
    delete_linkedin_data: bool = _DELETE


class OperatorDeactivation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delete_linkedin_data: bool = _DELETE
    reason: Annotated[str, StringConstraints(max_length=300, pattern=r"^[^\x00]*$")] | None = Field(
        None, description="Kept in the tenant's audit trail"
    )


class KindRead(BaseModel):
    kind: str = Field(
        description="A LinkedIn resource (atsCandidates, atsApplications/notes, …) or local_data"
    )
    action: Literal["delete", "close", "purge"]
    done: int = Field(description="Records deleted (closed, purged) so far; never goes down")
    total: int | None = Field(description="Records to delete, when known")
    failed: int = Field(description="Records LinkedIn refused to delete for good")
    finished: bool
    last_error: str | None
    updated_at: datetime


class DeactivationRead(BaseModel):
    tenant_key: str
    stage: Stage
    mode: Literal["delete", "keep"]
    state: Literal["deleting", "purging", "finished"]
    started_at: datetime | None
    finished_at: datetime | None = Field(description="Set once everything is deleted and purged")
    kinds: list[KindRead] = Field(description="In the order they are worked on: children before parents")


def to_read(found: Progress) -> DeactivationRead:
    return DeactivationRead(
        tenant_key=found.tenant_key,
        stage=found.stage,
        mode=found.mode.value,
        state=found.state,
        started_at=found.started_at,
        finished_at=found.finished_at,
        kinds=[
            KindRead(
                kind=k.kind,
                action=k.action,
                done=k.done,
                total=k.total,
                failed=k.failed,
                finished=k.finished,
                last_error=k.last_error,
                updated_at=k.updated_at,
            )
            for k in found.kinds
        ],
    )
