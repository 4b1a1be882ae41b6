"""The notification body LinkedIn posts, and our answers to it and to the challenge.

The body of EXPORT_CANDIDATE_PROFILE and INTEGRATION_STATUS_CHANGE is not published; the service assumes
`{"type", "id", "expiresAt"}` (docs/linkedin.md#push-notifications). Other fields are ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# What the table stores (models.py): kind String(60), request_id String(200). A NUL is refused as well:
# PostgreSQL cannot store it in text.
_NO_NUL = r"^[^\x00]*$"
Kind = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=_NO_NUL)]
RequestId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_NO_NUL)]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Epoch milliseconds up to the end of year 9999, the last instant a datetime holds.
EpochMs = Annotated[int, Field(strict=True, ge=0, le=253_402_300_799_999)]


class NotificationIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    type: Kind = Field(examples=["INTEGRATION_STATUS_CHANGE"])
    id: RequestId = Field(description="The request id the data is fetched by", examples=["urn:li:request:1"])
    expires_at: EpochMs | None = Field(
        None, alias="expiresAt", description="Epoch ms after which the data can no longer be fetched"
    )

    def expires(self) -> datetime | None:
        if self.expires_at is None:
            return None
        return _EPOCH + timedelta(milliseconds=self.expires_at)


class ChallengeAnswer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    challenge_code: str = Field(alias="challengeCode")
    challenge_response: str = Field(
        alias="challengeResponse", description="hex HMAC-SHA256 of challengeCode, keyed by the client secret"
    )


class NotificationAccepted(BaseModel):
    status: Literal["recorded", "duplicate"]
