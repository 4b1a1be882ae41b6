"""The simulator's own Rest.li parsing: query strings, compound keys (protocol 1.0 and 2.0), key rendering."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, unquote_plus

from .errors import RestliError

Key = tuple[tuple[str, str], ...]
"""A compound key as sorted (field, value) pairs, so field order never matters."""

PROTOCOL_1 = "1.0.0"
PROTOCOL_2 = "2.0.0"
# Rest.li parses a call in one protocol, named by X-RestLi-Protocol-Version (docs/linkedin.md#keys): a form
# of the other protocol is not a key, a list or a record there, so it is refused, never guessed.
V1_ONLY = "is Rest.li protocol 1.0 syntax, but the call is protocol 2.0 (X-RestLi-Protocol-Version: 2.0.0)"
V2_ONLY = "is Rest.li protocol 2.0 syntax, but the call is protocol 1.0 (no X-RestLi-Protocol-Version: 2.0.0)"


def make_key(fields: Mapping[str, str]) -> Key:
    return tuple(sorted(fields.items()))


@dataclass(frozen=True)
class Query:
    """Raw query pairs (names decoded, values kept raw) of a call in one Rest.li protocol."""

    pairs: tuple[tuple[str, str], ...]
    protocol: str

    @classmethod
    def parse(cls, raw: str, protocol: str) -> Query:
        pairs: list[tuple[str, str]] = []
        for part in raw.split("&"):
            if not part:
                continue
            name, _, value = part.partition("=")
            pairs.append((unquote_plus(name), value))
        return cls(tuple(pairs), protocol)

    @property
    def v2(self) -> bool:
        return self.protocol == PROTOCOL_2

    def raw_values(self, name: str) -> list[str]:
        return [v for n, v in self.pairs if n == name]

    def get(self, name: str) -> str | None:
        """One decoded scalar; a 2.0 `List(a)` of one element is unwrapped."""
        values = self.values(name)
        return values[0] if values else None

    def values(self, name: str) -> list[str]:
        """Every decoded value of a repeated (1.0) or `List(...)` (2.0) parameter."""
        out: list[str] = []
        for raw in self.raw_values(name):
            if not raw.startswith("List("):
                out.append(unquote_plus(raw))
                continue
            if not self.v2:
                raise RestliError(400, f"Invalid value of parameter {name}: List(...) {V2_ONLY}")
            parsed = parse_v2(raw)
            if not isinstance(parsed, list):
                raise RestliError(400, f"Invalid list value for parameter {name}")
            out.extend(item for item in parsed if isinstance(item, str))
        return out

    def record(self, name: str) -> dict[str, str]:
        """A record parameter: 1.0 dotted names (`timeRange.start=`), 2.0 `(start:..,end:..)`."""
        prefix = name + "."
        dotted = {n[len(prefix) :]: unquote_plus(v) for n, v in self.pairs if n.startswith(prefix)}
        if not self.v2:
            if any(raw.startswith("(") for raw in self.raw_values(name)):
                raise RestliError(400, f"Invalid value of parameter {name}: (field:value) {V2_ONLY}")
            return dotted
        if dotted:
            raise RestliError(400, f"Invalid parameter {prefix}*: dotted record fields {V1_ONLY}")
        fields: dict[str, str] = {}
        for raw in self.raw_values(name):
            parsed = parse_v2(raw)
            if isinstance(parsed, dict):
                fields.update({k: v for k, v in parsed.items() if isinstance(v, str)})
        return fields

    def batch_ids(self, compound: bool) -> list[Key | str]:
        """The `ids` of a batch call in the call's protocol, in request order."""
        return self._ids_v2(compound) if self.v2 else self._ids_v1(compound)

    def _ids_v1(self, compound: bool) -> list[Key | str]:
        """`ids[0].field=` compound keys, repeated `ids=` simple ones (docs/linkedin.md#keys)."""
        grouped: dict[int, dict[str, str]] = {}
        order: list[Key | str] = []
        for name, value in self.pairs:
            if name.startswith("ids[") and "]." in name:
                index_text, _, field = name[4:].partition("].")
                try:
                    index = int(index_text)
                except ValueError as exc:
                    raise RestliError(400, f"Invalid batch key parameter {name}") from exc
                grouped.setdefault(index, {})[field] = unquote_plus(value)
        for index in sorted(grouped):
            order.append(make_key(grouped[index]))
        for raw in self.raw_values("ids"):
            if raw.startswith("List("):
                raise RestliError(400, f"Invalid ids parameter: List(...) {V2_ONLY}")
            order.append(parse_key(unquote_plus(raw), PROTOCOL_1) if compound else unquote_plus(raw))
        return order

    def _ids_v2(self, compound: bool) -> list[Key | str]:
        """`ids=List(...)`, of `(field:value)` compound keys or simple ones (docs/linkedin.md#keys)."""
        if any(name.startswith("ids[") for name, _ in self.pairs):
            raise RestliError(400, f"Invalid ids parameter: ids[i].field= {V1_ONLY}")
        order: list[Key | str] = []
        for raw in self.raw_values("ids"):
            if not raw.startswith("List("):
                raise RestliError(
                    400, f"Invalid ids parameter: protocol 2.0 batch ids are ids=List(...), not {raw}"
                )
            parsed = parse_v2(raw)
            if not isinstance(parsed, list):
                raise RestliError(400, "Invalid ids parameter")
            for item in parsed:
                order.append(_as_key(item) if compound else _as_simple(item))
        return order


