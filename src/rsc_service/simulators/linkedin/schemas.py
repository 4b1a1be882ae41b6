"""The Rest.li schemas of what partners write: per resource, the fields docs/linkedin.md documents.

Rest.li checks a body against its schema before LinkedIn's own rules run (docs/linkedin.md#values), so a
field the schema lacks, a null where a value is required, a missing required field, a wrong enum symbol or a
time that is not epoch milliseconds is refused with an `ERROR :: /path :: reason` message, and LinkedIn's
rules (validation.py) only see bodies that passed. Types are checked as Rest.li checks them: a string field
takes only a string, a boolean only true or false, a person URN only `urn:li:person:{id}`, a URL only an
absolute http(s) URL, a union exactly one of its members, and a record's required fields must be there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

TEXT = "text"  # a Rest.li string
BOOLEAN = "boolean"  # a Rest.li boolean: true or false, never "true"
PERSON_URN = "personUrn"  # a member: urn:li:person:{id}
ORGANIZATION_URN = "organizationUrn"  # a customer: urn:li:organization:{id}
TIME = "time"  # epoch milliseconds, a Rest.li long
URL = "url"  # a string holding an absolute http or https URL (docs/linkedin.md#candidates, #jobs)


@dataclass(frozen=True)
class Record:
    fields: dict[str, Spec]
    required: frozenset[str] = frozenset()

    def renamed(self, wire: dict[str, str], **extra: Spec) -> Record:
        """The same record under versioned `/rest` names; `wire` maps wire names to these names."""
        back = {internal: name for name, internal in wire.items()}
        return Record(
            {back.get(n, n): spec for n, spec in self.fields.items()} | extra,
            frozenset(back.get(n, n) for n in self.required),
        )


@dataclass(frozen=True)
class Array:
    items: Spec


@dataclass(frozen=True)
class Enum:
    symbols: frozenset[str]


@dataclass(frozen=True)
class Union:
    """A Rest.li union: a map of exactly one member, named by its type (`{"string": "…"}`)."""

    members: dict[str, Spec]

    @property
    def names(self) -> str:
        return json.dumps(sorted(self.members))


Spec = str | Record | Array | Enum | Union


@dataclass(frozen=True)
class Times:
    """Which integers a time takes as epoch milliseconds (docs/linkedin.md#values): below `min_ms` it reads as
    seconds, above `max_ms` as microseconds; None leaves that side open. Zero and negative times are left to
    LinkedIn's own "> 0" rule (validation.py)."""

    min_ms: int | None
    max_ms: int | None

    def reason(self, value: int) -> str | None:
        """Why `value` is not an epoch time in milliseconds, or None when it is one."""
        if self.min_ms is not None and 0 < value < self.min_ms:
            return f"{value} is not an epoch time in milliseconds (in seconds?)"
        if self.max_ms is not None and value > self.max_ms:
            return (
                f"{value} is not an epoch time in milliseconds (later than {self.max_ms}: in microseconds?)"
            )
        return None


def _fields(*texts: str, **typed: Spec) -> dict[str, Spec]:
    """Fields by name: `texts` are strings, `typed` the others."""
    return dict.fromkeys(texts, TEXT) | typed


PERSON_URN_FORM = re.compile(r"^urn:li:person:[^\s:]+$")
ORGANIZATION_URN_FORM = re.compile(r"^urn:li:organization:[^\s:]+$")

# docs/linkedin.md#candidates
ADDRESS = Record(_fields("line1", "city", "geographicArea", "geographicAreaType", "postalCode", "country"))
PHONE_NUMBER = Record(_fields("number", "extension"), frozenset({"number"}))
CANDIDATE = Record(
    _fields(
        "firstName",
        "lastName",
        "currentCompanyName",
        "currentJobTitle",
        "middleInitial",
        "prefix",
        "suffix",
        externalProfileUrl=URL,
        linkedInProfileUrl=URL,
        atsCreatedAt=TIME,
        atsLastModifiedAt=TIME,
        emailAddresses=Array(TEXT),
        phoneNumbers=Array(PHONE_NUMBER),
        addresses=Array(ADDRESS),
        doNotContact=BOOLEAN,
        manualMatchedMember=PERSON_URN,
    ),
    frozenset({"atsCreatedAt", "atsLastModifiedAt", "firstName", "addresses", "phoneNumbers"}),
)
# docs/linkedin.md#applications
APPLICATION = Record(
    _fields(
        "atsJobPostingId",
        "atsJobPostingName",
        "firstName",
        "lastName",
        "candidateEmail",
        "atsCandidateId",
        "source",
        "dispositionReason",
        atsCreatedAt=TIME,
        atsLastModifiedAt=TIME,
    ),
    frozenset({"atsCreatedAt", "atsLastModifiedAt", "atsJobPostingId", "atsJobPostingName"}),
)
STAGE = Record(_fields("stage", atsCreatedAt=TIME), frozenset({"atsCreatedAt", "stage"}))
# docs/linkedin.md#notes-and-feedback: an Actor is optional, but both names are required when it is there.
ACTOR = Record(_fields("firstName", "lastName"), frozenset({"firstName", "lastName"}))
NOTE = Record(_fields("note", atsCreatedAt=TIME, author=ACTOR))
INTERVIEW_FEEDBACK = Record(
    _fields(
        "interviewType",
        "feedback",
        atsCreatedAt=TIME,
        interviewer=ACTOR,
        evaluations=Array(Record(_fields("attribute", "result"))),
    )
)
# docs/linkedin.md#job-acls: the entity is an empty object, everything lives in the key.
KEY_ONLY = Record({})
# docs/linkedin.md#integrations-and-configurations
INTEGRATION = Record(_fields("integrationName"))
# Every documented configuration holds a string: the union's only member LinkedIn shows.
CONFIGURATION = Record(_fields(configurationValue=Union({"string": TEXT})), frozenset({"configurationValue"}))
# docs/linkedin.md#jobs
OPERATIONS = frozenset({"CREATE", "UPDATE", "RENEW", "CLOSE"})
LISTING_TYPES = frozenset({"BASIC", "PREMIUM"})
# A job's integrationContext is the customer's organization, never a contract (docs/linkedin.md#jobs).
JOB = Record(
    _fields(
        "externalJobPostingId",
        "title",
        "description",
        "location",
        "countryCode",
        "postalCode",
        "state",
        "availability",
        integrationContext=ORGANIZATION_URN,
        companyApplyUrl=URL,
        listedAt=TIME,
        jobPostingOperationType=Enum(OPERATIONS),
        listingType=Enum(LISTING_TYPES),
    ),
    frozenset(
        {
            "integrationContext",
            "externalJobPostingId",
            "title",
            "description",
            "state",
            "companyApplyUrl",
            "listedAt",
            "availability",
        }
    ),
)
# docs/linkedin.md#provisioning
APPLICATION_CREATE = Record(
    _fields(
        "uniqueForeignId",
        "name",
        "description",
        validJsSdkDomains=Array(TEXT),
        oauth2AuthorizedCallbackUrls=Array(URL),
    ),
    frozenset({"uniqueForeignId", "name"}),
)


def utf16_length(text: str) -> int:
    """A string's length as LinkedIn (Java) counts it: UTF-16 code units, so a character outside the Basic
    Multilingual Plane (most emoji) counts 2 (docs/linkedin.md#values). A lone surrogate counts 1."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def error(path: str, reason: str) -> str:
    return f"ERROR :: {path} :: {reason}"


def required_message(path: str) -> str:
    return error(path, "field is required but not found and has no default value")


def check(
    value: dict[str, Any], schema: Record, times: Times, *, partial: bool = False, path: str = ""
) -> list[str]:
    """Rest.li's problems with one record; `partial` (a patch's `$set`) skips the absent required fields."""
    problems = []
    for name, item in value.items():
        where = f"{path}/{name}"
        spec = schema.fields.get(name)
        if spec is None:
            problems.append(error(where, "unrecognized field found but not allowed"))
        elif item is None:
            # docs/linkedin.md#values: a null in a required field is refused (optional nulls: not published).
            if name in schema.required:
                problems.append(error(where, "null is not allowed: the field is required"))
        else:
            problems += check_value(item, spec, where, times)
    if not partial:
        problems += [required_message(f"{path}/{n}") for n in sorted(schema.required - set(value))]
    return problems


def check_value(item: Any, spec: Spec, where: str, times: Times) -> list[str]:
    """Rest.li's problems with one value of type `spec` at `where`."""
    if isinstance(spec, Record):
        if not isinstance(item, dict):
            return [error(where, f"{item!r} is not a record")]
        return check(item, spec, times, path=where)
    if isinstance(spec, Array):
        if not isinstance(item, list):
            return [error(where, f"{item!r} is not an array")]
        problems = []
        for index, element in enumerate(item):
            problems += check_value(element, spec.items, f"{where}/{index}", times)
        return problems
    if isinstance(spec, Enum):
        # A symbol is a string: any other JSON value (a list, an object) is refused as not one, never
        # looked up (it may not even be hashable).
        if not isinstance(item, str) or item not in spec.symbols:
            return [error(where, f"{json.dumps(item)} is not an enum symbol")]
        return []
    if isinstance(spec, Union):
        return _check_union(item, spec, where, times)
    if spec == TIME:
        return _check_time(item, where, times)
    return _check_primitive(item, spec, where)


