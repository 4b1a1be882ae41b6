"""How a job-posting task's answer settles its row: every final state ends it (docs/linkedin.md#jobs)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from rsc_service.outbox import settling
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State
from rsc_service.outbox.sending import REPOST

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
POSTED = NOW - timedelta(minutes=3)


def _awaiting(*, first_post: bool) -> OutboxMessage:
    return OutboxMessage(
        tenant_id=uuid.uuid4(),
        resource="simpleJobPostings",
        key="job_1",
        op=Op.UPSERT,
        state=State.AWAITING_TASK,
        task_ids=["urn:li:simpleJobPostingTask:1"],
        revision=1,
        sent_revision=1,
        attempts=1,
        landed_at=POSTED if first_post else POSTED - timedelta(days=1),
        task_started_at=POSTED,
        lease_token=uuid.uuid4(),
        next_attempt_at=POSTED,
    )


@pytest.mark.parametrize(
    ("status", "reason", "outcome", "state"),
    [
        ("SUCCEEDED", None, "landed", State.DONE),
        ("PROCESSED", None, "landed", State.DONE),
        ("PROCESSED", "description too short", "dead", State.DEAD),
        ("FAILED", "listingType PREMIUM is not allowed", "dead", State.DEAD),
        ("IN_PROGRESS", None, "waiting", State.AWAITING_TASK),
        (None, None, "resend", State.PENDING),
    ],
)
def test_each_answer_of_a_task(status: str | None, reason: str | None, outcome: str, state: State) -> None:
    row = _awaiting(first_post=False)

    said = settling.task_answered(row, status=status, reason=reason, now=NOW, poll=timedelta(seconds=90))

    assert (said, row.state, row.lease_token) == (outcome, state, None)
    if outcome == "dead":
        assert row.last_error == f"job task {status.lower()}: {reason}"  # type: ignore[union-attr]
    if outcome == "waiting":
        assert row.next_attempt_at == NOW + timedelta(seconds=90)
    if outcome == "resend":
        assert (row.task_ids, row.next_attempt_at) == ([], NOW)


def test_a_first_post_that_fails_leaves_linkedin_without_the_job() -> None:
    first, later = _awaiting(first_post=True), _awaiting(first_post=False)

    for row in (first, later):
        settling.task_answered(row, status="FAILED", reason="no", now=NOW, poll=timedelta(seconds=1))

    assert first.landed_at is None  # its next send is a CREATE again
    assert later.landed_at == POSTED - timedelta(days=1)  # LinkedIn still holds the earlier version


DUPLICATE = (
    "Duplicate job posting: externalJobPostingId job_1 is already listed; send UPDATE, RENEW or CLOSE for it"
)
NONE_HELD = "No job posting with externalJobPostingId job_1 to UPDATE: send CREATE first"


@pytest.mark.parametrize("status", ["FAILED", "PROCESSED"])
def test_a_create_refused_as_a_duplicate_job_is_held_and_sent_again(status: str) -> None:
    """A lost answer: LinkedIn applied the first CREATE, so it lists the job and refuses the retry."""
    row = _awaiting(first_post=True)
    row.held_after_task = "PUBLIC"

    said = settling.task_answered(row, status=status, reason=DUPLICATE, now=NOW, poll=timedelta(seconds=1))

    assert (said, row.state, row.landed_at, row.held) == ("resend", State.PENDING, POSTED, "PUBLIC")
    assert (row.task_ids, row.held_after_task, row.lease_token, row.next_attempt_at) == ([], None, None, NOW)
    assert row.last_error is not None and "LinkedIn lists the job already" in row.last_error


def test_an_update_of_a_job_linkedin_does_not_hold_is_sent_again_unlanded() -> None:
    row = _awaiting(first_post=False)
    row.held = "PUBLIC"

    said = settling.task_answered(row, status="FAILED", reason=NONE_HELD, now=NOW, poll=timedelta(seconds=1))

    assert (said, row.state, row.landed_at, row.held) == ("resend", State.PENDING, None, None)


def test_a_newer_revision_refused_as_built_still_ends_a_dead_letter() -> None:
    row = _awaiting(first_post=True)
    row.revision, row.refused = 2, "description: required"

    settling.task_answered(row, status="FAILED", reason=DUPLICATE, now=NOW, poll=timedelta(seconds=1))

    assert (row.state, row.last_error, row.landed_at) == (State.DEAD, "description: required", POSTED)


@pytest.mark.parametrize(("state", "after"), [("LISTED", State.PENDING), ("CLOSED", State.DONE)])
def test_a_repost_close_is_owed_again_only_for_a_listed_job(state: str, after: State) -> None:
    row = _awaiting(first_post=False)
    row.held_after_task, row.payload = REPOST, {"state": state}

    settling.task_answered(row, status="SUCCEEDED", reason=None, now=NOW, poll=timedelta(seconds=1))

    assert (row.state, row.held) == (after, REPOST)


@pytest.mark.parametrize(("first", "then"), [(DUPLICATE, NONE_HELD), (NONE_HELD, DUPLICATE)])
def test_linkedin_contradicting_itself_ends_a_dead_letter_instead_of_going_round(
    first: str, then: str
) -> None:
    row = _awaiting(first_post=True)
    assert settling.task_answered(row, status="FAILED", reason=first, now=NOW, poll=timedelta(seconds=1)) == (
        "resend"
    )
    settling.landed(row, now=NOW, task_id="urn:li:simpleJobPostingTask:2", task_poll=timedelta(seconds=1))

    said = settling.task_answered(row, status="FAILED", reason=then, now=NOW, poll=timedelta(seconds=1))

    assert (said, row.state) == ("dead", State.DEAD)
    assert row.last_error is not None and then in row.last_error


@pytest.mark.parametrize(
    ("op", "deleted", "landed_at"), [(Op.UPSERT, False, POSTED), (Op.DELETE, True, None)]
)
def test_a_landed_deletion_leaves_linkedin_holding_nothing(
    op: Op, deleted: bool, landed_at: datetime | None
) -> None:
    row = OutboxMessage(
        tenant_id=uuid.uuid4(),
        resource="atsCandidates",
        key="cand_1",
        op=op,
        state=State.INFLIGHT,
        revision=2,
        sent_revision=2,
        landed_at=POSTED,
        lease_token=uuid.uuid4(),
        next_attempt_at=NOW,
    )

    settling.landed(row, now=NOW, task_id=None, task_poll=timedelta(seconds=1), deleted=deleted)

    assert (row.state, row.landed_at, row.lease_token) == (State.DONE, landed_at, None)
