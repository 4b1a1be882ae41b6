"""The initial sync's saved progress and what it adds up to (PRODUCT A4): per kind the records walked, the
LinkedIn records owed for them, landed and dead, and an ETA from what remains and LinkedIn's budgets.

Rows of `setup_progress` (task `initial_sync`): one per kind of the walk — `cursor` is the walk's position
(initial_sync_walk.Position as JSON), `done` the records walked (it never goes down), `total` set once the
kind is walked to the end — and one of kind `email`, whose `cursor` holds the idempotency key of the
activation email from before it is sent and whose `finished` says the email went out.

Each record is counted once per walk: the ATS lists a record that changes while the walk pages again at the
end (docs/onboarding.md#initial-sync), and a job that closes meanwhile is listed by both phases. So the walk
notes the records of each page it commits (`initial_sync_walked`, in the page's transaction) and counts only
those not noted before — one statement per page on the table's unique index. A kind's notes go once it is
walked to the end; a new sync starts without any.

The ETA is "by API": the rows still owed, as LinkedIn records against the per-minute record budget and as
requests (a batch of at most 100 per top-level resource, one per parent for a sub-collection) against the
requests left today and the daily budget after that. While a kind is still being walked its total is not
known (the ATS's lists carry no count), so the ETA covers what has been walked (`eta_partial`).
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db.session import insert_for
from rsc_service.integrations.linkedin.throttle import Group
from rsc_service.mirror.changes import MAX_ID, text_problems
from rsc_service.onboarding.initial_sync_walk import KINDS, TASK, Position
from rsc_service.onboarding.models import SetupProgress, WalkedRecord
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox import tenant_rows
from rsc_service.outbox.ops import State
from rsc_service.push.registry import RESOURCES, Registry
from rsc_service.settings import LinkedInSettings
from rsc_service.throttle import service as throttle

EMAIL: Final = "email"
_OWED: Final = (State.PENDING, State.INFLIGHT, State.AWAITING_TASK)
_BATCH: Final = 100


# ---- the saved rows ----


async def rows(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, SetupProgress]:
    found = await session.scalars(
        select(SetupProgress).where(SetupProgress.tenant_id == tenant_id, SetupProgress.task == TASK)
    )
    return {row.kind: row for row in found}


async def lock(session: AsyncSession, tenant_id: uuid.UUID, kind: str) -> SetupProgress | None:
    """The row of one kind, locked for this transaction and read afresh."""
    found: SetupProgress | None = await session.scalar(
        select(SetupProgress)
        .where(SetupProgress.tenant_id == tenant_id, SetupProgress.task == TASK, SetupProgress.kind == kind)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def ensure(session: AsyncSession, tenant_id: uuid.UUID, *, now: datetime) -> None:
    """Every row of the sync, created empty where missing (a tenant moved to initial_sync by hand)."""
    for kind in (*KINDS, EMAIL):
        await session.execute(
            insert_for(session, SetupProgress)
            .values(
                tenant_id=tenant_id,
                task=TASK,
                kind=kind,
                done=0,
                finished=False,
                started_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "task", "kind"])
        )


async def reset(session: AsyncSession, tenant_id: uuid.UUID, *, now: datetime) -> None:
    """A new sync from the start (a returning customer's earlier sync is forgotten)."""
    await session.execute(
        delete(SetupProgress).where(SetupProgress.tenant_id == tenant_id, SetupProgress.task == TASK)
    )
    await session.execute(delete(WalkedRecord).where(WalkedRecord.tenant_id == tenant_id))
    await ensure(session, tenant_id, now=now)


# ---- each record counted once per walk ----


async def note_walked(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, *, synced: Sequence[str], skipped: Sequence[str]
) -> tuple[int, int]:
    """Note a page's records as walked; (synced, skipped) counts of those this walk had not noted before. A
    record skipped on an earlier page and synced now counts as synced (it stays counted as skipped too).

    A skipped record whose id no column can hold (a NUL, a lone surrogate; cut to its first 200 characters)
    is counted each time it is listed."""
    unnoted = [ats_id for ats_id in skipped if len(ats_id) >= MAX_ID or text_problems(ats_id)]
    state = dict.fromkeys(set(skipped) - set(unnoted), False) | dict.fromkeys(synced, True)
    if not state:
        return 0, len(unnoted)
    insert = insert_for(session, WalkedRecord).values(
        [{"tenant_id": tenant_id, "kind": kind, "ats_id": ats_id, "synced": s} for ats_id, s in state.items()]
    )
    upsert = insert.on_conflict_do_update(
        index_elements=["tenant_id", "kind", "ats_id"],
        set_={"synced": true()},
        where=WalkedRecord.synced.is_(False) & insert.excluded.synced.is_(True),
    ).returning(WalkedRecord.synced)
    counted = list((await session.execute(upsert)).scalars())  # the rows inserted or now synced
    new_synced = sum(1 for s in counted if s)
    return new_synced, len(counted) - new_synced + len(unnoted)


async def forget_walked(session: AsyncSession, tenant_id: uuid.UUID, kind: str) -> None:
    """A kind walked to the end needs its notes no more."""
    await session.execute(
        delete(WalkedRecord).where(WalkedRecord.tenant_id == tenant_id, WalkedRecord.kind == kind)
    )


# ---- the outbox, per kind ----


@dataclass
class _Counts:
    owed: int = 0
    landed: int = 0
    dead: int = 0
    remaining: int = 0
    requests: int = 0  # requests the remaining rows still need, at best


async def _outbox_by_kind(
    session: AsyncSession, tenant_id: uuid.UUID, resources: Registry
) -> dict[str, _Counts]:
    counts: dict[str, _Counts] = defaultdict(_Counts)
    for name, state, number, parents in await tenant_rows.counts(session, tenant_id):
        try:
            resource = resources[name]
        except ValueError:
            continue
        kind = counts[resource.kind]
        kind.owed += number
        if state == State.DONE:
            kind.landed += number
        elif state == State.DEAD:
            kind.dead += number
        else:
            kind.remaining += number
            # A sub-collection is written one parent per request; other resources 100 records a batch.
            kind.requests += parents if resource.parent is not None else math.ceil(number / _BATCH)
    return counts


# ---- progress ----


@dataclass(frozen=True)
class KindProgress:
    kind: str
    walked: int  # records of the ATS walked and synced so far, each once; never goes down
    total: int | None  # known once the kind is walked to the end
    skipped: int  # records listed but not synced, each once (a parent not synced, a value not storable)
    finished: bool  # walked to the end
    owed: int  # LinkedIn records owed for the kind (an application owes its stages too)
    landed: int
    dead: int  # refused by LinkedIn or as built: reported, not waited for
    remaining: int  # owed and not landed yet
    requests: (
        int  # the requests `remaining` needs at best (batches of 100; one per parent of a sub-collection)
    )
    eta_seconds: float | None  # for `remaining`; None without a budget to estimate from


@dataclass(frozen=True)
class Budgets:
    """What the ETA is computed from: LinkedIn's sync budgets and what is left of today's requests."""

    records_per_minute: int | None
    requests_per_day: int | None
    requests_left_today: int | None
    now: datetime

    def eta(self, records: int, requests: int) -> float | None:
        if records == 0:
            return 0.0
        if self.records_per_minute is None and self.requests_per_day is None:
            return None
        by_rate = records / self.records_per_minute * 60 if self.records_per_minute else 0.0
        by_day = 0.0
        left = self.requests_left_today
        if self.requests_per_day and left is not None and requests > left:
            to_midnight = (throttle.next_midnight(self.now) - self.now).total_seconds()
            by_day = to_midnight + (requests - left - 1) // self.requests_per_day * 86400.0
        return max(by_rate, by_day)


async def budgets(
    session: AsyncSession, *, app: str | None, linkedin: LinkedInSettings, now: datetime
) -> Budgets:
    budget = throttle.budgets(linkedin)[Group.SYNC]
    left = None
    if app is not None:
        quota = await throttle.quota(session, app=app, group=Group.SYNC, budget=budget, now=now)
        left = quota.requests_left
    return Budgets(budget.records_per_window, budget.requests_per_day, left, now)


async def progress(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    budgets: Budgets,
    resources: Registry = RESOURCES,
) -> list[KindProgress]:
    """Per kind of the walk, parents first: walked, total, skipped, and the LinkedIn records owed, landed,
    dead and remaining, with the time the remaining ones need at LinkedIn's budgets."""
    saved = await rows(session, tenant_id)
    outbox = await _outbox_by_kind(session, tenant_id, resources)
    found = []
    for kind in KINDS:
        row = saved.get(kind)
        counts = outbox.get(kind, _Counts())
        walked = row.done if row else 0
        finished = bool(row and row.finished)
        found.append(
            KindProgress(
                kind=kind,
                walked=walked,
                total=row.total if row and row.total is not None else (walked if finished else None),
                skipped=Position.load(row.cursor).skipped if row else 0,
                finished=finished,
                owed=counts.owed,
                landed=counts.landed,
                dead=counts.dead,
                remaining=counts.remaining,
                requests=counts.requests,
                eta_seconds=budgets.eta(counts.remaining, counts.requests),
            )
        )
    return found


def eta(kinds: Sequence[KindProgress], budgets: Budgets) -> float | None:
    """The time every remaining record of every kind needs, as one backlog."""
    return budgets.eta(sum(k.remaining for k in kinds), sum(k.requests for k in kinds))


# ---- has everything landed? ----


@dataclass(frozen=True)
class Settled:
    dead: int  # refused: reported in the email and on the integration page
    stranded: int  # waiting for a parent that is not synced and will not come from the walk


async def settled(session: AsyncSession, tenant_id: uuid.UUID) -> Settled | None:
    """Whether every row the tenant owes has landed or is dead, or waits for a record that is not in the
    outbox at all (nor comes: the walk is over); None while rows are on their way. Once nothing is being
    sent, the rows still pending are read (their dependencies only, and no further than one that waits for
    nothing), however many, to tell those on their way from those waiting for a parent that will never come
    (thousands may wait for one old job the walk left out)."""
    depth = await outbox_service.depth(session, tenant_id=tenant_id)
    dead = depth.get(State.DEAD.value, 0)
    if not any(depth.get(state.value, 0) for state in _OWED):
        return Settled(dead, 0)
    if depth.get(State.INFLIGHT.value, 0) or depth.get(State.AWAITING_TASK.value, 0):
        return None
    pending = await tenant_rows.pending_waits(session, tenant_id)
    if pending is None:  # a row that waits for nothing is on its way
        return None
    present = await tenant_rows.present(
        session, tenant_id, {d for depends in pending.values() for d in depends}
    )
    stranded: set[str] = set()
    changed = True
    while changed:
        changed = False
        for ref, depends_on in pending.items():
            if ref not in stranded and any(d not in present or d in stranded for d in depends_on):
                stranded.add(ref)
                changed = True
    if len(stranded) < len(pending):
        return None
    return Settled(dead, len(stranded))