def _as_key(item: object) -> Key:
    if isinstance(item, dict):
        # /rest keys may carry an empty `$params:()` part; it holds no key field.
        fields = {k: v for k, v in item.items() if not k.startswith("$")}
        if all(isinstance(v, str) for v in fields.values()):
            return make_key({k: v for k, v in fields.items() if isinstance(v, str)})
    raise RestliError(400, "Invalid compound key in ids")


def _as_simple(item: object) -> str:
    if isinstance(item, str):
        return item
    raise RestliError(400, "Invalid simple key in ids")


def parse_key(text: str, protocol: str | None) -> Key:
    """A compound key string in `protocol`: 1.0 `a=1&b=2` (values raw or percent-encoded) or 2.0 `(a:1,b:2)`;
    None takes either (the `/_sim` controls, which are not Rest.li)."""
    v2_form = text.startswith("(") or text.startswith("%28")
    if protocol == PROTOCOL_1 and v2_form:
        raise RestliError(400, f"Invalid key {text}: (field:value) {V2_ONLY}")
    if protocol == PROTOCOL_2 and not v2_form:
        raise RestliError(400, f"Invalid key {text}: field=value&... {V1_ONLY}")
    if v2_form:
        parsed = parse_v2(text if text.startswith("(") else unquote(text))
        if not isinstance(parsed, dict):
            raise RestliError(400, f"Invalid key {text}")
        # /rest keys may carry an empty `$params:()` part; it holds no key field.
        return make_key({k: v for k, v in parsed.items() if isinstance(v, str) and not k.startswith("$")})
    if "=" not in text:
        text = unquote(text)
    fields: dict[str, str] = {}
    for part in text.split("&"):
        name, sep, value = part.partition("=")
        if not sep or not name:
            raise RestliError(400, f"Invalid key {text}")
        fields[unquote(name)] = unquote(value)
    return make_key(fields)


def parse_path_key(raw_segment: str, protocol: str) -> Key:
    return parse_key(raw_segment, protocol)


V2Value = str | list["V2Value"] | dict[str, "V2Value"]


def parse_v2(text: str) -> V2Value:
    """Parse a Rest.li 2.0 literal: `List(...)`, `(k:v,...)` or a percent-encoded scalar."""
    parser = _V2Parser(text)
    try:
        value = parser.value()
    except RecursionError:
        # Nesting no key or parameter needs: a 400 like any other malformed value, never a crash.
        raise RestliError(
            400, f"Invalid Rest.li 2.0 value: nested too deeply ({len(text)} characters)"
        ) from None
    if parser.pos != len(text):
        raise RestliError(400, f"Invalid Rest.li 2.0 value {text}")
    return value


class _V2Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _peek(self, literal: str) -> bool:
        return self.text.startswith(literal, self.pos)

    def _expect(self, literal: str) -> None:
        if not self._peek(literal):
            raise RestliError(400, f"Invalid Rest.li 2.0 value {self.text}")
        self.pos += len(literal)

    def value(self) -> V2Value:
        if self._peek("List("):
            self.pos += 5
            items: list[V2Value] = []
            while not self._peek(")"):
                items.append(self.value())
                if not self._peek(")"):
                    self._expect(",")
            self._expect(")")
            return items
        if self._peek("("):
            self.pos += 1
            fields: dict[str, V2Value] = {}
            while not self._peek(")"):
                name = self.scalar()
                self._expect(":")
                fields[name] = self.value()
                if not self._peek(")"):
                    self._expect(",")
            self._expect(")")
            return fields
        return self.scalar()

    def scalar(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ",():":
            self.pos += 1
        raw = self.text[start : self.pos]
        return "" if raw == "''" else unquote(raw)


def _encode_v2(value: str) -> str:
    return quote(value, safe="") if value else "''"


def render_key(key: Key | str, protocol: str) -> str:
    """The response form of a key: Rest.li's canonical form (sorted fields, encoded values)."""
    if isinstance(key, str):
        return key
    if protocol == PROTOCOL_2:
        return "(" + ",".join(f"{k}:{_encode_v2(v)}" for k, v in key) + ")"
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in key)
