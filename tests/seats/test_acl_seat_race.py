"""A restricted job pushed while a seat changes hands (docs/linkedin.md#job-acls): the two take turns on the
tenant's seat holders, and whichever commits second sees the other's rows. Otherwise neither sees the other's
uncommitted rows: a seat given meanwhile leaves the user's ACL group with no assignee (the user cannot see the
job in Recruiter), and a seat emptied meanwhile leaves the former holder assigned for good.

Committed data on a database of the module's own with the service's own pool (tests/committed.py), so the
two transactions run on two connections, as in production. PostgreSQL only: SQLite has one writer."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import update

from rsc_service.context import AppContext
from rsc_service.integrations.ats import parse_event
from rsc_service.mirror import changes
from rsc_service.outbox import dead_letters
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State
from rsc_service.push import service as push_service
from rsc_service.seats import matching
from rsc_service.seats import repository as seat_repository
from rsc_service.seats import service as seat_service
from rsc_service.seats.models import Seat
from rsc_service.tenants.models import Stage, Tenant
from tests.committed import database_url, engine, sessionmaker, settings  # noqa: F401
from tests.factories import job, make_tenant

MEMBER = "urn:li:person:m1001"
ORG = "urn:li:organization:1001"
CONTRACT = "urn:li:contract:2001"
ALICE = "alice@sim-customer.example"
ACL = "user-usr_alice/job_7"
ASSIGNEE = "user-usr_alice/urn%3Ali%3Aperson%3Am1001"


@pytest.fixture(autouse=True)
def _postgresql_only(ctx: AppContext) -> None:
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: the two transactions cannot overlap")


def _restricted_job(ctx: AppContext) -> changes.Change:
    data = job("job_7", restricted=True, hiring_team=[{"user_id": "usr_alice", "role": "recruiter"}])
    raw: dict[str, Any] = {
        "type": "job.created",
        "id": "evt_job_7_1",
        "occurred_at": ctx.clock().isoformat(),
        "data": data,
    }
    return changes.from_event(parse_event(json.dumps(raw)))


async def _tenant_with_seat(ctx: AppContext, *, held: bool) -> tuple[Tenant, Seat]:
    """An active tenant and its one active seat, held by Alice (`held`, by hand) or empty."""
    async with ctx.sessionmaker.begin() as session:
        tenant = (await make_tenant(session, ctx, linkedin_organization_urn=ORG)).tenant
        tenant.stage = Stage.ACTIVE
        seat = Seat(
            tenant_id=tenant.id,
            contract_urn=CONTRACT,
            seat_id="1001",
            member_urn=MEMBER,
            email=ALICE,
            active=True,
            roles=[],
            refreshed_at=ctx.clock(),
        )
        if held:
            seat.ats_user_id, seat.assigned_by, seat.assigned_at = "usr_alice", matching.MANUAL, ctx.clock()
        session.add(seat)
    return tenant, seat


async def _acl_rows(ctx: AppContext, tenant: Tenant) -> tuple[set[str], set[str]]:
    """(live ACL keys, live assignee keys) in the tenant's outbox."""
    async with ctx.sessionmaker() as session:
        rows = await outbox_service.list_messages(session, tenant_id=tenant.id)
    live = [row for row in rows if row.op is not Op.DELETE]
    return (
        {row.key for row in live if row.resource == "atsEntityAcls"},
        {row.key for row in live if row.resource == "atsEntityAclAssignees"},
    )


async def _push_overlapping(ctx: AppContext, tenant: Tenant, seat_change: Any) -> None:
    """The webhook's transaction applies the restricted job; `seat_change` runs in a transaction of its own
    meanwhile, and the push commits while it is under way."""
    pushing = ctx.sessionmaker()
    await pushing.begin()
    await push_service.apply_ats_changes(pushing, [(tenant, _restricted_job(ctx))], now=ctx.clock())

    async def change() -> None:
        async with ctx.sessionmaker.begin() as session:
            await seat_change(session)

    changing = asyncio.create_task(change())
    await asyncio.sleep(0.5)
    await pushing.commit()
    await pushing.close()
    await asyncio.wait_for(changing, timeout=30)


async def test_a_seat_given_while_a_restricted_job_is_pushed_still_gets_its_assignee(ctx: AppContext) -> None:
    """The push reads Alice without a seat; the admin's assignment, made meanwhile, owes her group's assignee
    once it sees the job's ACL the push owed."""
    tenant, seat = await _tenant_with_seat(ctx, held=False)

    async def admin_assigns(session: Any) -> None:  # PUT /v1/integration/seats/{id}/user
        await seat_service.assign(session, tenant.id, seat.id, "usr_alice", now=ctx.clock())

    await _push_overlapping(ctx, tenant, admin_assigns)

    acls, assignees = await _acl_rows(ctx, tenant)
    assert acls == {ACL}
    # Alice holds the seat and is on the restricted job's team: her group needs her seat's member.
    assert assignees == {ASSIGNEE}


