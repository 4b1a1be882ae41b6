"""One kind's records in the fake ATS, kept in change order so cursor pages never skip a change."""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]


class BadCursor(ValueError):
    """A cursor this API did not issue."""


def encode_cursor(seq: int) -> str:
    return "c_" + base64.urlsafe_b64encode(str(seq).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    if not cursor.startswith("c_"):
        raise BadCursor(cursor)
    encoded = cursor[2:]
    try:
        return int(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadCursor(cursor) from None


@dataclass
class Store:
    """Records by id plus an append-only change log of (seq, id); a record's live entry is its newest."""

    records: dict[str, Record] = field(default_factory=dict)
    _log_seqs: list[int] = field(default_factory=list)
    _log_ids: list[str] = field(default_factory=list)
    _seq_of: dict[str, int] = field(default_factory=dict)

    def put(self, record: Record, seq: int) -> None:
        record_id = record["id"]
        self.records[record_id] = record
        self._seq_of[record_id] = seq
        self._log_seqs.append(seq)
        self._log_ids.append(record_id)

    def live(self) -> Iterator[Record]:
        return (record for record in self.records.values() if "deleted_at" not in record)

    def page(
        self,
        *,
        after: int,
        limit: int,
        keep: Callable[[Record], bool],
    ) -> tuple[list[Record], int | None]:
        """Up to `limit` records changed after seq `after`, oldest change first, and the next cursor's seq."""
        found: list[Record] = []
        last_seq = after
        start = bisect_right(self._log_seqs, after)
        for position in range(start, len(self._log_seqs)):
            seq, record_id = self._log_seqs[position], self._log_ids[position]
            if self._seq_of[record_id] != seq:
                continue  # superseded by a later change of the same record
            record = self.records[record_id]
            if not keep(record):
                continue
            if len(found) == limit:
                return found, last_seq
            found.append(record)
            last_seq = seq
        return found, None
