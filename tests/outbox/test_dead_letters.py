"""Dead letters: listed a page at a time per tenant, replayed from the mirror's current version, once."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.errors import NotFound, Unprocessable
from rsc_service.integrations.ats import parse_event
from rsc_service.mirror import changes
from rsc_service.outbox import dead_letters
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.push import service as push_service
from rsc_service.tenants.models import Tenant
from tests.conftest import FrozenClock
from tests.factories import candidate, make_tenant


async def _dead_candidates(session: AsyncSession, tenant: Tenant, clock: FrozenClock, *ids: str) -> list[int]:
    """Candidates stored as their webhooks would store them, each then refused by LinkedIn for good."""
    rows = []
    for ats_id in ids:
        event = {"type": "candidate.created", "id": f"evt_{ats_id}", "occurred_at": clock().isoformat()}
        await push_service.apply_ats_changes(
            session,
            [(tenant, changes.from_event(parse_event(json.dumps(event | {"data": candidate(ats_id)}))))],
            now=clock(),
        )
        row = await _row(session, tenant.id, ats_id)
        row.state, row.attempts, row.last_error = (
            State.DEAD,
            1,
            "422 ERROR :: /firstName :: length must be at least 1",
        )
        rows.append(row.id)
    await session.flush()
    return rows


async def _row(session: AsyncSession, tenant_id: uuid.UUID, ats_id: str) -> OutboxMessage:
    row = await session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.resource == "atsCandidates",
            OutboxMessage.key == ats_id,
        )
    )
    assert row is not None
    return row


async def _unchanged(session: AsyncSession, row: OutboxMessage) -> None:
    return None


class TestDeadLetters:
    async def test_listing_pages_through_one_tenants_dead_letters_only(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            other = (await make_tenant(session, ctx)).tenant
            ids = await _dead_candidates(session, tenant, clock, "cand_1", "cand_2", "cand_3")
            await _dead_candidates(session, other, clock, "cand_9")

            first = await dead_letters.list_dead(session, tenant_id=tenant.id, limit=2)
            second = await dead_letters.list_dead(
                session, tenant_id=tenant.id, after=first.next_after or 0, limit=2
            )

        assert [row.id for row in first.items] == ids[:2] and first.next_after == ids[1]
        assert [row.id for row in second.items] == ids[2:] and second.next_after is None
        assert first.items[0].last_error is not None and "/firstName" in first.items[0].last_error

    async def test_replay_rebuilds_from_the_mirror_and_twice_is_once(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            [row_id] = await _dead_candidates(session, tenant, clock, "cand_1")
            row = await _row(session, tenant.id, "cand_1")
            current = dict(row.payload or {})
            row.payload = {"firstName": "a payload the mirror no longer holds"}
            revision = row.revision
            clock.advance(minutes=5)

            first = await push_service.replay_dead_letters(
                session, tenant=tenant, ids=[row_id], replay_all=False, now=clock()
            )
            replayed = (row.state, row.attempts, row.payload, row.revision, row.next_attempt_at)
            second = await push_service.replay_dead_letters(
                session, tenant=tenant, ids=[row_id], replay_all=False, now=clock()
            )

        assert (first.replayed, first.skipped, first.remaining) == ([row_id], [], 0)
        assert replayed == (State.PENDING, 0, current, revision + 1, clock())
        assert (second.replayed, second.skipped) == ([], [row_id])
        assert (row.state, row.revision) == (State.PENDING, revision + 1)

    async def test_replay_all_is_capped_per_request(self, ctx: AppContext, clock: FrozenClock) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            ids = await _dead_candidates(session, tenant, clock, "cand_1", "cand_2", "cand_3")

            first = await dead_letters.replay(
                session,
                tenant_id=tenant.id,
                ids=None,
                replay_all=True,
                rebuild=_unchanged,
                now=clock(),
                limit=2,
            )
            second = await dead_letters.replay(
                session,
                tenant_id=tenant.id,
                ids=None,
                replay_all=True,
                rebuild=_unchanged,
                now=clock(),
                limit=2,
            )
            states = [
                row.state for row in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            ]

        assert (first.replayed, first.remaining) == (ids[:2], 1)
        assert (second.replayed, second.remaining) == (ids[2:], 0)
        assert states == [State.PENDING] * 3

    async def test_replay_all_passes_rows_still_refused_and_reaches_those_after(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        # A full cap of rows still refused as built (their record is gone: no payload) must not hide the rows
        # after them from every later request, however often the operator asks.
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            ids = await _dead_candidates(session, tenant, clock, "cand_1", "cand_2", "cand_3")
            for row in await session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids[:2]))):
                row.key, row.payload = f"ghost_{row.id}", None
            await session.flush()

            answer = await dead_letters.replay(
                session,
                tenant_id=tenant.id,
                ids=None,
                replay_all=True,
                rebuild=push_service.rebuilder(tenant, now=clock()),
                now=clock(),
                limit=2,
            )
            third = await session.get(OutboxMessage, ids[2])

        assert (answer.replayed, answer.skipped, answer.remaining) == (ids[2:], ids[:2], 2)
        assert third is not None and third.state is State.PENDING

    async def test_another_tenants_row_is_not_found_and_nothing_is_replayed(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            other = (await make_tenant(session, ctx)).tenant
            [mine] = await _dead_candidates(session, tenant, clock, "cand_1")
            [theirs] = await _dead_candidates(session, other, clock, "cand_1")

            with pytest.raises(NotFound):
                await push_service.replay_dead_letters(
                    session, tenant=tenant, ids=[mine, theirs], replay_all=False, now=clock()
                )
            still = (await _row(session, tenant.id, "cand_1")).state

        assert still == State.DEAD

    @pytest.mark.parametrize(("ids", "replay_all"), [(None, False), ([1], True), (list(range(1, 4)), False)])
    async def test_a_request_must_name_rows_or_all_within_the_cap(
        self, ctx: AppContext, ids: list[int] | None, replay_all: bool
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            with pytest.raises(Unprocessable):
                await dead_letters.replay(
                    session, tenant_id=tenant.id, ids=ids, replay_all=replay_all, rebuild=_unchanged,
                    now=ctx.clock(), limit=2,
                )  # fmt: skip
