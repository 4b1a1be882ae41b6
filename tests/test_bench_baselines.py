"""The ingest benchmark's leanest store: a batch is stored in one commit, or not at all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from bench.baselines import RawStore


def rows(*event_ids: str) -> list[dict[str, str]]:
    return [{"event_id": event_id, "event_type": "candidate.created", "body": "{}"} for event_id in event_ids]


def stored(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [event_id for (event_id,) in db.execute("SELECT event_id FROM bare_events ORDER BY id")]


async def test_a_batch_is_committed_and_read_back_by_another_connection(tmp_path: Path) -> None:
    store = RawStore(str(tmp_path / "raw.db"))

    await store.write(rows("evt_1", "evt_2", "evt_3"))

    assert stored(tmp_path / "raw.db") == ["evt_1", "evt_2", "evt_3"]


async def test_a_batch_with_a_duplicate_stores_none_of_its_rows(tmp_path: Path) -> None:
    store = RawStore(str(tmp_path / "raw.db"))
    await store.write(rows("evt_1"))

    with pytest.raises(sqlite3.IntegrityError):
        await store.write(rows("evt_2", "evt_1"))
    await store.write(rows("evt_3"))

    assert stored(tmp_path / "raw.db") == ["evt_1", "evt_3"]
