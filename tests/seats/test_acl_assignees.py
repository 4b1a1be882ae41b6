"""Seats at work: a restricted job reaches LinkedIn with its hiring team's seat holders as ACL assignees, and
the push reads who holds a seat once per batch, never once per record."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.integrations.ats import parse_event
from rsc_service.mirror import changes
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.push import service as push_service
from rsc_service.simulators.linkedin.recruiter import acl_allows
from rsc_service.tenants import service as tenant_service
from tests.conftest import FrozenClock
from tests.factories import job, tombstone
from tests.flows.conftest import assert_all_done, drain
from tests.observe import statements
from tests.seats.conftest import (
    ALICE,
    BOB,
    CAROL,
    ORG,
    Tenancy,
    add_user,
    ats_world,
    delivered,
    li_world,
    refresh,
    seats_by_urn,
)


def _team(*users: str) -> list[dict[str, str]]:
    return [{"user_id": user, "role": "recruiter"} for user in users]


class TestRestrictedJobs:
    async def test_a_restricted_job_carries_its_seat_holders_as_acl_assignees(
        self,
        client: httpx.AsyncClient,
        tenancy: Tenancy,
        ats_sim: FastAPI,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        ctx_seats: AppContext,
        clock: FrozenClock,
    ) -> None:
        alice = add_user(ats_sim, ALICE)
        bob = add_user(ats_sim, BOB)
        rita = add_user(ats_sim, "rita@sim-customer.example")  # no seat
        await delivered(ats_sim)
        report = await refresh(client, tenancy)
        assert report["connected"] == 2
        created = ats_world(ats_sim).create(
            "job",
            {
                "title": "Robotics Engineer",
                "description": "Build arms that sort parcels.",
                "location": {"city": "Austin", "region": "TX", "country": "US"},
                "restricted": True,
                "hiring_team": _team(alice, bob, rita),
            },
        )
        await delivered(ats_sim)

        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_seats)
        world = li_world(linkedin_sim)
        acls = {
            dict(key)["atsEntityAclId"]
            for key, _ in world.collection("atsEntityAcls").where(
                integrationContext=ORG, atsEntityId=created["id"]
            )
        }
        assert acls == {f"user-{alice}", f"user-{bob}", f"user-{rita}"}
        assignees = {
            (dict(key)["atsEntityAclId"], dict(key)["assignee"])
            for key, _ in world.collection("atsEntityAclAssignees").where(integrationContext=ORG)
        }
        assert assignees == {(f"user-{alice}", "urn:li:person:m1001"), (f"user-{bob}", "urn:li:person:m1002")}
        assert acl_allows(world, ORG, created["id"], "urn:li:person:m1001")
        assert acl_allows(world, ORG, created["id"], "urn:li:person:m1002")
        assert not acl_allows(world, ORG, created["id"], "urn:li:person:m1003")  # carol: not on the team


def _assignees(linkedin_sim: FastAPI) -> set[tuple[str, str]]:
    return {
        (dict(key)["atsEntityAclId"], dict(key)["assignee"])
        for key, _ in li_world(linkedin_sim).collection("atsEntityAclAssignees").where(integrationContext=ORG)
    }


class TestSeatsChangingHands:
    """The assignee of a user's group is the seat's holder: when seats change hands, LinkedIn is told, and the
    restricted job is shown to whoever holds the seat now (docs/linkedin.md#job-acls)."""

    async def test_unassigning_assigning_and_a_seat_leaving_linkedin_move_the_assignees(
        self,
        client: httpx.AsyncClient,
        tenancy: Tenancy,
        ats_sim: FastAPI,
        linkedin_sim: FastAPI,
        dispatcher: Dispatcher,
        ctx_seats: AppContext,
        clock: FrozenClock,
    ) -> None:
        alice = add_user(ats_sim, ALICE)
        bob = add_user(ats_sim, BOB)
        carol = add_user(ats_sim, CAROL)  # holds a seat, not on the team
        await delivered(ats_sim)
        assert (await refresh(client, tenancy))["connected"] == 3
        created = ats_world(ats_sim).create(
            "job",
            {
                "title": "Robotics Engineer",
                "description": "Build arms that sort parcels.",
                "location": {"city": "Austin", "region": "TX", "country": "US"},
                "restricted": True,
                "hiring_team": _team(alice, bob),
            },
        )
        await delivered(ats_sim)
        await drain(dispatcher, clock, rounds=20)
        world = li_world(linkedin_sim)
        m_alice, m_bob, m_carol = "urn:li:person:m1001", "urn:li:person:m1002", "urn:li:person:m1003"
        assert _assignees(linkedin_sim) == {(f"user-{alice}", m_alice), (f"user-{bob}", m_bob)}
        seats = await seats_by_urn(client, tenancy)
        seat_of = {seat["ats_user_id"]: seat["id"] for seat in seats.values()}

        # Alice's seat emptied by hand: she no longer sees the job through it.
        emptied = await client.delete(f"/v1/integration/seats/{seat_of[alice]}/user", headers=tenancy.auth)
        assert emptied.status_code == 204, emptied.text
        await drain(dispatcher, clock, rounds=20)
        assert _assignees(linkedin_sim) == {(f"user-{bob}", m_bob)}
        assert not acl_allows(world, ORG, created["id"], m_alice)

        # Carol's seat given to Alice by hand: Alice's group now holds Carol's seat's member.
        freed = await client.delete(f"/v1/integration/seats/{seat_of[carol]}/user", headers=tenancy.auth)
        assert freed.status_code == 204, freed.text
        given = await client.put(
            f"/v1/integration/seats/{seat_of[carol]}/user", json={"ats_user_id": alice}, headers=tenancy.auth
        )
        assert given.status_code == 200, given.text
        await drain(dispatcher, clock, rounds=20)
        assert _assignees(linkedin_sim) == {(f"user-{bob}", m_bob), (f"user-{alice}", m_carol)}
        assert acl_allows(world, ORG, created["id"], m_carol)

        # Bob's seat no longer active at LinkedIn: the next refresh takes his assignment back.
        bob_seat = next(seat for seat in world.seats.values() if seat.member == "m1002")
        world.seats[bob_seat.seat_id] = replace(bob_seat, state="INACTIVE")
        await refresh(client, tenancy)
        await drain(dispatcher, clock, rounds=20)

        await assert_all_done(ctx_seats)
        assert _assignees(linkedin_sim) == {(f"user-{alice}", m_carol)}
        assert not acl_allows(world, ORG, created["id"], m_bob)

    async def test_a_seat_change_of_a_user_on_no_restricted_team_owes_nothing(
        self,
        client: httpx.AsyncClient,
        tenancy: Tenancy,
        ats_sim: FastAPI,
        ctx_seats: AppContext,
    ) -> None:
        add_user(ats_sim, ALICE)
        await delivered(ats_sim)
        await refresh(client, tenancy)
        seats = await seats_by_urn(client, tenancy)
        held = next(seat for seat in seats.values() if seat["ats_user_id"] is not None)

        emptied = await client.delete(f"/v1/integration/seats/{held['id']}/user", headers=tenancy.auth)

        assert emptied.status_code == 204
        async with ctx_seats.sessionmaker() as session:
            rows = await outbox_service.list_messages(session, tenant_id=tenancy.tenant_id)
        assert [row for row in rows if row.resource == "atsEntityAclAssignees"] == []


def _seat_reads(statement: str) -> bool:
    return "FROM seats" in statement


def _change(event_type: str, data: dict[str, Any], ctx: AppContext) -> changes.Change:
    raw = {
        "type": event_type,
        "id": f"evt_{data['id']}_{data['version']}",
        "occurred_at": ctx.clock().isoformat(),
    }
    return changes.from_event(parse_event(json.dumps(raw | {"data": data})))


class TestOneReadPerBatch:
    async def test_seat_holders_are_read_once_for_a_batch_of_jobs_and_not_at_all_without_one(
        self, ctx: AppContext, tenancy: Tenancy
    ) -> None:
        async with ctx.sessionmaker() as session:
            tenant = await tenant_service.get(session, tenancy.tenant_id)
        team = _team("usr_1", "usr_2")
        jobs = [
            _change("job.created", job(f"job_{n}", restricted=True, hiring_team=team), ctx) for n in range(20)
        ]
        plain = [_change("job.created", job(f"open_{n}"), ctx) for n in range(20)]
        deleted = [_change("job.deleted", tombstone("job", f"job_{n}", 2), ctx) for n in range(20)]

        with statements(ctx.engine, _seat_reads) as restricted_reads:
            async with ctx.sessionmaker.begin() as session:
                await push_service.apply_ats_changes(session, [(tenant, c) for c in jobs], now=ctx.clock())
        with statements(ctx.engine, _seat_reads) as plain_reads:
            async with ctx.sessionmaker.begin() as session:
                await push_service.apply_ats_changes(session, [(tenant, c) for c in plain], now=ctx.clock())

        with statements(
            ctx.engine, _seat_reads
        ) as deletion_reads:  # a deletion names no team: the stored job does
            async with ctx.sessionmaker.begin() as session:
                await push_service.apply_ats_changes(session, [(tenant, c) for c in deleted], now=ctx.clock())

        assert len(restricted_reads) == 1, restricted_reads
        assert plain_reads == []
        assert len(deletion_reads) == 1, deletion_reads
