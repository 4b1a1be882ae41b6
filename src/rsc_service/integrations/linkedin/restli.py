"""Rest.li URNs, keys, batch ids and query tunnelling for LinkedIn URLs (protocols 1.0, 2.0). Pure; no I/O."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar
from urllib.parse import quote, unquote

Key = str | Mapping[str, str]
Query = list[tuple[str, str]]  # (name, value) pairs, both already percent-encoded
T = TypeVar("T")

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


class Protocol(StrEnum):
    """The value of `X-Restli-Protocol-Version`; 1.0 is what LinkedIn's RSC collection sends on /v2."""

    V1 = "1.0.0"
    V2 = "2.0.0"


def urn(entity_type: str, entity_id: str | int) -> str:
    return f"urn:li:{entity_type}:{entity_id}"


def urn_id(value: str, entity_type: str) -> str:
    prefix = f"urn:li:{entity_type}:"
    if not value.startswith(prefix) or len(value) == len(prefix):
        raise ValueError(f"{value!r} is not a urn:li:{entity_type} URN")
    return value[len(prefix) :]


def encode_value(value: str, protocol: Protocol = Protocol.V1) -> str:
    # Everything but RFC 3986 unreserved characters is escaped, which covers the 2.0
    # reserved set ( ) , : ' and the 1.0 key separators & = in one rule.
    if protocol is Protocol.V2 and value == "":
        return "''"  # Rest.li 2.0 spells the empty string as two quotes
    return quote(value, safe="")


def encode_key(key: Key, protocol: Protocol = Protocol.V1) -> str:
    """A key as it appears in a URL path and as a map key in request and response bodies."""
    if isinstance(key, str):
        return encode_value(key, protocol)
    fields = sorted(key.items())  # Rest.li's canonical form sorts fields by name
    if protocol is Protocol.V1:
        return "&".join(f"{quote(name, safe='')}={encode_value(value)}" for name, value in fields)
    inner = ",".join(
        f"{encode_value(name, protocol)}:{encode_value(value, protocol)}" for name, value in fields
    )
    return f"({inner})"


def body_key(key: Key, protocol: Protocol = Protocol.V1) -> str:
    """A key as a map key in a request body: compound keys encoded, simple ids as they are.

    LinkedIn's examples write simple ids verbatim (`{"entities": {"CAND_NOTE123": ...}}`), and a
    JSON string needs no escaping, so a server comparing them with the decoded `ids` finds them.
    """
    return key if isinstance(key, str) else encode_key(key, protocol)


def batch_ids(keys: Sequence[Key], protocol: Protocol = Protocol.V1) -> Query:
    """The `ids` query parameters of a batch call."""
    if protocol is Protocol.V2:
        return [("ids", f"List({','.join(encode_key(key, protocol) for key in keys)})")]
    query: Query = []
    for index, key in enumerate(keys):
        if isinstance(key, str):
            query.append(("ids", encode_value(key)))
        else:
            # Brackets stay raw as in LinkedIn's documentation; Rest.li servers accept both.
            query.extend(
                (f"ids[{index}].{quote(name, safe='')}", encode_value(value))
                for name, value in sorted(key.items())
            )
    return query


def param(name: str, value: str | int, protocol: Protocol = Protocol.V1) -> tuple[str, str]:
    return quote(name, safe=""), encode_value(str(value), protocol)


def list_param(name: str, values: Sequence[str], protocol: Protocol = Protocol.V1) -> Query:
    if protocol is Protocol.V2:
        return [
            (quote(name, safe=""), f"List({','.join(encode_value(value, protocol) for value in values)})")
        ]
    return [param(name, value) for value in values]


def record_param(name: str, fields: Mapping[str, str | int], protocol: Protocol = Protocol.V1) -> Query:
    if protocol is Protocol.V2:
        inner = ",".join(
            f"{encode_value(k, protocol)}:{encode_value(str(v), protocol)}" for k, v in fields.items()
        )
        return [(quote(name, safe=""), f"({inner})")]
    return [param(f"{name}.{field}", value) for field, value in fields.items()]


def query_string(query: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{name}={value}" for name, value in query)


def decode_key(text: str) -> str | dict[str, str]:
    """Parse a key from a response map or a path in either protocol; simple keys come back unescaped."""
    if text.startswith("(") and text.endswith(")"):
        parsed = _Parser(text).value()
        if not isinstance(parsed, dict):
            raise ValueError(f"not a Rest.li key: {text!r}")
        # /rest keys may carry an empty `$params:()` part that is not a key field.
        return {name: _as_str(value, text) for name, value in parsed.items() if name != "$params"}
    if "=" in text:
        fields: dict[str, str] = {}
        for part in text.split("&"):
            name, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"not a Rest.li key: {text!r}")
            fields[unquote(name)] = unquote(value)
        return fields
    return "" if text == "''" else unquote(text)


