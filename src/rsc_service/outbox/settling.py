"""How a claimed row's state moves once LinkedIn has answered for it. Pure: rows in, new column values out."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State
from rsc_service.outbox.policy import Backoff
from rsc_service.outbox.sending import REPOST

_ERROR_LIMIT = 2000
WAITING = "waiting for "  # how the last error of a row waiting for another begins

# LinkedIn's task answers carry no code, only `errorMessage` (docs/linkedin.md#jobs): a CREATE of a job it
# lists already fails as a duplicate job posting, an UPDATE, RENEW or CLOSE of one it holds none of fails
# asking for a CREATE first.
# Neither wording is published: these match the simulator's and LinkedIn's usual phrasings; a message that
# matches neither is a refusal like any other (a dead letter).
_ALREADY_LISTED = re.compile(r"duplicate job posting|already (listed|exists)", re.IGNORECASE)
_NONE_HELD = re.compile(r"send create first|no job posting with|job posting does not exist", re.IGNORECASE)
_HELD_AGAIN = "LinkedIn lists the job already"
_CREATE_AGAIN = "LinkedIn holds no such job"


def _clip(message: str) -> str:
    return message[:_ERROR_LIMIT]


def landed(
    row: OutboxMessage,
    *,
    now: datetime,
    task_id: str | None,
    task_poll: timedelta,
    holding: str | None = None,
    deleted: bool = False,
) -> None:
    """LinkedIn took what was sent of `row`; a deletion (`deleted`) leaves it holding no version of the record
    (docs/architecture.md#8-deleting)."""
    row.landed_at = None if deleted else row.landed_at or now
    # A job sent again after its task told what LinkedIn holds keeps saying so until its task answers, so that
    # LinkedIn contradicting itself is seen (task_answered).
    recovering = task_id is not None and (row.last_error or "").startswith((_HELD_AGAIN, _CREATE_AGAIN))
    row.last_error = row.last_error if recovering else None
    row.lease_token = row.leased_until = None
    # A job: LinkedIn works on it in a task; the row waits for the task (docs/architecture.md#6-jobs).
    if task_id is not None:
        row.state = State.AWAITING_TASK
        row.task_ids = [task_id]
        row.held_after_task = holding
        row.task_started_at = now  # the task's age is measured from here
        row.next_attempt_at = now + task_poll
        return
    _finish(row, now=now)


def task_succeeded(row: OutboxMessage, *, now: datetime) -> None:
    row.last_error = None
    row.task_ids = []
    row.task_started_at = None
    row.lease_token = row.leased_until = None
    row.held, row.held_after_task = row.held_after_task or row.held, None
    _finish(row, now=now)
    if row.held == REPOST and row.state is State.DONE and _listed(row):
        row.state = State.PENDING  # closed so that it can be posted again: the post is still owed


def _listed(row: OutboxMessage) -> bool:
    """Whether the job the row owes is listed: a closed one LinkedIn holds closed is owed nothing more."""
    return (row.payload or {}).get("state") == "LISTED"


def task_answered(
    row: OutboxMessage, *, status: str | None, reason: str | None, now: datetime, poll: timedelta
) -> str:
    """How a job-posting task answered for `row`: "landed", "dead", "resend" or "waiting".

    SUCCEEDED and PROCESSED without an error landed; FAILED and PROCESSED with an error are LinkedIn's
    refusal, except two that say what LinkedIn holds of the job, after which the job is sent again: a CREATE
    refused because LinkedIn lists the job already (an earlier CREATE landed though its answer was lost) goes
    as an UPDATE or CLOSE of a job LinkedIn holds, and an UPDATE or CLOSE refused because LinkedIn holds no
    such job goes as a CREATE. A task LinkedIn no longer knows (None: expired) is sent again; anything else
    is still in progress (docs/linkedin.md#jobs, docs/architecture.md#6-jobs).
    """
    status = status.upper() if status is not None else None
    if status == "SUCCEEDED" or (status == "PROCESSED" and not reason):
        task_succeeded(row, now=now)
        return "landed"
    # Each recovery once in a row: LinkedIn answering the other right after one (it lists the job, then
    # holds none of it) contradicts itself, and the job ends a dead letter instead of going round for ever.
    said_before = row.last_error or ""
    refused = status in ("FAILED", "PROCESSED") and bool(reason)
    if refused and _ALREADY_LISTED.search(reason or "") and not said_before.startswith(_CREATE_AGAIN):
        # LinkedIn lists the job: held since the post, with the availability this one carried (the lost
        # CREATE most likely carried the same); never REPOST, which would make the next post a CREATE.
        held = row.held_after_task or row.held
        row.landed_at, row.held = row.landed_at or now, None if held == REPOST else held
        _owed_again(row, now=now, message=f"{_HELD_AGAIN} ({reason}); sent again as held")
        return "resend"
    if refused and _NONE_HELD.search(reason or "") and not said_before.startswith(_HELD_AGAIN):
        row.landed_at, row.held = None, None  # LinkedIn holds no version of it: CREATE comes next
        _owed_again(row, now=now, message=f"{_CREATE_AGAIN} ({reason}); sent again as a CREATE")
        return "resend"
    if status in ("FAILED", "PROCESSED"):
        # LinkedIn holds what it held before the task: nothing after a first task, so CREATE comes next.
        row.held_after_task = None
        if row.landed_at == row.task_started_at:
            row.landed_at = None
        rejected(row, now=now, message=f"job task {status.lower()}: {reason or 'no reason given'}")
        return "dead"
    row.lease_token = row.leased_until = None
    if status is None:
        # A task lives 30 days and LinkedIn finishes one in minutes: it was done long ago, and most likely
        # as asked, so the job is sent again as one LinkedIn holds.
        row.held, row.held_after_task = row.held_after_task or row.held, None
        row.state, row.task_ids, row.next_attempt_at = State.PENDING, [], now
        row.last_error = "the job task expired before it ended; sent again"
        return "resend"
    row.next_attempt_at = now + poll
    return "waiting"


def _owed_again(row: OutboxMessage, *, now: datetime, message: str) -> None:
    """The task told what LinkedIn holds of the job, not that the job is wrong: it is owed again at once,
    sent as what LinkedIn holds now calls for (a newer revision refused as built still ends a dead letter)."""
    row.task_ids = []
    row.task_started_at = None
    row.held_after_task = None
    row.lease_token = row.leased_until = None
    _finish(row, now=now)
    if row.state is not State.DEAD:
        row.state, row.last_error = State.PENDING, _clip(message)


def _newer(row: OutboxMessage) -> bool:
    """A newer revision arrived while the one sent was in flight or in a job task."""
    return row.sent_revision is not None and row.revision > row.sent_revision


def _refusal_since(row: OutboxMessage) -> str | None:
    """Why the newer revision that arrived meanwhile was refused as built (it cannot be sent: the row ends a
    dead letter saying so); None when there is none, or it could be built."""
    return row.refused if _newer(row) else None


def _finish(row: OutboxMessage, *, now: datetime) -> None:
    row.failing_since = None
    row.updated_at = now  # by the coordination clock: what "landed since" questions compare against
    row.attempts = 0
    row.next_attempt_at = now
    refusal = _refusal_since(row)
    if refusal is not None:
        row.state, row.last_error = State.DEAD, _clip(refusal)
    else:  # a newer revision still has to go
        row.state = State.PENDING if _newer(row) else State.DONE


def rejected(row: OutboxMessage, *, now: datetime, message: str) -> None:
    """A permanent refusal of this record: a dead letter at once, unless a newer revision may fix it."""
    refusal = _refusal_since(row)
    row.last_error = _clip(message if refusal is None else refusal)
    row.lease_token = row.leased_until = None
    row.task_ids = []
    if _newer(row) and refusal is None:
        row.state, row.attempts, row.next_attempt_at = State.PENDING, 0, now
    else:
        row.state = State.DEAD


def blocked(row: OutboxMessage, *, now: datetime, by: OutboxMessage) -> None:
    """A dead letter because a record it needs is one; sent again, that record releases it
    (docs/architecture.md#11-retries-and-dead-letters)."""
    parent = f"{by.resource}:{by.key}"
    row.state = State.DEAD
    row.blocked_by = parent
    row.last_error = _clip(f"waits for {parent}, a dead letter: {by.last_error or 'no reason recorded'}")
    row.lease_token = row.leased_until = None
    row.updated_at = now


def unknown_resource(row: OutboxMessage, *, now: datetime) -> None:
    """A row of a resource this release does not declare (a newer release owed it, then was rolled back):
    nothing here can send it, so it is a dead letter at once, saying so, to replay after an upgrade."""
    row.state = State.DEAD
    row.last_error = _clip(
        f"{row.resource} is not a resource this release knows (owed by a newer release?): "
        "replay it once a release that knows it runs"
    )
    row.lease_token = row.leased_until = None
    row.updated_at = now


def waiting(
    row: OutboxMessage, *, now: datetime, on: str, received: bool, until: datetime, backoff: Backoff
) -> None:
    """`row` waits for `on` ("resource:key") to land, spending no attempt, and says so. A record the service
    never received (a lost webhook) is waited for at most `backoff.give_up_after`, counted in
    `failing_since` like failures; then the row is a dead letter naming it (`blocked_by`), released when it
    arrives (docs/architecture.md#11-retries-and-dead-letters). A record that has arrived needs no budget
    here: it gives up on its own, and its dead letter then blocks `row`."""
    row.next_attempt_at = until
    if received:
        wait_over(row)
        _say_waiting(row, f"{WAITING}{on} to land")
        return
    row.failing_since = row.failing_since or now
    if backoff.exhausted(row.failing_since, now=now):
        hours = backoff.give_up_after.total_seconds() / 3600
        row.state = State.DEAD
        row.blocked_by = on
        row.last_error = _clip(f"gave up after {hours:g} h {WAITING}{on}, which was never received")
        row.lease_token = row.leased_until = None
        row.updated_at = now
        return
    _say_waiting(row, f"{WAITING}{on}, which was never received")


def wait_over(row: OutboxMessage) -> None:
    """`row` may go: what it said while waiting is no longer so. With no attempt spent since it last landed,
    `failing_since` can only be a wait's, which counts towards no later failures."""
    if row.attempts == 0 and row.failing_since is not None:
        row.failing_since = None
    if row.last_error is not None and row.last_error.startswith(WAITING):
        row.last_error = None


def _say_waiting(row: OutboxMessage, message: str) -> None:
    # A record with nothing built to send keeps the reason it was refused with: it is sent as refused, with
    # that reason, once it may go.
    refused = (
        row.op is not Op.DELETE
        and row.payload is None
        and row.last_error is not None
        and not row.last_error.startswith(WAITING)
    )
    if not refused:
        row.last_error = _clip(message)


def retry(
    row: OutboxMessage,
    *,
    now: datetime,
    message: str,
    backoff: Backoff,
    rng: random.Random,
    count_attempt: bool = True,
    at: datetime | None = None,
) -> None:
    """Try again later; 429s and waits for a parent do not count as attempts
    (docs/architecture.md#11-retries-and-dead-letters)."""
    row.last_error = _clip(message)
    row.lease_token = row.leased_until = None
    if row.state is State.AWAITING_TASK and row.task_ids:  # polling its task took no attempt to undo
        row.next_attempt_at = at or backoff.next_attempt_at(row.attempts, now=now, rng=rng)
        return
    if not count_attempt:
        row.attempts = max(row.attempts - 1, 0)
    else:
        row.failing_since = row.failing_since or now
        if backoff.exhausted(row.failing_since, now=now):
            hours = backoff.give_up_after.total_seconds() / 3600
            row.last_error = _clip(f"gave up after {hours:g} h of failures; last: {message}")
            row.state = State.DEAD
            return
    row.state = State.PENDING
    row.next_attempt_at = at or backoff.next_attempt_at(row.attempts, now=now, rng=rng)
