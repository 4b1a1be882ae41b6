"""A keyed record collection that keeps every write per key, so tests can prove ordering."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

from .restli import Key

_sequence = itertools.count(1)


@dataclass
class HistoryEntry:
    """One write as the simulator received it: the operation, when, and the record it left behind."""

    seq: int
    at: int
    op: str
    record: dict[str, Any] | None
    app: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "op": self.op, "record": self.record, "app": self.app}


@dataclass
class Collection:
    """Records of one resource by key, with the write history of each key (deleted keys keep theirs)."""

    name: str
    records: dict[Key, dict[str, Any]] = field(default_factory=dict)
    history: dict[Key, list[HistoryEntry]] = field(default_factory=dict)

    def _log(self, key: Key, at: int, op: str, record: dict[str, Any] | None, app: str | None) -> None:
        entry = HistoryEntry(next(_sequence), at, op, copy.deepcopy(record), app)
        self.history.setdefault(key, []).append(entry)

    def put(self, key: Key, record: dict[str, Any], at: int, op: str, app: str | None = None) -> None:
        self.records[key] = copy.deepcopy(record)
        self._log(key, at, op, record, app)

    def delete(self, key: Key, at: int, op: str, app: str | None = None) -> bool:
        existed = self.records.pop(key, None) is not None
        if existed:
            self._log(key, at, op, None, app)
        return existed

    def get(self, key: Key) -> dict[str, Any] | None:
        return self.records.get(key)

    def where(self, **fields: str) -> list[tuple[Key, dict[str, Any]]]:
        """Records whose key has every given field value."""
        out = []
        for key, record in self.records.items():
            values = dict(key)
            if all(values.get(k) == v for k, v in fields.items()):
                out.append((key, record))
        return out

    def clear(self) -> None:
        self.records.clear()
        self.history.clear()
