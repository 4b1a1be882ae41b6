"""Pure rules of the outbox: send order, batches, dependencies, backoff and when to give up."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State

MAX_BATCH = 100  # LinkedIn's limit per batch call (docs/linkedin.md#throttles)


def ref(resource: str, key: str) -> str:
    return f"{resource}:{key}"


def tier(row: OutboxMessage, order: Callable[[str], int]) -> int:
    """Parents before children when writing, children before parents when deleting
    (docs/architecture.md#8-deleting)."""
    rank = order(row.resource)
    return rank if row.op is not Op.DELETE else 10 - rank


def satisfied(row: OutboxMessage, dependency: OutboxMessage | None) -> bool:
    """Whether `dependency` has landed as `row` needs: written for a write; for a delete, its newest intent
    done: deleted, or written again elsewhere (a child moved to another parent, as when the ATS merges
    candidates), so that LinkedIn's copy no longer hangs from the parent being deleted."""
    if dependency is None:
        return False
    if row.op is Op.DELETE:
        return dependency.state is State.DONE
    # A parent whose newest intent is its deletion is not there to hold a child, whatever landed before.
    return dependency.op is not Op.DELETE and dependency.landed_at is not None


def _deleted(row: OutboxMessage) -> bool:
    return row.op is Op.DELETE and row.state is State.DONE


def dead_dependency(
    row: OutboxMessage, known: Mapping[tuple[uuid.UUID, str, str], OutboxMessage]
) -> OutboxMessage | None:
    """A dependency of `row` that is a dead letter: until it is sent again, `row` could only wait."""
    for dependency in row.depends_on:
        resource, _, key = dependency.partition(":")
        found = known.get((row.tenant_id, resource, key))
        if found is not None and found.state is State.DEAD:
            return found
    return None


def awaited(
    row: OutboxMessage,
    known: Mapping[tuple[uuid.UUID, str, str], OutboxMessage],
    landed: Callable[[OutboxMessage, str], bool],
) -> tuple[str, bool]:
    """What `row`, which cannot go yet, waits for ("resource:key"), and whether the service has received it:
    the first dependency the outbox holds no row for (its record never arrived: a lost webhook) or whose
    newest intent, its deletion, is done (it is gone, and only its re-creation, which may never arrive, can
    hold `row`), else the first that has not landed."""
    for dependency in row.depends_on:
        resource, _, key = dependency.partition(":")
        found = known.get((row.tenant_id, resource, key))
        if found is None or (row.op is not Op.DELETE and _deleted(found)):
            return dependency, False
    for dependency in row.depends_on:
        if not landed(row, dependency):
            return dependency, True
    return "a record it depends on", True


def sendable(
    rows: Sequence[OutboxMessage], landed: Callable[[OutboxMessage, str], bool]
) -> set[tuple[object, str]]:
    """(tenant, ref) of the rows whose every dependency has landed or is itself sendable among `rows`.

    A row that must wait holds back its dependants too: a child goes with its parent in the same claim (the
    parent's tier is sent first), never merely because the parent was due.
    """
    by_ref: dict[tuple[object, str], OutboxMessage] = {
        (row.tenant_id, ref(row.resource, row.key)): row for row in rows
    }
    chosen = set(by_ref)
    changed = True
    while changed:  # dependency chains are a few records deep, so this settles in a few passes
        changed = False
        for key, row in by_ref.items():
            if key in chosen and not all(
                (row.tenant_id, dependency) in chosen or landed(row, dependency)
                for dependency in row.depends_on
            ):
                chosen.discard(key)
                changed = True
    return chosen


def batches(
    rows: Iterable[OutboxMessage],
    *,
    size: int = MAX_BATCH,
    parent_in_url: Callable[[str], bool] = lambda _: True,
) -> list[list[OutboxMessage]]:
    """Rows grouped by (tenant, resource, parent in the URL, write or delete), at most `size` each. Rows of a
    resource whose parent is not in its URL (a job's ACLs) share batches whatever their parents."""
    groups: dict[tuple[object, str, str | None, bool], list[OutboxMessage]] = defaultdict(list)
    for row in rows:
        parent = row.path_parent if parent_in_url(row.resource) else None
        groups[(row.tenant_id, row.resource, parent, row.op is Op.DELETE)].append(row)
    return [group[start : start + size] for group in groups.values() for start in range(0, len(group), size)]


def task_poll_after(age: timedelta, *, base: timedelta, cap: timedelta = timedelta(minutes=5)) -> timedelta:
    """When to ask again after a job-posting task that is still in progress: soon for a young task, then
    half its age, at most every `cap` (LinkedIn takes up to five minutes; asking stays well inside the
    300,000 task reads a day, docs/linkedin.md#jobs)."""
    return min(cap, max(base, age / 2))


@dataclass(frozen=True)
class Backoff:
    """When to try again after a transient failure, and when to give up: by time, never by a count alone
    (docs/architecture.md#11-retries-and-dead-letters)."""

    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=15)
    give_up_after: timedelta = timedelta(hours=24)

    def next_attempt_at(self, attempts: int, *, now: datetime, rng: random.Random) -> datetime:
        # Full jitter: replicas retrying the same outage do not come back in step. The exponent stops growing
        # long before the cap is reached, so a day of retries never overflows.
        ceiling = min(self.cap, self.base * 2 ** min(max(attempts - 1, 0), 20))
        jittered: timedelta = ceiling * (0.5 + rng.random() / 2)
        return now + jittered

    def exhausted(self, failing_since: datetime | None, *, now: datetime) -> bool:
        return failing_since is not None and now - failing_since >= self.give_up_after
