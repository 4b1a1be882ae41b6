"""The pull between the LinkedIn simulator (InMails, notes, stubs) and the fake ATS, in process over httpx on
the shared test clock, with an active tenant whose seats were read from LinkedIn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.links import service as link_service
from rsc_service.links.models import LinkSource
from rsc_service.pull import jobs
from rsc_service.pull.models import PullCursor, PulledItem
from rsc_service.pull.service import RunReport
from rsc_service.tenants.apps import TenantApps
from rsc_service.tenants.models import Stage, Tenant
from tests.conftest import FrozenClock
from tests.flows.conftest import clocked_apps
from tests.seats.conftest import (  # noqa: F401 - fixtures shared with the seat flows
    ALICE,
    BOB,
    Tenancy,
    add_user,
    app,
    ats_sim,
    ats_world,
    ctx_li,
    ctx_seats,
    delivered,
    dispatcher,
    li_world,
    linkedin_http,
    linkedin_sim,
    refresh,
    service_asgi,
    sim_config,
    tenancy,
)

CONTRACT = "urn:li:contract:2001"


@dataclass
class Pull:
    """One wired world: the service's context, both simulators, the tenant and its seats."""

    ctx: AppContext
    apps: TenantApps
    ats: FastAPI
    linkedin: httpx.AsyncClient
    tenancy: Tenancy
    clock: FrozenClock
    rita: str  # ATS user connected to seat 3001 (Alice's seat)

    async def run(self) -> RunReport:
        async def sleep(seconds: float) -> None:
            self.clock.advance(seconds=seconds)

        return await jobs.pull_now(self.ctx, self.apps, tenant_keys=[self.tenancy.key], sleep=sleep)

    def candidate(self, first: str = "Dan", last: str = "Candidate", **fields: Any) -> str:
        record = ats_world(self.ats).create("candidate", {"first_name": first, "last_name": last} | fields)
        return str(record["id"])

    async def link(self, candidate: str, member: str, source: LinkSource = LinkSource.MANUAL) -> None:
        async with self.ctx.sessionmaker.begin() as session:
            await link_service.set_link(
                session,
                tenant_id=self.tenancy.tenant_id,
                ats_candidate_id=candidate,
                member_urn=member,
                source=source,
                now=self.clock(),
            )

    async def inmail(
        self, seat: int, member: str, subject: str = "Hello", body: str = "Are you open?"
    ) -> str:
        response = await self.linkedin.post(
            "/_sim/inmails", json={"seat": seat, "member": member, "subject": subject, "body": body}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    async def reply(
        self, event: str, *, email: bool, phone: bool, body: str = "Yes, call me"
    ) -> dict[str, Any]:
        response = await self.linkedin.post(
            f"/_sim/inmails/{event}/reply", json={"body": body, "shareEmail": email, "sharePhone": phone}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def note(self, seat: int, member: str, text: str, note_id: str | None = None) -> str:
        payload: dict[str, Any] = {"seat": seat, "member": member, "note": text}
        if note_id is not None:
            payload["id"] = note_id
        response = await self.linkedin.post("/_sim/prospect-notes", json=payload)
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def records(self, kind: str) -> list[dict[str, Any]]:
        return [dict(r) for r in ats_world(self.ats).stores[kind].records.values()]

    def duplicates(self) -> list[dict[str, Any]]:
        return list(ats_world(self.ats).duplicates)

    async def items(self) -> list[PulledItem]:
        async with self.ctx.sessionmaker() as session:
            return list((await session.scalars(select(PulledItem).order_by(PulledItem.id))).all())

    async def cursors(self) -> list[PullCursor]:
        async with self.ctx.sessionmaker() as session:
            return list((await session.scalars(select(PullCursor).order_by(PullCursor.id))).all())


@pytest.fixture
async def pull(
    ctx_seats: AppContext,  # noqa: F811
    ats_sim: FastAPI,  # noqa: F811
    linkedin_http: httpx.AsyncClient,  # noqa: F811
    tenancy: Tenancy,  # noqa: F811
    client: httpx.AsyncClient,
    app: FastAPI,  # noqa: F811
    clock: FrozenClock,
) -> Pull:
    rita = add_user(ats_sim, ALICE, name="Rita")
    add_user(ats_sim, BOB, name="Bob")
    await delivered(ats_sim)
    # The records the pull writes would be posted back as webhooks; the pull does not read them.
    ats_sim.state.webhooks.pause()
    await refresh(client, tenancy)  # seats 3001-3003 stored; 3001 and 3002 connected by email
    async with ctx_seats.sessionmaker.begin() as session:
        tenant = await session.get(Tenant, tenancy.tenant_id)
        assert tenant is not None
        tenant.stage = Stage.ACTIVE
    ctx_seats.settings.pull.initial_lookback_hours = 1
    # One connection serves the whole test (savepoint tier), so tenants take turns on it.
    ctx_seats.settings.pull.concurrency = 1
    return Pull(ctx_seats, clocked_apps(ctx_seats, clock), ats_sim, linkedin_http, tenancy, clock, rita)
