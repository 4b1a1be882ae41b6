"""What the ATS sends and reads on the link routes (docs/in-ats.md#links)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rsc_service.in_ats.schemas import MEMBER_PATTERN

MAX_LOOKUP = 500  # the candidates of an ATS list page


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_urn: str = Field(
        pattern=MEMBER_PATTERN,
        description="The member the profile widget's onlink callback named",
        examples=["urn:li:person:AbC123"],
    )
    ats_user_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00]+$",
        description="The ATS user who linked, for the audit trail",
    )


class LinkRead(BaseModel):
    candidate_id: str
    member_urn: str | None = Field(description="Null: not linked (or unlinked by hand)")
    source: str | None = Field(
        description="email (LinkedIn's own match), manual, export or inmail_stub; null: never linked",
        examples=["manual"],
    )
    linked_at: datetime | None


class LinkLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    candidate_ids: list[
        Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
    ] = Field(
        min_length=1,
        max_length=MAX_LOOKUP,
        description=f"ATS candidate ids, at most {MAX_LOOKUP} (the names of a list page)",
    )


class LinkedCandidate(BaseModel):
    candidate_id: str
    member_urn: str
    source: str


class LinkLookupRead(BaseModel):
    links: list[LinkedCandidate] = Field(
        description="Only the candidates asked about that are linked to a member, in the order asked"
    )


class LinkChangeRead(BaseModel):
    member_before: str | None
    member_after: str | None
    source_before: str | None = Field(description="How the replaced link was made; null: there was none")
    actor: str = Field(examples=["ats_user:u_17", "ats"])
    at: datetime


class LinkHistoryRead(BaseModel):
    candidate_id: str
    changes: list[LinkChangeRead] = Field(description="Oldest first")
