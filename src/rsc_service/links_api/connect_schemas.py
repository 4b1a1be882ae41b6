"""What the ATS reads from connect before alert (L5, docs/in-ats.md#connect-before-alert)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ConnectLinked(BaseModel):
    """Connect before alert (L5): the candidate is linked, and the member's notes and InMails are on it."""

    state: Literal["linked"] = "linked"
    candidate_id: str
    member_urn: str = Field(examples=["urn:li:person:AbC123"])
    source: str = Field(description="How the link was made: email (LinkedIn's own match), manual, export, …")
    notes_written: int = Field(
        description="The member's Recruiter notes written onto the candidate by this call"
    )
    inmails_written: int = Field(description="The member's InMails written onto the candidate by this call")
    pull_error: str | None = Field(
        default=None,
        description="Null, or why the member's notes and InMails could not all be written now (linked "
        "still; LinkedIn's status and message): the next connect for the candidate pulls the member again",
    )


class ConnectPending(BaseModel):
    """No match within the wait: the ATS sends its alert without LinkedIn's history, and may ask again. The
    member's notes and InMails stay owed to the candidate: the next connect once it is linked writes them."""

    state: Literal["pending"] = "pending"
    candidate_id: str
    waited_seconds: float = Field(description="How long the service waited for LinkedIn's match")
    reason: str = Field(
        description="no_match_yet (LinkedIn has not matched the candidate's email within the wait) or "
        "unlinked_by_hand (a person unlinked the candidate: LinkedIn's match does not link it)",
        examples=["no_match_yet"],
    )
