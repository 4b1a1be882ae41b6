"""Pure rules of the outbox: send order, batches, dependencies, backoff and when to give up."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
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
    """Whether `dependency` has landed as `row` needs: written for a write, deleted for a delete."""
    if dependency is None:
        return False
    if row.op is Op.DELETE:
        return dependency.op is Op.DELETE and dependency.state is State.DONE
    # A parent whose newest intent is its deletion is not there to hold a child, whatever landed before.
    return dependency.op is not Op.DELETE and dependency.landed_at is not None


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


def batches(rows: Iterable[OutboxMessage], *, size: int = MAX_BATCH) -> list[list[OutboxMessage]]:
    """Rows grouped by (tenant, resource, parent in the URL, write or delete), at most `size` each."""
    groups: dict[tuple[object, str, str | None, bool], list[OutboxMessage]] = defaultdict(list)
    for row in rows:
        groups[(row.tenant_id, row.resource, row.path_parent, row.op is Op.DELETE)].append(row)
    return [group[start : start + size] for group in groups.values() for start in range(0, len(group), size)]


def fair_share(rows: Sequence[OutboxMessage], *, per_tenant: int) -> list[OutboxMessage]:
    """At most `per_tenant` rows of each tenant, in the given (due-time) order: no tenant starves the rest."""
    taken: dict[object, int] = defaultdict(int)
    chosen = []
    for row in rows:
        if taken[row.tenant_id] < per_tenant:
            taken[row.tenant_id] += 1
            chosen.append(row)
    return chosen


@dataclass(frozen=True)
class Backoff:
    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=15)
    max_attempts: int = 12  # about a day of retries before a transient failure becomes a dead letter

    def next_attempt_at(self, attempts: int, *, now: datetime, rng: random.Random) -> datetime:
        # Full jitter: replicas retrying the same outage do not come back in step.
        ceiling = min(self.cap, self.base * int(2 ** max(attempts - 1, 0)))
        jittered: timedelta = ceiling * (0.5 + rng.random() / 2)
        return now + jittered

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
