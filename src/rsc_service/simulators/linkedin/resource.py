"""How one synced collection behaves: its key, schema, validation, throttle group, cascades and finders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .call import Call
from .restli import Key, make_key
from .schemas import Record, required_message
from .world import World

Validator = Callable[[dict[str, Any]], list[str]]
Finder = Callable[[Call], list[dict[str, Any]]]


@dataclass
class Resource:
    """How one collection behaves: its key, schema, validation, throttle group, cascades and finders."""

    name: str
    key_fields: tuple[str, ...]
    child_field: str | None = None  # sub-collections: the field that holds the simple id
    # The Rest.li schema of a written entity, in the names on the wire.
    schema: Record = field(kw_only=True)
    validate: Validator = lambda record: []
    group: str | None = "sync"
    gated: bool = True
    # Synced records are keyed by the customer's organization; only integrations (CSA_API) and the
    # configurations under them may name a contract (docs/linkedin.md#keys).
    organization_only: bool = True
    partial_creates: bool = False
    cascade: Callable[[World, Key, int, str], None] | None = None
    decorate: Callable[[World, Key, dict[str, Any]], dict[str, Any]] | None = None
    after_write: Callable[[Call, Key, dict[str, Any]], list[str]] | None = None
    finders: dict[str, Finder] = field(default_factory=dict)
    parent: str | None = None  # collection holding the parent record of a sub-collection
    child_key: str | None = None  # the key field that names a child when the wire key is compound
    # Versioned /rest twins rename key and record fields and drop dataProvider; stored records keep /v2 names.
    wire_keys: dict[str, str] = field(default_factory=dict)
    wire_constants: dict[str, str] = field(default_factory=dict)
    wire_fields: dict[str, str] = field(default_factory=dict)

    def context(self, key: Key) -> str | None:
        return dict(key).get("integrationContext")

    def internal_key(self, key: Key) -> Key:
        if not self.wire_keys and not self.wire_constants:
            return key
        return make_key({self.wire_keys.get(k, k): v for k, v in key} | self.wire_constants)

    def wire_key(self, key: Key) -> Key:
        back = {v: k for k, v in self.wire_keys.items()}
        return make_key({back.get(k, k): v for k, v in key if k not in self.wire_constants})

    def record_in(self, record: Any) -> Any:
        if not self.wire_fields or not isinstance(record, dict):
            return record
        return {self.wire_fields.get(k, k): v for k, v in record.items()}

    def record_out(self, record: dict[str, Any]) -> dict[str, Any]:
        back = {v: k for k, v in self.wire_fields.items()}
        return {back.get(k, k): v for k, v in record.items()}


def missing(record: dict[str, Any], *names: str) -> list[str]:
    return [required_message(f"/{n}") for n in names if record.get(n) is None]