async def test_a_seat_emptied_while_a_restricted_job_is_pushed_leaves_no_assignee(ctx: AppContext) -> None:
    """The push reads Alice's seat holder before the admin empties the seat: the unassignment, once it sees
    the assignee the push owed, owes its deletion, so LinkedIn does not go on showing the job to a member who
    no longer holds Alice's seat."""
    tenant, seat = await _tenant_with_seat(ctx, held=True)

    async def admin_unassigns(session: Any) -> None:  # DELETE /v1/integration/seats/{id}/user
        await seat_service.unassign(session, tenant.id, seat.id, now=ctx.clock())

    await _push_overlapping(ctx, tenant, admin_unassigns)

    async with ctx.sessionmaker() as session:
        emptied = await session.get(Seat, seat.id)
    assert emptied is not None and emptied.ats_user_id is None
    acls, assignees = await _acl_rows(ctx, tenant)
    assert acls == {ACL}
    assert assignees == set()  # the seat is empty: no member may be assigned to Alice's group


async def test_a_refresh_connecting_a_seat_while_a_restricted_job_is_pushed_owes_the_assignee(
    ctx: AppContext,
) -> None:
    """The same with a refresh connecting Alice to her seat by email."""
    tenant, _ = await _tenant_with_seat(ctx, held=False)
    listing = seat_service.Listing(
        seats=[
            seat_service.ListedSeat(
                contract_urn=CONTRACT,
                seat_id="1001",
                member_urn=MEMBER,
                email=ALICE,
                first_name="Alice",
                last_name="A",
                active=True,
                roles=[],
            )
        ],
        users=[matching.User("usr_alice", ALICE, "Alice", "A", True)],
    )

    async def refresh(session: Any) -> None:
        report = await seat_service.apply(session, tenant.id, listing, now=ctx.clock())
        assert report.connected == 1

    await _push_overlapping(ctx, tenant, refresh)

    acls, assignees = await _acl_rows(ctx, tenant)
    assert acls == {ACL}
    assert assignees == {ASSIGNEE}


async def test_a_push_while_a_seat_is_being_given_waits_and_owes_the_assignee(ctx: AppContext) -> None:
    """The other way round: the assignment is under way when the push reads the seat holders. The push waits
    for it and reads Alice's new seat, as the assignment found no ACL of Alice's to give an assignee."""
    tenant, seat = await _tenant_with_seat(ctx, held=False)
    assigning = ctx.sessionmaker()
    await assigning.begin()
    await seat_service.assign(assigning, tenant.id, seat.id, "usr_alice", now=ctx.clock())

    async def push() -> None:
        async with ctx.sessionmaker.begin() as session:
            await push_service.apply_ats_changes(session, [(tenant, _restricted_job(ctx))], now=ctx.clock())

    pushing = asyncio.create_task(push())
    await asyncio.sleep(0.5)
    await assigning.commit()
    await assigning.close()
    await asyncio.wait_for(pushing, timeout=30)

    acls, assignees = await _acl_rows(ctx, tenant)
    assert acls == {ACL}
    assert assignees == {ASSIGNEE}


async def test_a_dead_letter_replay_and_a_seat_change_do_not_deadlock(ctx: AppContext) -> None:
    """A replay locks its dead rows, then rebuilds the job from the mirror, reading its seat holders. A seat
    change that has its turn on them and then owes the assignee's deletion must not be left waiting for a
    dead assignee row the replay locked while the replay waits for its turn: the replay takes its turn
    first (docs/linkedin.md#job-acls)."""
    tenant, seat = await _tenant_with_seat(ctx, held=True)
    async with ctx.sessionmaker.begin() as session:
        await push_service.apply_ats_changes(session, [(tenant, _restricted_job(ctx))], now=ctx.clock())
    async with ctx.sessionmaker.begin() as session:  # LinkedIn refused the job and Alice's assignment
        dead = (
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.tenant_id == tenant.id,
                    OutboxMessage.resource.in_(["simpleJobPostings", "atsEntityAclAssignees"]),
                )
                .values(state=State.DEAD, attempts=1, last_error="422 refused")
                .returning(OutboxMessage.id)
            )
        ).scalars()
        dead_ids = sorted(dead)
    assert len(dead_ids) == 2

    # The admin empties Alice's seat; the change has its turn on the seat holders when the replay begins.
    unassigning = ctx.sessionmaker()
    await unassigning.begin()
    await seat_repository.hold_holders(unassigning, tenant.id, exclusive=True)

    async def replay() -> dead_letters.Replayed:
        async with ctx.sessionmaker.begin() as session:
            return await push_service.replay_dead_letters(
                session, tenant=tenant, ids=dead_ids, replay_all=False, now=ctx.clock()
            )

    replaying = asyncio.create_task(replay())
    await asyncio.sleep(0.5)
    await seat_service.unassign(unassigning, tenant.id, seat.id, now=ctx.clock())
    await unassigning.commit()
    await unassigning.close()
    replayed = await asyncio.wait_for(replaying, timeout=30)

    # The unassignment owed the assignee's deletion; the job is sent again, with no assignee for Alice.
    assert replayed.remaining == 0
    acls, assignees = await _acl_rows(ctx, tenant)
    assert acls == {ACL}
    assert assignees == set()
