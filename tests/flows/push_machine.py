"""A state machine over random ATS histories and the push, with crashes between claim, send and settle.

Each candidate's current title and each application's source carry the record's ATS version, so LinkedIn's
write history of a key reads as a sequence of versions.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import func, select

from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.outbox import repository as outbox_repository
from rsc_service.outbox.dispatcher import DispatchSettings
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.simulators.ats.world import World as AtsWorld
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.simulators.linkedin.world import World as LinkedInWorld
from tests.conftest import FrozenClock
from tests.factories import Ats, make_tenant
from tests.flows.conftest import SIM_URL, HeldAnswers, add_fault, clocked_dispatcher

T = TypeVar("T")
ORG = "urn:li:organization:1001"
LEASE = timedelta(seconds=120)
EXAMPLES = 200 if os.environ.get("CI") else 30


@dataclass
class Harness:
    """What every example shares: one event loop, one committed database, the service and a clock."""

    loop: asyncio.AbstractEventLoop
    ctx: AppContext
    app: FastAPI
    service_http: httpx.AsyncClient
    clock: FrozenClock
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)


HARNESS: list[Harness] = []
# What the examples exercised, so a run that never reached the interesting cases cannot pass quietly.
SEEN: Counter[str] = Counter()


def title(version: int) -> str:
    return f"v{version}"


# Per ATS kind: LinkedIn's collection, its key fields, and the field that carries the ATS version.
KINDS: dict[str, tuple[str, str, str, str]] = {
    "candidate": ("atsCandidates", "atsCandidateId", "currentJobTitle", "current_title"),
    "application": ("atsApplications", "atsJobApplicationId", "source", "source"),
}


def version_of(kind: str, record: dict[str, Any] | None) -> int | None:
    if record is None:
        return None
    return int(str(record[KINDS[kind][2]]).removeprefix("v"))


class PushMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.h = HARNESS[0]
        self.clock = self.h.clock
        self.sim = create_linkedin_sim(
            SimConfig(task_completion_seconds=0, sync_records_per_window=None, sync_requests_per_day=None),
            clock=self.clock,
        )
        self.sim_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.sim), base_url=SIM_URL)
        linkedin = LinkedInClient(
            self.sim_http, api_url=SIM_URL, oauth_url=f"{SIM_URL}/oauth/v2", clock=self.clock
        )
        self.ctx = replace(self.h.ctx, linkedin=linkedin)
        self.dispatcher = clocked_dispatcher(
            self.ctx, self.clock, settings=DispatchSettings(concurrency=2, lease=LEASE)
        )
        registered = self.h.run(self._register())
        self.tenant_id = registered.tenant.id
        self.ats = Ats(
            client=self.h.service_http,
            clock=self.clock,
            tenant_key=registered.tenant.key,
            secret=registered.webhook_secret,
        )
        self.world = AtsWorld(self.clock)
        self.pending: list[dict[str, Any]] = []
        self.delivered: list[dict[str, Any]] = []
        self.world.listeners.append(self.pending.append)
        # Versions at which the ATS deleted each record: a LinkedIn delete must stand for one of them.
        self.deletions: dict[tuple[str, str], list[int]] = {}
        self.job = self.world.create(
            "job", {"title": "Picker", "description": "Picks.", "location": {"city": "Lyon", "country": "FR"}}
        )

    async def _register(self) -> Any:
        async with self.h.ctx.sessionmaker.begin() as session:
            return await make_tenant(
                session,
                self.h.ctx,
                linkedin_client_id="sim-customer",
                linkedin_client_secret="sim-customer-secret",
                linkedin_app_urn=f"urn:li:developerApplication:{uuid.uuid4().int % 10**12}",
                linkedin_unique_foreign_id=f"prop-{uuid.uuid4().hex[:12]}",
                linkedin_organization_urn=ORG,
            )

    # --- the ATS --------------------------------------------------------------------------------

    def _ids(self, *, live: bool, kind: str = "candidate") -> list[str]:
        store = self.world.stores[kind].records
        return sorted(i for i, r in store.items() if ("deleted_at" in r) != live)

    @initialize(count=st.integers(min_value=1, max_value=4))
    def some_candidates_already_synced(self, count: int) -> None:
        for _ in range(count):
            self.create()
        while self.pending:
            self.deliver_any(0)
        self.drain()

    @rule()
    def create(self) -> None:
        self.clock.advance(seconds=1)  # ATS changes are stamped to the second; each its own
        made = len(self._ids(live=False)) + len(self._ids(live=True))
        email = {"address": f"cand{made}@candidates.example", "type": "home"}  # something to match by
        self.world.create(
            "candidate",
            {"first_name": "Cand", "last_name": "Idate", "current_title": title(1), "emails": [email]},
        )

    @precondition(lambda self: self._ids(live=True))
    @rule(pick=st.integers(min_value=0))
    def update(self, pick: int) -> None:
        self.clock.advance(seconds=1)  # ATS changes are stamped to the second; each its own
        live = self._ids(live=True)
        if live:
            ats_id = live[pick % len(live)]
            current = self.world.get("candidate", ats_id)
            self.world.update("candidate", ats_id, {"current_title": title(current["version"] + 1)})

    @precondition(lambda self: self._ids(live=True))
    @rule(pick=st.integers(min_value=0))
    def delete(self, pick: int) -> None:
        self.clock.advance(seconds=1)  # ATS changes are stamped to the second; each its own
        live = self._ids(live=True)
        if live:
            ats_id = live[pick % len(live)]
            self._deleted(self.world.delete("candidate", ats_id))

    def _deleted(self, records: list[dict[str, Any]]) -> None:
        for gone in records:  # the record and the children the ATS deleted with it
            self.deletions.setdefault((gone["kind"], gone["id"]), []).append(gone["version"])

    @precondition(lambda self: self._ids(live=True))
    @rule(pick=st.integers(min_value=0))
    def apply(self, pick: int) -> None:
        self.clock.advance(seconds=1)  # ATS changes are stamped to the second; each its own
        live = self._ids(live=True)
        fields = {"candidate_id": live[pick % len(live)], "job_id": self.job["id"], "source": title(1)}
        self.world.create("application", fields)

    @precondition(lambda self: self._ids(live=True, kind="application"))
    @rule(pick=st.integers(min_value=0))
    def update_application(self, pick: int) -> None:
        self.clock.advance(seconds=1)  # ATS changes are stamped to the second; each its own
        live = self._ids(live=True, kind="application")
        ats_id = live[pick % len(live)]
        current = self.world.get("application", ats_id)
        self.world.update("application", ats_id, {"source": title(current["version"] + 1)})

    @precondition(lambda self: self._ids(live=True, kind="application"))
    @rule(pick=st.integers(min_value=0))
    def withdraw_application(self, pick: int) -> None:
        self.clock.advance(seconds=1)  # ATS changes are stamped to the second; each its own
        live = self._ids(live=True, kind="application")
        self._deleted(self.world.delete("application", live[pick % len(live)]))

    @precondition(lambda self: self._ids(live=False))
    @rule(pick=st.integers(min_value=0))
    def recreate(self, pick: int) -> None:
        """The ATS restores a deleted candidate under its old id, with a newer version."""
        self.clock.advance(seconds=1)
        deleted = self._ids(live=False)
        if deleted:
            ats_id = deleted[pick % len(deleted)]
            record = dict(self.world.get("candidate", ats_id, include_deleted=True))
            record.pop("deleted_at")
            record["version"] += 1
            record["current_title"] = title(record["version"])
            record["updated_at"] = self.world.now()
            self.world.store(record)
            event = {"type": "candidate.created", "id": f"evt_{uuid.uuid4().hex}", "data": dict(record)}
            self.pending.append(event | {"occurred_at": self.world.now()})

    # --- delivery -------------------------------------------------------------------------------

    async def _post(self, event: dict[str, Any]) -> None:
        response = await self.ats.post(event)
        assert response.status_code in {200, 202}, response.text

    @precondition(lambda self: self.pending)
    @rule(pick=st.integers(min_value=0))
    def deliver_any(self, pick: int) -> None:
        """Webhooks arrive in any order: one of the waiting events goes now."""
        if self.pending:
            SEEN["out of order"] += pick % len(self.pending) != 0
            event = self.pending.pop(pick % len(self.pending))
            self.h.run(self._post(event))
            self.delivered.append(event)

    @precondition(lambda self: self.pending)
    @rule()
    def deliver_latest(self) -> None:
        """The newest change overtakes the ones before it (a parent's deletion before its children's)."""
        SEEN["out of order"] += len(self.pending) > 1
        event = self.pending.pop()
        self.h.run(self._post(event))
        self.delivered.append(event)

    @precondition(lambda self: self.delivered)
    @rule(pick=st.integers(min_value=0))
    def deliver_again(self, pick: int) -> None:
        if self.delivered:
            self.h.run(self._post(self.delivered[pick % len(self.delivered)]))
            SEEN["duplicates"] += 1

    # --- the push and its crashes ---------------------------------------------------------------

    @rule()
    def drain(self) -> None:
        self.h.run(self.dispatcher.drain_once())

    @rule(seconds=st.sampled_from([1, 5, 60, LEASE.total_seconds() + 1]))
    def time_passes(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)

    def _arrive(self, pick: int) -> None:
        """One waiting change (if any) arrives first, so the crash below has something to crash on."""
        if self.pending:
            self.deliver_any(pick)

    @rule(pick=st.integers(min_value=0))
    def crash_after_claim(self, pick: int) -> None:
        """A worker claims due rows, then dies before sending: the rows wait for the lease to run out."""
        self._arrive(pick)

        async def claim_and_die() -> None:
            async with self.ctx.sessionmaker.begin() as session:
                rows = await outbox_repository.claim_candidates(
                    session, now=self.clock(), limit=50, per_tenant=50
                )
                await outbox_repository.mark_claimed(
                    session, rows, token=uuid.uuid4(), leased_until=self.clock() + LEASE
                )
            SEEN["claims abandoned"] += len(rows)

        self.h.run(claim_and_die())

    @rule(pick=st.integers(min_value=0))
    def crash_after_send(self, pick: int) -> None:
        """A worker's write reaches LinkedIn, then the worker dies before it can settle the rows."""
        self._arrive(pick)

        async def send_and_die() -> None:
            held = HeldAnswers(httpx.ASGITransport(app=self.sim), prefix="/v2/ats", methods=("PUT", "DELETE"))
            async with httpx.AsyncClient(transport=held, base_url=SIM_URL) as http:
                doomed = clocked_dispatcher(
                    replace(self.ctx, linkedin=LinkedInClient(http, api_url=SIM_URL, clock=self.clock)),
                    self.clock,
                    settings=DispatchSettings(concurrency=1, lease=LEASE),
                )
                worker = asyncio.ensure_future(doomed.drain_once())
                holding = asyncio.ensure_future(held.held.wait())
                await asyncio.wait([worker, holding], return_when=asyncio.FIRST_COMPLETED)
                SEEN["sends abandoned"] += held.held.is_set()
                for task in (worker, holding):
                    task.cancel()
                await asyncio.gather(worker, holding, return_exceptions=True)

        self.h.run(send_and_die())

    @rule(pick=st.integers(min_value=0))
    def applied_without_answer(self, pick: int) -> None:
        """LinkedIn applies a write but its answer never comes (the simulator's hang_after fault)."""
        self._arrive(pick)

        async def hang_once() -> None:
            await add_fault(self.sim_http, kind="hang_after", count=1, hangSeconds=0, pathPrefix="/v2/ats")
            await self.dispatcher.drain_once()
            await self.sim_http.delete("/_sim/faults")

        self.h.run(hang_once())

    # --- what must always hold ------------------------------------------------------------------

    @invariant()
    def linkedin_never_goes_back(self) -> None:
        for kind in KINDS:
            for ats_id in self.world.stores[kind].records:
                self._check_history(kind, ats_id)

    def _stored(self, kind: str, ats_id: str) -> tuple[dict[str, Any] | None, list[Any]]:
        world: LinkedInWorld = self.sim.state.world
        resource, id_field = KINDS[kind][:2]
        key = {id_field: ats_id, "dataProvider": "ATS", "integrationContext": ORG}
        return world.record(resource, **key), world.history(resource, **key)

    def _check_history(self, kind: str, ats_id: str) -> None:
        history = self._stored(kind, ats_id)[1]
        deletions = self.deletions.get((kind, ats_id), [])
        last_put: int | None = None
        deleted_after: int | None = None  # the version LinkedIn last deleted at, if any
        for entry in history:
            version = version_of(kind, entry.record)
            if version is None:  # a delete: it must stand for an ATS deletion newer than what it removed
                assert any(d > (last_put or 0) for d in deletions), (kind, ats_id, history)
                deleted_after = min(d for d in deletions if d > (last_put or 0))
                continue
            assert last_put is None or version >= last_put, f"older after newer: {kind} {ats_id} {history}"
            if deleted_after is not None:
                assert version > deleted_after, f"resurrected {kind} {ats_id} at v{version}: {history}"
                deleted_after = None
            last_put = version

    def teardown(self) -> None:
        try:
            self.h.run(self._converge())
        finally:
            self.h.run(self.sim_http.aclose())

    async def _converge(self) -> None:
        """Every webhook arrives at last; leases run out; the push drains; then LinkedIn equals the ATS."""
        await self.sim_http.delete("/_sim/faults")
        for event in self.pending:
            await self._post(event)
        self.pending.clear()
        for _ in range(50):
            if await self._unsettled() == 0:
                break
            await self.dispatcher.drain_once()
            self.clock.advance(seconds=LEASE.total_seconds() + 1)
        assert await self._unsettled() == 0, await self._rows()
        world: LinkedInWorld = self.sim.state.world
        for kind, (resource, *_) in KINDS.items():
            for ats_id, record in self.world.stores[kind].records.items():
                stored = self._stored(kind, ats_id)[0]
                if "deleted_at" in record:
                    assert stored is None, f"{kind} {ats_id} is deleted in the ATS but not on LinkedIn"
                else:
                    assert version_of(kind, stored) == record["version"], (kind, ats_id, record, stored)
                self._check_history(kind, ats_id)
            assert len(world.collection(resource).records) == len(self._ids(live=True, kind=kind))
        SEEN["applications"] += len(world.collection("atsApplications").history)
        for entries in world.collection("atsCandidates").history.values():
            SEEN["puts"] += sum(entry.record is not None for entry in entries)
            SEEN["deletes"] += sum(entry.record is None for entry in entries)
            ops = [entry.record is None for entry in entries]
            SEEN["re-created after a delete"] += any(a and not b for a, b in itertools.pairwise(ops))

    async def _rows(self) -> list[tuple[str, str, str, int, str | None]]:
        async with self.ctx.sessionmaker() as session:
            rows = await session.scalars(
                select(OutboxMessage).where(OutboxMessage.tenant_id == self.tenant_id)
            )
            return [(r.resource, r.key, str(r.state), r.attempts, r.last_error) for r in rows]

    async def _unsettled(self) -> int:
        async with self.ctx.sessionmaker() as session:
            count = await session.scalar(
                select(func.count()).where(
                    OutboxMessage.tenant_id == self.tenant_id,
                    OutboxMessage.state.not_in([State.DONE, State.DEAD]),
                )
            )
        return int(count or 0)
