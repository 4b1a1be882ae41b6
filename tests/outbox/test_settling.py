"""How a job-posting task's answer settles its row: every final state ends it (docs/linkedin.md#jobs)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from rsc_service.outbox import settling
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State

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
        ("FAILED", "Duplicate job posting", "dead", State.DEAD),
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
