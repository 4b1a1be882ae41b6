"""Claims: replicas claiming at once take different notifications, and a worker whose claim ran out and was
taken over changes nothing (the job runs on every replica)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rsc_service.context import AppContext, open_context
from rsc_service.linkedin_notifications import repository, service
from rsc_service.linkedin_notifications.models import State
from rsc_service.linkedin_notifications.repository import Claimed
from rsc_service.tenants.models import Tenant
from tests.conftest import FrozenClock, make_settings
from tests.factories import make_tenant

from .conftest import notifications

FreshDatabase = Callable[[bool], Awaitable[str]]


async def add(session: AsyncSession, tenant: Tenant, request: str, at: datetime) -> None:
    assert await service.record(
        session,
        tenant_id=tenant.id,
        kind="INTEGRATION_STATUS_CHANGE",
        request_id=request,
        received_at=at,
        expires_at=None,
    )


async def claim(maker: async_sessionmaker[AsyncSession], at: datetime, limit: int) -> list[Claimed]:
    async with maker.begin() as session:
        return await repository.claim_due(
            session, now=at, claimed_until=at + service.CLAIM_FOR, limit=limit, left_for_others=()
        )


class TestClaims:
    async def test_replicas_claiming_at_once_take_different_rows(self, fresh_database: FreshDatabase) -> None:
        url = await fresh_database(True)
        async with open_context(make_settings(url)) as ctx:
            at = ctx.clock()
            async with ctx.sessionmaker.begin() as session:
                tenant = (await make_tenant(session, ctx)).tenant
                for n in range(4):
                    await add(session, tenant, f"urn:li:request:{n}", at)
            async with ctx.sessionmaker.begin() as first:
                mine = await repository.claim_due(
                    first, now=at, claimed_until=at + service.CLAIM_FOR, limit=2, left_for_others=()
                )
                # Another replica claims while the first transaction is open: on PostgreSQL it skips the
                # locked rows; on SQLite it waits for the single writer, then finds them claimed.
                theirs = asyncio.create_task(claim(ctx.sessionmaker, at, 4))
                await asyncio.sleep(0.2)
                if ctx.engine.dialect.name == "postgresql":
                    assert theirs.done()  # SKIP LOCKED: it did not wait for the first replica's commit
            others = await asyncio.wait_for(theirs, timeout=10)
        assert len(mine) == 2
        assert len(others) == 2
        assert {c.id for c in mine}.isdisjoint(c.id for c in others)

    async def test_a_claim_taken_over_changes_nothing(
        self, ctx: AppContext, clock: FrozenClock, provisioned: Tenant
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            await add(session, provisioned, "urn:li:request:slow", clock())
        [slow] = await claim(ctx.sessionmaker, clock(), 10)
        assert await claim(ctx.sessionmaker, clock(), 10) == []  # held
        clock.advance(seconds=service.CLAIM_FOR.total_seconds() + 1)
        [fresh] = await claim(ctx.sessionmaker, clock(), 10)  # the slow worker's claim ran out
        async with ctx.sessionmaker.begin() as session:
            assert await repository.lock_claimed(session, slow) is None
            assert await repository.lock_claimed(session, fresh) is not None
        [row] = await notifications(ctx, provisioned.id)
        assert (row.state, row.next_attempt_at) == (State.PENDING, fresh.claimed_until)
        assert fresh.claimed_until - slow.claimed_until > timedelta(0)
