"""What every LinkedIn payload shares: the push context, the record being described, and the value
conversions LinkedIn asks for (docs/linkedin.md#values). Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar, cast
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from rsc_service.integrations.ats import wire as ats
from rsc_service.integrations.linkedin import wire as li

PRIVATE: Final = "PRIVATE_TO_ATS_INTEGRATION"
PUBLIC: Final = "PUBLIC"

M = TypeVar("M", bound=BaseModel)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
# LinkedIn's own email rule, `X@X.X` (docs/linkedin.md#candidates).
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class PushContext:
    """What a payload needs beyond the ATS record itself; everything here comes from the mirror or tenant."""

    integration_context: str  # the tenant's organization URN, e.g. "urn:li:organization:1001"
    job_availability: str = PRIVATE  # the customer's choice: PRIVATE_TO_ATS_… or PUBLIC
    manual_matched_member: str | None = None  # a candidate's link by hand, export or stub
    # An application embeds its job's title and its candidate's names and email: the mirror passes the last
    # known records of both, as JSON like the record itself.
    job: Mapping[str, Any] | None = None
    candidate: Mapping[str, Any] | None = None
    # ATS users by id, as JSON: the names of note authors and interviewers.
    users: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # ATS user id -> member URN (`urn:li:person:…`) of the users that hold a seat: job ACL assignees.
    members: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.job_availability not in (PRIVATE, PUBLIC):
            raise ValueError(f"job_availability must be {PRIVATE} or {PUBLIC}, not {self.job_availability!r}")


class Tombstone(BaseModel):
    """What a deletion always carries: the record's id and the ids of its parents."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    candidate_id: str | None = None
    job_id: str | None = None
    application_id: str | None = None


class Source:
    """One mirror record being described to LinkedIn: its JSON, whether it is deleted, and its ids.

    For a deletion `data` may be only the tombstone; `record()` then answers None unless the last known
    record came with it.
    """

    __slots__ = ("_parsed", "data", "deleted", "kind")

    def __init__(self, kind: str, data: Mapping[str, Any], *, deleted: bool) -> None:
        self.kind = kind
        self.data = data
        self.deleted = deleted
        self._parsed: dict[type[BaseModel], BaseModel | None] = {}

    @property
    def tombstone(self) -> Tombstone:
        """The ids, parsed when first asked for (kept with the other parsed models): a live record is
        described from its full model instead. Every record carries them, deleted or not."""
        if Tombstone not in self._parsed:
            self._parsed[Tombstone] = Tombstone.model_validate(self.data)
        return cast(Tombstone, self._parsed[Tombstone])

    @property
    def id(self) -> str:
        return self.tombstone.id

    def record(self, model: type[M]) -> M | None:
        """The full record; a live record that is not one raises, a deleted one may be None."""
        if model not in self._parsed:
            self._parsed[model] = (
                parse_or_none(model, self.data) if self.deleted else model.model_validate(self.data)
            )
        found = self._parsed[model]
        assert found is None or isinstance(found, model)
        return found


def parse_or_none(model: type[M], data: Mapping[str, Any]) -> M | None:
    """The full record, or None when `data` is only a tombstone."""
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def epoch_ms(moment: datetime) -> int:
    # Integer arithmetic, so no float rounding moves a timestamp by a millisecond.
    return (moment - _EPOCH) // _MILLISECOND


def truncate_utf16(text: str, limit: int) -> str:
    """At most `limit` UTF-16 code units, never splitting a surrogate pair.

    LinkedIn counts lengths as Java does (UTF-16 code units), so an emoji counts twice.
    """
    if len(text) <= limit // 2 or len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def web_url(value: str | None) -> str | None:
    """`value` if it is an absolute http(s) URL (LinkedIn types these fields as URLs and refuses the whole
    record over one that is not), else None: left out where optional, refused as built where required."""
    if not value:
        return None
    url = value.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        return None
    return url


def valid_emails(addresses: list[str]) -> list[str]:
    # One malformed address fails the whole record at LinkedIn; the valid ones still raise the match rate.
    return [address for address in addresses if _EMAIL.match(address)]


def actor(first: str | None, last: str | None) -> li.Actor | None:
    """An Actor, or None: LinkedIn requires both names on an Actor but the Actor itself is optional."""
    first, last = (first or "").strip(), (last or "").strip()
    if not first or not last:
        return None
    return li.Actor(first_name=first, last_name=last)


def user_actor(ctx: PushContext, user_id: str | None, fallback_name: str | None = None) -> li.Actor | None:
    """The Actor for an ATS user: the user's record when known, else a free-text "First Last" name."""
    user = parse_or_none(ats.User, ctx.users[user_id]) if user_id and user_id in ctx.users else None
    if user is not None:
        return actor(user.first_name, user.last_name)
    first, _, last = (fallback_name or "").strip().partition(" ")
    return actor(first, last)
