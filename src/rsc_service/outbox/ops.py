"""The outbox's vocabulary: operations, states and the intent a feature hands to enqueue(). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# The one resource LinkedIn closes rather than deletes, and whose writes land only when their task succeeds.
JOB_POSTINGS = "simpleJobPostings"


class Op(StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"
    CLOSE = "close"  # jobs are closed on LinkedIn, never deleted (docs/architecture.md#6-jobs)


class State(StrEnum):
    PENDING = "pending"
    INFLIGHT = "inflight"
    AWAITING_TASK = "awaiting_task"
    DONE = "done"
    DEAD = "dead"


@dataclass(frozen=True)
class Intent:
    """One LinkedIn record the service owes: what to send for (resource, key), and what must land first."""

    resource: str
    key: str
    op: Op
    payload: dict[str, Any] | None
    path_parent: str | None = None
    depends_on: tuple[str, ...] = field(default_factory=tuple)  # "resource:key" of records that land first
    # Why LinkedIn would refuse this record as built (a required field the ATS lacks): it is owed as a dead
    # letter at once, with this reason, instead of being sent.
    refused: str | None = None


# A record that moved to another parent (a note attached to another application) may still be held by
# LinkedIn under its old one: that copy is deleted through a row of its own, keyed by the record's key and the
# old parent joined by this separator, which no ATS id holds (docs/architecture.md#8-deleting).
_LEFT = "\x1f"


def left_key(key: str, parent: str) -> str:
    """The key of the row deleting the copy of `key` left under `parent`."""
    return f"{key}{_LEFT}{parent}"


def own_key(key: str) -> str:
    """The record's key as LinkedIn knows it, for a row's key (the same key but for a copy left behind)."""
    return key.partition(_LEFT)[0]
