"""What each LinkedIn item becomes in the ATS, and the windows the streams read: pure functions only
(docs/pull.md)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final, TypeVar

from pydantic import ValidationError

from rsc_service.db.base import storable
from rsc_service.integrations.ats import wire as ats
from rsc_service.integrations.linkedin import wire

# conversationEvents and prospectNotes serve at most 12 hours a call (docs/linkedin.md#retrieval).
MAX_WINDOW: Final = timedelta(hours=12)
# LinkedIn counts at most 12 InMail records per member a minute; a page of 12 can never pass it alone.
INMAIL_PAGE_MAX: Final = 12
SOURCE_INMAIL_STUB: Final = "inmail_stub"
PERSON_PREFIX: Final = "urn:li:person:"
SEAT_PREFIX: Final = "urn:li:seat:"


class Stream(StrEnum):
    STUBS = "mail_stubs"  # first: a reply's candidate exists before its InMail is written
    INMAILS = "inmails"
    NOTES = "notes"
    CLOSED = "closed_profiles"


# The order a tenant's streams run in.
STREAMS: Final = (Stream.STUBS, Stream.INMAILS, Stream.NOTES)


class Skip(StrEnum):
    """Why an item was recorded without an ATS write."""

    NO_CANDIDATE = "no_linked_candidate"
    ALREADY_LINKED = "member_already_linked"
    EMPTY = "empty"
    INACTIVE = "inactive_when_first_seen"
    # The ATS refused the write as invalid (a 4xx about the item); the stored reason adds its status, its
    # code and the fields it named (`rejection`), never the item's content.
    ATS_REJECTED = "ats_rejected"
    # The item makes no request the ATS contract allows (`unwritable`): the reason names the fields only.
    UNWRITABLE = "unwritable"


@dataclass(frozen=True)
class Author:
    """Who wrote or sent an item in the ATS: the seat's ATS user where connected, else a name only."""

    ats_user_id: str | None
    name: str | None


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def start_ms(self) -> int:
        return to_ms(self.start)

    @property
    def end_ms(self) -> int:
        return to_ms(self.end)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(value: int | None) -> datetime | None:
    """A LinkedIn time in milliseconds; None when absent or past what a calendar holds (a time no row could
    store reads as unknown, and the item is dated when it was pulled)."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def window(
    position: datetime, now: datetime, *, overlap: timedelta, size: timedelta = MAX_WINDOW
) -> Window | None:
    """The next window from `position` (less `overlap`, so nothing at a boundary is missed), at most `size`
    long and never past `now`; None when there is nothing new to read."""
    if position >= now:
        return None
    start = position - overlap
    return Window(start, min(start + min(size, MAX_WINDOW), now))


def external_id(stream: Stream, item_id: str) -> str:
    """The ATS idempotency key of one pulled item: the same item always lands on the same ATS record."""
    return f"linkedin:{stream.value}:{item_id}"[:255]


def member_external_id(member_urn: str, reply: str | None = None) -> str:
    """A stub candidate is keyed by its member, so two stubs of one member can never make two candidates; a
    member whose candidates were all deleted in the ATS gets one keyed by the reply (`reply`, the stub's id)
    as well, as the member's own key answers the deleted one (docs/pull.md#what-is-written)."""
    key = f"linkedin:member:{member_urn}"
    return (key if reply is None else f"{key}:{reply}")[:255]


def item_id(value: int | str | None) -> str | None:
    """An item's id as stored and as its ATS external id carries it: NUL and lone surrogates become U+FFFD,
    as in all text from outside, so no id can make its own row unwritable and stop the stream behind it."""
    if value is None or value == "":
        return None
    return storable(str(value))[:200]


def seat_id(urn: str | None) -> str | None:
    if not urn or not urn.startswith(SEAT_PREFIX):
        return None
    return urn[len(SEAT_PREFIX) :]


def person_urn(value: str | None) -> str | None:
    """A member as `urn:li:person:{id}`, however LinkedIn spelled it."""
    if not value:
        return None
    value = storable(value)  # stored with the item (as `item_id`)
    return value if value.startswith("urn:li:") else f"{PERSON_PREFIX}{value}"


def stamp(value: int | wire.AuditStamp | None) -> int | None:
    return value.time if isinstance(value, wire.AuditStamp) else value


def visibility(contract_urn: str) -> ats.Visibility:
    """Readable only by ATS users holding a seat on this contract (R7)."""
    return ats.Visibility(linkedin_contract=contract_urn)


def text(value: str | None) -> str:
    """Text from LinkedIn as an ATS request can carry it: NUL and lone surrogates (which JSON's escapes can
    carry and UTF-8 cannot) become U+FFFD, as in what the service stores (docs/pull.md#what-is-written)."""
    return storable(value or "")


def note(
    element: wire.ProspectNote, *, contract_urn: str, author: Author, now: datetime
) -> ats.NoteCreate | Skip:
    """R5: a Recruiter note becomes an ATS note on the linked candidate."""
    identifier = item_id(element.id)
    body = text(element.note).strip()
    if identifier is None or not body:
        return Skip.EMPTY
    written = from_ms(stamp(element.created)) or from_ms(stamp(element.last_modified)) or now
    return ats.NoteCreate(
        external_id=external_id(Stream.NOTES, identifier),
        body=body,
        author_user_id=author.ats_user_id,
        author_name=None if author.ats_user_id else author.name,
        written_at=written,
        visibility=visibility(contract_urn),
    )


def email(
    element: wire.ConversationEvent, *, contract_urn: str, sender: Author, now: datetime
) -> ats.EmailCreate | Skip:
    """R6: an InMail becomes an ATS email (direction, subject, body, sent at, thread), one per event."""
    identifier = item_id(element.id)
    body = text(element.body).strip()
    if identifier is None or not body:
        return Skip.EMPTY
    inbound = (element.direction or "").upper() == "INBOUND"
    return ats.EmailCreate(
        external_id=external_id(Stream.INMAILS, identifier),
        subject=text(element.subject) or None,
        body=body,
        direction="inbound" if inbound else "outbound",
        sender_name=None if inbound or sender.ats_user_id else sender.name,
        sender_user_id=None if inbound else sender.ats_user_id,
        thread_id=text(element.thread)[:200] or None,
        sent_at=from_ms(element.created_at) or now,
        visibility=visibility(contract_urn),
    )


_Written = TypeVar("_Written", ats.NoteCreate, ats.EmailCreate)


def by_name(body: _Written, role: str, person: Author) -> _Written:
    """The note (`role` "author") or outbound InMail ("sender") again with that person as a name only: for
    an ATS that no longer knows the seat's ATS user (deleted there before the seat store was refreshed)."""
    return body.model_copy(update={f"{role}_user_id": None, f"{role}_name": person.name})


# What a field path and a problem code may hold to be kept in a stored reason: names, never values.
_NAME: Final = re.compile(r"[A-Za-z0-9_.\[\]-]{1,60}")
REASON_MAX: Final = 60  # pulled_items.reason


def refused_fields(detail: str | None) -> list[str]:
    """The fields an ATS validation problem names: its detail is `path: message` items joined by `; `
    (openapi/ats-api.yaml, the Invalid response), as `body.author_user_id: ...`."""
    fields = []
    for part in (detail or "").split(";"):
        path, colon, _ = part.partition(":")
        path = path.strip()
        if colon and _NAME.fullmatch(path) and path not in fields:
            fields.append(path)
    return fields


def names_field(detail: str | None, field: str) -> bool:
    return any(path.rsplit(".", 1)[-1] == field for path in refused_fields(detail))


def rejection(status: int, code: str | None, detail: str | None) -> str:
    """The reason an item the ATS refused is recorded with: status, problem code and the fields named."""
    reason = f"{Skip.ATS_REJECTED.value}: {status}"
    if code and _NAME.fullmatch(code):
        reason += f" {code}"
    fields = refused_fields(detail)
    if fields:
        reason += f" ({','.join(fields)})"
    return reason[:REASON_MAX]


def unwritable(error: ValidationError) -> str:
    """The reason an item no ATS request can carry is recorded with: the fields the request's model refused,
    never their values (docs/pull.md#what-is-written)."""
    fields: list[str] = []
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        path = ".".join(str(part) for part in item["loc"])
        if _NAME.fullmatch(path) and path not in fields:
            fields.append(path)
    reason = Skip.UNWRITABLE.value + (f" ({','.join(fields)})" if fields else "")
    return reason[:REASON_MAX]


def stub_candidate(
    element: wire.MailStub, member_urn: str, *, reply: str | None = None
) -> ats.CandidateCreate:
    """R2/L4: the unassigned candidate an InMail reply creates. LinkedIn puts an email or phone in the stub
    only when the member chose to share it, so what is there is what they consented to. `reply` (the stub's
    id) keys it by the reply as well as the member (`member_external_id`)."""
    emails = [ats.EmailAddress(address=a) for a in map(text, element.email_address) if len(a) >= 3]
    phones = []
    for phone in element.phone_numbers:
        number = text(phone if isinstance(phone, str) else phone.number)
        if len(number) >= 3:
            phones.append(ats.PhoneNumber(number=number))
    return ats.CandidateCreate(
        external_id=member_external_id(member_urn, reply),
        first_name=text(element.first_name).strip() or "LinkedIn",
        last_name=text(element.last_name).strip() or "member",
        emails=emails,
        phones=phones,
        source=SOURCE_INMAIL_STUB,
    )


def seat_author(ats_user_id: str | None, first_name: str | None, last_name: str | None) -> Author:
    name = " ".join(part for part in (first_name, last_name) if part) or None
    return Author(ats_user_id, name)


def live_candidates(candidates: Sequence[str], deleted: Collection[str]) -> list[str]:
    """Of a member's linked candidates (lowest link id first), those its items may go on, in that order: a
    candidate deleted in the ATS is no candidate (docs/in-ats.md). One the mirror has not heard of yet (a
    stub's candidate the pull just made) is taken as live."""
    return [candidate for candidate in candidates if candidate not in deleted]


def first_candidate(candidates: Sequence[str]) -> str | None:
    """Of a member's live linked candidates, the one its items go on: the first linked (lowest link id)."""
    return candidates[0] if candidates else None
