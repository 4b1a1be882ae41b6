"""What the ATS reads about the LinkedIn notes and InMails the pull wrote on its candidates (R7, R8)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

CandidateId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
MAX_LOOKUP = 500


class ActivityLookup(BaseModel):
    candidate_ids: list[CandidateId] = Field(
        min_length=1, max_length=MAX_LOOKUP, description="ATS candidate ids, up to 500", examples=[["cand_1"]]
    )


class CandidateActivityCount(BaseModel):
    candidate_id: str
    has_notes: bool
    has_inmails: bool
    notes: int = Field(description="LinkedIn notes written on the candidate and not withdrawn")
    inmails: int = Field(description="InMails written on the candidate and not withdrawn")


class ActivityLookupRead(BaseModel):
    """R8: one entry per distinct id asked about, in the order asked; a candidate with nothing has zeros."""

    candidates: list[CandidateActivityCount]


class ActivityItemRead(BaseModel):
    type: Literal["note", "inmail"]
    ats_id: str = Field(description="The ATS note's or email's id")
    contract: str = Field(description="The LinkedIn contract the note or InMail belongs to")
    author_user_id: str | None = Field(
        description="The ATS user connected to the Recruiter seat that wrote or sent it, if any"
    )
    author_name: str | None = Field(description="The seat holder's name where the seat has no ATS user")
    direction: Literal["outbound", "inbound"] | None = Field(
        description="An InMail's: `inbound` is the member's reply (its author is the candidate)"
    )
    date: datetime | None = Field(description="When the note was written or the InMail sent")
    content_visible: bool = Field(
        description="Whether the asking user holds a connected, active seat on the item's contract"
    )
    subject: str | None = Field(description="An InMail's subject; null unless content_visible")
    body: str | None = Field(description="The note's or InMail's text; null unless content_visible")


class LinkedInActivityRead(BaseModel):
    """R7: a candidate's LinkedIn notes and InMails, newest first, as one ATS user may see them."""

    candidate_id: str
    ats_user_id: str
    items: list[ActivityItemRead]
