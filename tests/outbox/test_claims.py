"""Claims: each tenant's share is capped inside the claim query, so one tenant's backlog never starves
another's rows, and paused tenants are left out."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from rsc_service.context import AppContext, open_context
from rsc_service.outbox import repository
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State
from rsc_service.tenants import service as tenant_service
from tests import databases
from tests.conftest import FrozenClock, make_settings
from tests.factories import make_tenant

LEASE = timedelta(seconds=60)


def _rows(tenant_id: uuid.UUID, count: int, *, due: datetime, prefix: str) -> list[dict[str, object]]:
    return [
        {
            "tenant_id": tenant_id,
            "resource": "atsCandidates",
            "key": f"{prefix}{i}",
            "path_parent": None,
            "depends_on": [],
            "op": Op.UPSERT,
            "payload": {"firstName": "A"},
            "revision": 1,
            "source_version": 1,
            "state": State.PENDING,
            "task_ids": [],
            "attempts": 0,
            "next_attempt_at": due - timedelta(seconds=1) + timedelta(microseconds=i),
            "created_at": due,
            "updated_at": due,
        }
        for i in range(count)
    ]


class TestFairClaims:
    async def test_a_tenant_with_10000_due_rows_leaves_room_for_one_with_3(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            big = (await make_tenant(session, ctx)).tenant
            small = (await make_tenant(session, ctx)).tenant
            early = clock() - timedelta(hours=1)  # the big backlog is older: first by due time
            await session.execute(insert(OutboxMessage), _rows(big.id, 10_000, due=early, prefix="a"))
            await session.execute(insert(OutboxMessage), _rows(small.id, 3, due=clock(), prefix="b"))

        async with ctx.sessionmaker.begin() as session:
            claimed = await repository.claim_candidates(session, now=clock(), limit=2_000, per_tenant=1_000)

        by_tenant = {tenant: sum(row.tenant_id == tenant for row in claimed) for tenant in (big.id, small.id)}
        assert by_tenant == {big.id: 1_000, small.id: 3}
        oldest_first = [row.key for row in claimed if row.tenant_id == big.id][:3]
        assert oldest_first == ["a0", "a1", "a2"]

    async def test_two_backlogs_that_fill_the_claim_still_leave_room_for_a_third_tenant(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            first, second, small = [(await make_tenant(session, ctx)).tenant for _ in range(3)]
            early = clock() - timedelta(hours=1)
            for tenant, prefix in ((first, "a"), (second, "b")):
                await session.execute(
                    insert(OutboxMessage), _rows(tenant.id, 1_500, due=early, prefix=prefix)
                )
            await session.execute(insert(OutboxMessage), _rows(small.id, 3, due=clock(), prefix="c"))

        async with ctx.sessionmaker.begin() as session:
            claimed = await repository.claim_candidates(session, now=clock(), limit=2_000, per_tenant=1_000)

        # Both backlogs fit under the per-tenant cap and fill the limit between them by due time alone; the
        # claim goes round the tenants instead, so the newest rows of the third are in it.
        count = {t.id: sum(row.tenant_id == t.id for row in claimed) for t in (first, second, small)}
        assert count[small.id] == 3
        assert count[first.id] + count[second.id] == 1_997 and abs(count[first.id] - count[second.id]) <= 1
        assert [row.key for row in claimed if row.tenant_id == first.id][:3] == ["a0", "a1", "a2"]

    async def test_a_paused_tenant_is_left_out_and_the_limit_still_holds(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            paused = (await make_tenant(session, ctx)).tenant
            sending = (await make_tenant(session, ctx)).tenant
            await session.execute(insert(OutboxMessage), _rows(paused.id, 5, due=clock(), prefix="p"))
            await session.execute(insert(OutboxMessage), _rows(sending.id, 5, due=clock(), prefix="s"))
            await tenant_service.pause_sending(
                session, tenant_id=paused.id, until=clock() + timedelta(minutes=5), reason="403"
            )

        async with ctx.sessionmaker.begin() as session:
            skip = await tenant_service.paused_ids(session, now=clock())
            claimed = await repository.claim_candidates(
                session, now=clock(), limit=4, per_tenant=10, skip_tenants=skip
            )

        assert [row.key for row in claimed] == ["s0", "s1", "s2", "s3"]


class TestTaskPolls:
    """A job's task is asked after by one replica at a time: polling holds the row until it answers."""

    async def _claim(self, ctx: AppContext, now: datetime) -> list[str]:
        async with ctx.sessionmaker.begin() as session:
            rows = await repository.claim_candidates(
                session, now=now, limit=10, per_tenant=10, states=(State.AWAITING_TASK,)
            )
            await repository.mark_claimed(session, rows, token=uuid.uuid4(), leased_until=now + LEASE)
        return [row.key for row in rows]

    async def test_a_task_being_asked_after_is_not_claimed_again_until_its_lease_runs_out(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            waiting = _rows(tenant.id, 2, due=clock(), prefix="job")
            for row in waiting:
                row |= {"resource": "simpleJobPostings", "state": State.AWAITING_TASK, "task_ids": ["t"]}
            await session.execute(insert(OutboxMessage), waiting)

        assert await self._claim(ctx, clock()) == ["job0", "job1"]  # replica A asks LinkedIn
        assert await self._claim(ctx, clock() + timedelta(seconds=5)) == []  # replica B leaves them alone
        async with ctx.sessionmaker() as session:
            rows = await repository.list_messages(session, tenant_id=tenant.id)
        assert {row.state for row in rows} == {State.AWAITING_TASK}  # still waiting, no attempt spent
        assert {row.attempts for row in rows} == {0}
        # Replica A died holding them: once the lease runs out they are due again.
        assert await self._claim(ctx, clock() + LEASE + timedelta(seconds=1)) == ["job0", "job1"]

    async def test_a_task_riding_along_with_another_replicas_poll_is_not_taken_as_a_rider_again(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        """A task not due yet rides along with a due one (one read asks after both): the replica that took it
        holds it until its answer, and another replica's poll meanwhile leaves it out."""
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            later = _rows(tenant.id, 3, due=clock() + timedelta(minutes=5), prefix="later")
            for row in later:
                row |= {"resource": "simpleJobPostings", "state": State.AWAITING_TASK, "task_ids": ["t"]}
            await session.execute(insert(OutboxMessage), later)

        async def riders(now: datetime) -> list[str]:
            async with ctx.sessionmaker.begin() as session:
                rows = await repository.task_riders(session, tenant_id=tenant.id, now=now, limit=2)
                await repository.mark_claimed(session, rows, token=uuid.uuid4(), leased_until=now + LEASE)
            return [row.key for row in rows]

        assert await riders(clock()) == ["later0", "later1"]  # replica A asks after them with its due task
        assert await riders(clock() + timedelta(seconds=5)) == ["later2"]  # replica B: only the one left


@pytest.mark.skipif(not databases.is_postgres(), reason="row locks between replicas: PostgreSQL's")
class TestReplicas:
    async def test_a_second_replica_claims_the_rows_after_those_the_first_holds(
        self, fresh_database: Callable[[bool], Awaitable[str]], clock: FrozenClock
    ) -> None:
        async with open_context(make_settings(await fresh_database(True))) as ctx:  # a pool of its own
            async with ctx.sessionmaker.begin() as session:
                tenant = (await make_tenant(session, ctx)).tenant
                await session.execute(insert(OutboxMessage), _rows(tenant.id, 6, due=clock(), prefix="r"))

            async with ctx.sessionmaker() as first, ctx.sessionmaker() as second:
                held = [
                    r.key
                    for r in await repository.claim_candidates(first, now=clock(), limit=2, per_tenant=2)
                ]
                after = [
                    r.key
                    for r in await repository.claim_candidates(second, now=clock(), limit=2, per_tenant=2)
                ]
                await first.rollback()
                await second.rollback()

        assert held == ["r0", "r1"]
        assert after == ["r2", "r3"]  # not nothing: the first's rows are skipped
