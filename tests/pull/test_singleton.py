"""One pull at a time, fleet-wide: three workers, each with its own database connections and its own ticks
(slightly skewed), run the real pull job through the scheduler's singleton runner for six ticks of a short
interval against both simulators. Exactly six pull runs are recorded, one per tick, none overlapping, with
consecutive epochs; and a run whose lease moved on writes nothing."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from rsc_service import bootstrap, scheduler
from rsc_service.context import AppContext, open_context
from rsc_service.db.leases import JobLease, JobRun, Lease
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.links import service as link_service
from rsc_service.links.models import LinkSource
from rsc_service.pull import service as pull_service
from rsc_service.pull.models import PullCursor, PulledItem
from rsc_service.pull.service import LEASE_NAME, Fence, LeaseLost
from rsc_service.simulators.ats.app import create_app as create_ats_sim
from rsc_service.simulators.ats.config import AtsSimConfig
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.tenants.models import Stage, Tenant
from tests.conftest import make_settings
from tests.factories import make_tenant

SIM_URL, ATS_URL = "http://linkedin.test", "http://ats.test"
INTERVAL = 2.0
TICKS = 6
SKEW = (0.0, 0.3, -0.3)  # each worker's ticks, against the first one's
FreshDatabase = Callable[[bool], Awaitable[str]]


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def sims() -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    linkedin = create_linkedin_sim(
        SimConfig(task_completion_seconds=0, sync_records_per_window=None, sync_requests_per_day=None),
        clock=_now,
    )
    ats = create_ats_sim(AtsSimConfig(), clock=_now)
    yield linkedin, ats
    await ats.state.webhooks.close()


async def _worker(
    stack: AsyncExitStack, url: str, holder: str, sims: tuple[FastAPI, FastAPI]
) -> bootstrap.Service:
    """A replica: its own engine and pool, LinkedIn and the ATS reached over httpx."""
    settings = make_settings(url, scheduler={"enabled": False, "lease_ttl_seconds": 10, "holder": holder})
    ctx: AppContext = await stack.enter_async_context(open_context(settings))
    li = await stack.enter_async_context(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=sims[0]), base_url=SIM_URL)
    )
    ats = await stack.enter_async_context(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=sims[1]), base_url=ATS_URL)
    )
    client = LinkedInClient(li, api_url=SIM_URL, oauth_url=f"{SIM_URL}/oauth/v2")
    return bootstrap.build(replace(ctx, linkedin=client, ats_http=ats))


async def _active_tenant(ctx: AppContext, ats: FastAPI) -> Tenant:
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(
            session,
            ctx,
            ats_base_url=ATS_URL,
            ats_token="ats-sim-token",
            linkedin_client_id="sim-customer",
            linkedin_client_secret="sim-customer-secret",
            linkedin_organization_urn="urn:li:organization:1001",
        )
        registered.tenant.stage = Stage.ACTIVE
        candidate = ats.state.world.create("candidate", {"first_name": "Dan", "last_name": "Candidate"})
        await link_service.set_link(
            session,
            tenant_id=registered.tenant.id,
            ats_candidate_id=candidate["id"],
            member_urn="urn:li:person:m1004",
            source=LinkSource.MANUAL,
            now=_now(),
        )
        return registered.tenant


class TestOnePullAtATime:
    async def test_three_workers_six_ticks_give_exactly_six_runs_none_overlapping(
        self, fresh_database: FreshDatabase, sims: tuple[FastAPI, FastAPI]
    ) -> None:
        url = await fresh_database(True)
        job = next(j for j in scheduler.JOBS if j.name == "pull")
        interval = timedelta(seconds=INTERVAL)
        async with AsyncExitStack() as stack:
            workers = [await _worker(stack, url, f"w{i}", sims) for i in range(3)]
            await _active_tenant(workers[0].ctx, sims[1])
            linkedin = sims[0].state.world
            began = asyncio.get_running_loop().time() + 0.5

            async def ticks(worker: bootstrap.Service, skew: float) -> None:
                loop = asyncio.get_running_loop()
                for tick in range(TICKS):
                    # Recruiters keep writing notes, so every run has something to pull.
                    if skew == 0.0:
                        from rsc_service.simulators.linkedin import recruiter

                        recruiter.write_note(linkedin, 3001, "m1004", f"Note of tick {tick}")
                    await asyncio.sleep(max(0.0, began + tick * INTERVAL + skew + 0.3 - loop.time()))
                    await scheduler.run_singleton(worker, job, interval)

            await asyncio.gather(*(ticks(w, s) for w, s in zip(workers, SKEW, strict=True)))

            async with workers[0].ctx.sessionmaker() as session:
                runs = (
                    await session.scalars(select(JobRun).where(JobRun.name == "pull").order_by(JobRun.epoch))
                ).all()
                items = (await session.scalars(select(PulledItem))).all()
        assert len(runs) == TICKS, [(r.holder, r.epoch, r.started_at, r.outcome, r.error) for r in runs]
        assert [r.epoch for r in runs] == list(range(1, TICKS + 1))
        assert all(r.outcome == "succeeded" for r in runs), [r.error for r in runs]
        for earlier, later in itertools.pairwise(runs):
            assert earlier.finished_at is not None and earlier.finished_at <= later.started_at
            assert later.started_at - earlier.started_at >= interval * 0.9
        notes = [r for r in sims[1].state.world.stores["note"].records.values() if r.get("external_id")]
        assert len(notes) == len(items) == TICKS  # each tick's note, written once

    async def test_a_run_whose_lease_moved_on_writes_nothing(
        self, fresh_database: FreshDatabase, sims: tuple[FastAPI, FastAPI]
    ) -> None:
        url = await fresh_database(True)
        async with AsyncExitStack() as stack:
            stale, current = [await _worker(stack, url, f"w{i}", sims) for i in range(2)]
            tenant = await _active_tenant(stale.ctx, sims[1])
            from rsc_service.simulators.linkedin import recruiter

            recruiter.write_note(sims[0].state.world, 3001, "m1004", "Written by a recruiter")
            async with stale.ctx.sessionmaker.begin() as session:
                session.add(
                    JobLease(name=LEASE_NAME, holder="w0", epoch=1, expires_at=_now(), last_started_at=_now())
                )
            # The stale worker's lease (epoch 1) ran out and the current one took it (epoch 2).
            async with current.ctx.sessionmaker.begin() as session:
                await session.execute(
                    update(JobLease).where(JobLease.name == LEASE_NAME).values(holder="w1", epoch=2)
                )
            with pytest.raises(LeaseLost):
                await pull_service.run(
                    stale.ctx, stale.tenant_apps, Fence(stale.ctx.sessionmaker, Lease(LEASE_NAME, "w0", 1))
                )
            async with stale.ctx.sessionmaker() as session:
                assert (await session.scalars(select(PulledItem))).all() == []
                cursors = (await session.scalars(select(PullCursor))).all()
            assert all(c.tenant_id == tenant.id and c.position is None for c in cursors)
            assert [
                r for r in sims[1].state.world.stores["note"].records.values() if r.get("external_id")
            ] == []
