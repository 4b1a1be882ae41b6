"""Pure outbox rules: send order, batching, dependencies, fairness and backoff."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from rsc_service.outbox import policy
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State
from rsc_service.push.registry import RESOURCES

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
A, B = uuid.uuid4(), uuid.uuid4()


def _row(
    resource: str, key: str, *, tenant: uuid.UUID = A, op: Op = Op.UPSERT, parent: str | None = None
) -> OutboxMessage:
    return OutboxMessage(
        tenant_id=tenant, resource=resource, key=key, op=op, path_parent=parent, depends_on=[]
    )


class TestTiers:
    def test_writes_go_parents_first_and_deletes_children_first(self) -> None:
        job, cand, app, note = (
            _row("simpleJobPostings", "j"),
            _row("atsCandidates", "c"),
            _row("atsApplications", "a"),
            _row("atsApplications/notes", "n", parent="a"),
        )
        writes = sorted([note, app, cand, job], key=lambda r: policy.tier(r, RESOURCES.tier))
        assert [r.key for r in writes] == ["j", "c", "a", "n"]

        deletes = [
            _row(r.resource, r.key, op=Op.DELETE, parent=r.path_parent) for r in (job, cand, app, note)
        ]
        ordered = sorted(deletes, key=lambda r: policy.tier(r, RESOURCES.tier))
        assert [r.key for r in ordered[:3]] == ["n", "a", "c"]
        assert all(
            policy.tier(d, RESOURCES.tier) > policy.tier(w, RESOURCES.tier) for d in deletes for w in writes
        )


class TestBatches:
    def test_at_most_100_per_tenant_resource_parent_and_kind(self) -> None:
        rows = [_row("atsCandidates", f"c{i}") for i in range(250)]
        rows += [_row("atsCandidates", f"x{i}", tenant=B) for i in range(3)]
        rows += [_row("atsCandidates", f"d{i}", op=Op.DELETE) for i in range(2)]
        rows += [_row("atsApplications/notes", f"n{i}", parent=f"app{i % 2}") for i in range(4)]

        batches = policy.batches(rows)

        assert max(len(b) for b in batches) == 100
        assert sorted(len(b) for b in batches) == [2, 2, 2, 3, 50, 100, 100]
        for batch in batches:
            assert len({(r.tenant_id, r.resource, r.path_parent, r.op is Op.DELETE) for r in batch}) == 1


class TestDependencies:
    def _dep(self, op: Op, state: State, landed: bool) -> OutboxMessage:
        row = _row("simpleJobPostings", "j", op=op)
        row.state, row.landed_at = state, NOW if landed else None
        return row

    def test_a_write_needs_its_parent_landed_once(self) -> None:
        app = _row("atsApplications", "a")
        assert not policy.satisfied(app, None)
        assert not policy.satisfied(app, self._dep(Op.UPSERT, State.PENDING, landed=False))
        assert policy.satisfied(
            app, self._dep(Op.UPSERT, State.PENDING, landed=True)
        )  # a newer revision pending
        assert policy.satisfied(app, self._dep(Op.UPSERT, State.AWAITING_TASK, landed=True))

    def test_a_delete_needs_its_children_deleted_or_landed_elsewhere(self) -> None:
        parent = _row("atsCandidates", "c", op=Op.DELETE)
        assert not policy.satisfied(parent, self._dep(Op.DELETE, State.PENDING, landed=True))
        assert policy.satisfied(parent, self._dep(Op.DELETE, State.DONE, landed=True))
        # A child written again since (moved to another candidate when the ATS merged two): once its newest
        # write has landed, LinkedIn's copy is no longer the deleted parent's. Until then the delete waits,
        # whatever landed of the child before.
        assert not policy.satisfied(parent, self._dep(Op.UPSERT, State.PENDING, landed=True))
        assert not policy.satisfied(parent, self._dep(Op.UPSERT, State.INFLIGHT, landed=True))
        assert policy.satisfied(parent, self._dep(Op.UPSERT, State.DONE, landed=True))


class TestAwaited:
    def _known(self, *rows: OutboxMessage) -> dict[tuple[uuid.UUID, str, str], OutboxMessage]:
        return {(row.tenant_id, row.resource, row.key): row for row in rows}

    def _landed(self, known: dict[tuple[uuid.UUID, str, str], OutboxMessage]) -> object:
        def landed(row: OutboxMessage, dependency: str) -> bool:
            resource, _, key = dependency.partition(":")
            return policy.satisfied(row, known.get((row.tenant_id, resource, key)))

        return landed

    def test_a_parent_whose_deletion_is_done_counts_as_not_received(self) -> None:
        app = _row("atsApplications", "a")
        app.depends_on = ["atsCandidates:c"]
        for op, state, received in [
            (Op.DELETE, State.DONE, False),  # gone: only a re-creation that may never come could hold it
            (Op.DELETE, State.PENDING, True),  # still being deleted
            (Op.UPSERT, State.PENDING, True),  # on its way
        ]:
            parent = _row("atsCandidates", "c", op=op)
            parent.state, parent.landed_at = state, NOW if op is Op.DELETE else None
            known = self._known(parent)
            said = policy.awaited(app, known, self._landed(known))  # type: ignore[arg-type]
            assert said == ("atsCandidates:c", received), (op, state)


class TestBackoff:
    def test_grows_with_jitter_up_to_the_cap(self) -> None:
        backoff = policy.Backoff(base=timedelta(seconds=2), cap=timedelta(minutes=15))
        rng = random.Random(7)
        waits = [(backoff.next_attempt_at(n, now=NOW, rng=rng) - NOW).total_seconds() for n in range(1, 15)]
        assert 1 <= waits[0] <= 2
        assert 8 <= waits[3] <= 16
        assert all(450 <= w <= 900 for w in waits[-3:])

    def test_a_day_of_attempts_never_overflows(self) -> None:
        backoff = policy.Backoff()
        wait = backoff.next_attempt_at(500, now=NOW, rng=random.Random(1)) - NOW
        assert timedelta(minutes=7, seconds=30) <= wait <= timedelta(minutes=15)

    def test_gives_up_by_time_not_by_count(self) -> None:
        backoff = policy.Backoff(give_up_after=timedelta(hours=24))
        assert not backoff.exhausted(None, now=NOW)  # not failing at all
        assert not backoff.exhausted(NOW - timedelta(hours=23, minutes=59), now=NOW)
        assert backoff.exhausted(NOW - timedelta(hours=24), now=NOW)


class TestTaskPolling:
    def test_young_tasks_are_asked_after_soon_old_ones_every_five_minutes_at_most(self) -> None:
        base = timedelta(seconds=2)
        waits = [
            policy.task_poll_after(timedelta(seconds=age), base=base).total_seconds()
            for age in (0, 2, 10, 60, 300, 3600)
        ]
        assert waits == [2, 2, 5, 30, 150, 300]