def _as_str(value: object, text: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"nested values are not key fields: {text!r}")
    return value


class KeyIndex(Generic[T]):
    """Finds which sent key a response map key names.

    Batch results are keyed by the encoded key, never returned in request order, and servers
    echo keys in either protocol with fields in any order, so keys are compared as parsed maps.
    """

    def __init__(self, items: Iterable[tuple[Key, T]]) -> None:
        self._by_identity: dict[Hashable, T] = {}
        for key, item in items:
            self._by_identity[_identity(key)] = item

    def find(self, text: str) -> T | None:
        if text in self._by_identity:  # a simple key echoed verbatim
            return self._by_identity[text]
        try:
            decoded = decode_key(text)
        except ValueError:
            return None
        return self._by_identity.get(_identity(decoded))


def _identity(key: Key) -> Hashable:
    return key if isinstance(key, str) else frozenset(key.items())


@dataclass(frozen=True)
class Tunnelled:
    """A request rewritten as Rest.li query tunnelling: a POST whose body carries the query."""

    method: str
    headers: dict[str, str]
    content: bytes


# LinkedIn answers 414 to a query string over 4 KB even when the whole URL is under its 8 KB limit
# (docs/linkedin.md#versions-and-protocol): 100 task URNs or 50 compound keys pass it.
QUERY_LIMIT = 4096


def exceeds(url: str, limit: int, *, query: str = "") -> bool:
    """Whether the request must be tunnelled: the URL over `limit` bytes, or its query over QUERY_LIMIT."""
    return len(url.encode()) > limit or len(query.encode()) > QUERY_LIMIT


def tunnel(
    method: str, query: str, *, body: bytes | None, boundary: str, body_type: str = "application/json"
) -> Tunnelled:
    """Move the query into the body; `multipart/mixed` (query part first) when there is a body too."""
    headers = {"X-HTTP-Method-Override": method.upper()}
    if body is None:
        headers["Content-Type"] = FORM_CONTENT_TYPE
        return Tunnelled("POST", headers, query.encode())
    headers["Content-Type"] = f"multipart/mixed; boundary={boundary}"
    parts = [
        f"--{boundary}\r\nContent-Type: {FORM_CONTENT_TYPE}\r\n\r\n".encode(),
        query.encode(),
        f"\r\n--{boundary}\r\nContent-Type: {body_type}\r\n\r\n".encode(),
        body,
        f"\r\n--{boundary}--\r\n".encode(),
    ]
    return Tunnelled("POST", headers, b"".join(parts))


class _Parser:
    """Recursive descent over Rest.li 2.0 data: `(k:v,...)`, `List(v,...)` and escaped atoms."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0

    def value(self) -> str | dict[str, object] | list[object]:
        parsed = self._value()
        if self._pos != len(self._text):
            raise ValueError(f"trailing characters in {self._text!r}")
        return parsed

    def _value(self) -> str | dict[str, object] | list[object]:
        if self._text.startswith("List(", self._pos):
            self._pos += len("List(")
            return self._items(self._value)
        if self._text.startswith("(", self._pos):
            self._pos += 1
            return dict(self._items(self._field))
        atom = self._atom()
        return "" if atom == "''" else unquote(atom)

    def _field(self) -> tuple[str, object]:
        name = unquote(self._atom())
        self._expect(":")
        return name, self._value()

    def _items(self, read: Callable[[], T]) -> list[T]:
        items: list[T] = []
        if self._peek() == ")":
            self._pos += 1
            return items
        while True:
            items.append(read())
            if self._peek() == ")":
                self._pos += 1
                return items
            self._expect(",")

    def _atom(self) -> str:
        start = self._pos
        while self._pos < len(self._text) and self._text[self._pos] not in "(),:":
            self._pos += 1
        return self._text[start : self._pos]

    def _peek(self) -> str:
        if self._pos >= len(self._text):
            raise ValueError(f"unterminated Rest.li value: {self._text!r}")
        return self._text[self._pos]

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            raise ValueError(f"expected {char!r} at {self._pos} in {self._text!r}")
        self._pos += 1
