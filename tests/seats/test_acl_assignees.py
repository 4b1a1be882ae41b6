"""Seats at work: a restricted job reaches LinkedIn with its hiring team's seat holders as ACL assignees, and
the push reads who holds a seat once per batch, never once per record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from rsc_service.context import AppContext
from rsc_service.integrations.ats import parse_event
from rsc_service.mirror import changes
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.push import service as push_service
from rsc_service.simulators.linkedin.recruiter import acl_allows
from rsc_service.tenants import service as tenant_service
from tests.conftest import FrozenClock
from tests.factories import job, tombstone
from tests.flows.conftest import assert_all_done, drain
from tests.seats.conftest import ALICE, BOB, ORG, Tenancy, add_user, ats_world, delivered, li_world, refresh


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


@contextmanager
def seat_reads(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements that read the seats table while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM seats" in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


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

        with seat_reads(ctx.engine) as restricted_reads:
            async with ctx.sessionmaker.begin() as session:
                await push_service.apply_ats_changes(session, [(tenant, c) for c in jobs], now=ctx.clock())
        with seat_reads(ctx.engine) as plain_reads:
            async with ctx.sessionmaker.begin() as session:
                await push_service.apply_ats_changes(session, [(tenant, c) for c in plain], now=ctx.clock())

        with seat_reads(ctx.engine) as deletion_reads:  # a deletion names no team: the stored job does
            async with ctx.sessionmaker.begin() as session:
                await push_service.apply_ats_changes(session, [(tenant, c) for c in deleted], now=ctx.clock())

        assert len(restricted_reads) == 1, restricted_reads
        assert plain_reads == []
        assert len(deletion_reads) == 1, deletion_reads