def _check_union(item: Any, spec: Union, where: str, times: Times) -> list[str]:
    if not isinstance(item, dict):
        return [
            error(where, f"{json.dumps(item)} is not a union: it holds exactly one member of {spec.names}")
        ]
    if len(item) != 1:
        return [error(where, f"a union holds exactly one member of {spec.names}, not {len(item)}")]
    ((member, value),) = item.items()
    if member not in spec.members:
        return [error(where, f'"{member}" is not a member type of union {spec.names}')]
    return check_value(value, spec.members[member], f"{where}/{member}", times)


def _check_primitive(item: Any, spec: Spec, where: str) -> list[str]:
    """A string, boolean, URN or URL field: Rest.li coerces nothing into them (a number is not a string)."""
    shown = json.dumps(item)
    if spec == BOOLEAN:
        return [] if isinstance(item, bool) else [error(where, f"{shown} cannot be coerced to Boolean")]
    if spec in (TEXT, PERSON_URN, ORGANIZATION_URN, URL) and not isinstance(item, str):
        return [error(where, f"{shown} cannot be coerced to String")]
    if spec == PERSON_URN and not PERSON_URN_FORM.match(item):
        return [error(where, f"{shown} is not a person URN (urn:li:person:{{id}})")]
    if spec == ORGANIZATION_URN and not ORGANIZATION_URN_FORM.match(item):
        return [error(where, f"{shown} is not an organization URN (urn:li:organization:{{id}})")]
    if spec == URL and not is_web_url(item):
        return [error(where, f"{shown} is not an absolute http(s) URL")]
    return []


def is_web_url(text: str) -> bool:
    """An absolute http or https URL with a host, and no blank or control character anywhere in it."""
    if any(c.isspace() or not c.isprintable() for c in text):
        return False
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check_time(item: Any, where: str, times: Times) -> list[str]:
    # docs/linkedin.md#values: times are integers in epoch milliseconds; a non-integer is a type error.
    if not isinstance(item, int) or isinstance(item, bool):
        return [error(where, f"{item!r} is not an epoch time in milliseconds (a long)")]
    reason = times.reason(item)
    return [error(where, reason)] if reason else []
