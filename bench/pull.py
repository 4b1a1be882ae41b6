"""The pull (docs/pull.md): one tick for one tenant with many seats and many new items, and one tick over many
idle tenants, in process against both simulators over httpx (ASGI transports).

- **busy**: one active tenant, `BENCH_PULL_SEATS` (50) seats and `BENCH_PULL_ITEMS` (10,000) new notes and
  InMails on LinkedIn. One tick's wall time and its ATS writes/s, beside the fake ATS's bare write rate:
  the same number of creates sent one after another straight to a fresh fake ATS through the same client
  and transport, measured in the same run. Every item must land once.
- **idle**: `BENCH_PULL_TENANTS` (1,000) active tenants with nothing new: a first tick (which creates the
  cursors and reads closed profiles), then the measured one. Target: under 60 s.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy import func, select

from rsc_service import bootstrap
from rsc_service.context import AppContext, open_context
from rsc_service.integrations.ats import AtsClient
from rsc_service.integrations.ats import wire as ats
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.links.models import CandidateLink
from rsc_service.pull import jobs
from rsc_service.pull.models import PulledItem
from rsc_service.seats.models import Seat
from rsc_service.settings import load_settings
from rsc_service.simulators.ats.app import create_app as create_ats_sim
from rsc_service.simulators.ats.config import AtsSimConfig
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.simulators.linkedin.seeding import seed_world
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage, Tenant
from rsc_service.tenants.schemas import TenantCreate

from . import common, rig

LINKEDIN_URL, ATS_URL = "http://linkedin.bench", "http://ats.bench"
CONTRACT = "urn:li:contract:2001"
ATS_TOKEN = "ats-sim-token"
IDLE_TARGET_SECONDS = 60.0


def _now() -> datetime:
    return datetime.now(UTC)


def _sim_config() -> SimConfig:
    return SimConfig(
        task_completion_seconds=0,
        sync_records_per_window=None,
        sync_requests_per_day=None,
        prospect_requests_per_day=None,
        export_requests_per_day=None,
    )


def _seed(seats: int, items: int, members: int) -> dict[str, Any]:
    """LinkedIn's world: `seats` seats on the contract, `members` prospects, the items in the last hour."""
    start = int((_now() - timedelta(minutes=50)).timestamp() * 1000)
    step = max(1, 40 * 60 * 1000 // max(items, 1))
    holders = [{"id": f"h{n}", "firstName": "Seat", "lastName": f"Holder {n}"} for n in range(seats)]
    prospects = [{"id": f"p{n}", "firstName": "Pat", "lastName": f"Prospect {n}"} for n in range(members)]
    return {
        "members": holders + prospects,
        "seats": [{"id": 5000 + n, "contract": CONTRACT, "member": f"h{n}"} for n in range(seats)],
        "inmails": [
            {
                "seat": 5000 + n % seats,
                "member": f"p{(n * 7) % members}",
                "body": f"InMail {n}",
                "at": start + n * step,
            }
            for n in range(0, items, 2)
        ],
        "prospectNotes": [
            {
                "id": f"N{n}",
                "seat": 5000 + n % seats,
                "member": f"p{(n * 11) % members}",
                "note": f"Note {n}",
                "at": start + n * step,
            }
            for n in range(1, items, 2)
        ],
    }


@asynccontextmanager
async def _world(kind: str, tmp: Path, seed: dict[str, Any]) -> AsyncIterator[tuple[AppContext, FastAPI]]:
    """The service's context on a fresh database, LinkedIn and the ATS in process."""
    key = Fernet.generate_key().decode()
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(rig.fresh_database(kind, tmp))
        settings = load_settings(
            database={"url": url},
            scheduler={"enabled": False},
            allow_insecure_local=True,
            security={"encryption_keys": [key]},
            logging={"level": "WARNING"},
            pull={"initial_lookback_hours": 2, "concurrency": 4},
        )
        ctx = await stack.enter_async_context(open_context(settings))
        linkedin = create_linkedin_sim(_sim_config(), clock=_now)
        seed_world(linkedin.state.world, seed)
        fake_ats = create_ats_sim(AtsSimConfig(), clock=_now)
        li_http = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=linkedin), base_url=LINKEDIN_URL)
        )
        ats_http = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=fake_ats), base_url=ATS_URL)
        )
        client = LinkedInClient(li_http, api_url=LINKEDIN_URL, oauth_url=f"{LINKEDIN_URL}/oauth/v2")
        yield replace(ctx, linkedin=client, ats_http=ats_http), fake_ats
        await fake_ats.state.webhooks.close()


async def _tenant(ctx: AppContext, n: int) -> Tenant:
    async with ctx.sessionmaker.begin() as session:
        registered = await tenant_service.register(
            session,
            data=TenantCreate(
                name=f"Bench {n}",
                ats_base_url=ATS_URL,
                ats_token=ATS_TOKEN,
                linkedin_organization_urn=rig.ORGANIZATION,
                contracts=[CONTRACT],
                linkedin_client_id="sim-customer",
                linkedin_client_secret="sim-customer-secret",
                linkedin_app_urn=f"urn:li:developerApplication:{1000 + n}",
                linkedin_unique_foreign_id=f"bench-pull-{n}-{uuid.uuid4().hex[:6]}",
            ),
            cipher=ctx.cipher,
            now=_now(),
            allow_insecure_local=True,
        )
        registered.tenant.stage = Stage.ACTIVE
        return registered.tenant


async def _bare_rate(items: int, candidates: list[str]) -> float:
    """Creates per second into a fresh fake ATS, one after another, as the pull sends them."""
    fake_ats = create_ats_sim(AtsSimConfig(), clock=_now)
    ids = [
        fake_ats.state.world.create("candidate", {"first_name": "Pat", "last_name": str(n)})["id"]
        for n in range(len(candidates))
    ]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake_ats), base_url=ATS_URL) as http:
        client = AtsClient(http, base_url=ATS_URL, token=ATS_TOKEN)
        started = time.monotonic()
        for n in range(items):
            candidate = ids[n % len(ids)]
            if n % 2:
                await client.create_note(
                    candidate, ats.NoteCreate(external_id=f"bare:{n}", body=f"Note {n}", written_at=_now())
                )
            else:
                await client.create_email(
                    candidate,
                    ats.EmailCreate(
                        external_id=f"bare:{n}", body=f"InMail {n}", direction="outbound", sent_at=_now()
                    ),
                )
        seconds = time.monotonic() - started
    await fake_ats.state.webhooks.close()
    return items / seconds


async def busy(kind: str, tmp: Path) -> dict[str, Any]:
    seats, items = common.env_int("BENCH_PULL_SEATS", 50), common.env_int("BENCH_PULL_ITEMS", 10_000)
    members = max(1, items // 5)
    async with _world(kind, tmp, _seed(seats, items, members)) as (ctx, fake_ats):
        tenant = await _tenant(ctx, 0)
        world = fake_ats.state.world
        candidates = [
            world.create("candidate", {"first_name": "Pat", "last_name": str(n)})["id"]
            for n in range(members)
        ]
        fake_ats.state.webhooks.pause()
        async with ctx.sessionmaker.begin() as session:
            for n in range(seats):
                session.add(
                    Seat(
                        tenant_id=tenant.id,
                        contract_urn=CONTRACT,
                        seat_id=str(5000 + n),
                        member_urn=f"urn:li:person:h{n}",
                        active=True,
                        roles=[],
                        first_name="Seat",
                        last_name=f"Holder {n}",
                        refreshed_at=_now(),
                    )
                )
            for n, candidate in enumerate(candidates):
                session.add(
                    CandidateLink(
                        tenant_id=tenant.id,
                        ats_candidate_id=candidate,
                        member_urn=f"urn:li:person:p{n}",
                        source="manual",
                        linked_at=_now(),
                    )
                )
        apps = bootstrap.tenant_apps(ctx)
        bare = await _bare_rate(items, candidates)
        started = time.monotonic()
        report = await jobs.pull_now(ctx, apps)
        seconds = time.monotonic() - started
        async with ctx.sessionmaker() as session:
            recorded = int(await session.scalar(select(func.count()).select_from(PulledItem)) or 0)
        written = report.written
        landed = len(
            [
                r
                for kind_ in ("note", "email")
                for r in world.stores[kind_].records.values()
                if r.get("external_id")
            ]
        )
    rate = written / seconds if seconds else None
    return {
        "seats": seats,
        "items": items,
        "written": written,
        "recorded": recorded,
        "landed_in_ats": landed,
        "duplicates": len(world.duplicates),
        "errors": report.failed,
        "seconds": round(seconds, 2),
        "ats_writes_per_s": round(rate, 1) if rate else None,
        "bare_ats_writes_per_s": round(bare, 1),
        "ratio_to_bare": common.ratio(rate, bare),
    }


async def idle(kind: str, tmp: Path) -> dict[str, Any]:
    tenants = common.env_int("BENCH_PULL_TENANTS", 1000)
    async with _world(kind, tmp, {}) as (ctx, _):
        started = time.monotonic()
        for n in range(tenants):
            tenant = await _tenant(ctx, n)
            async with ctx.sessionmaker.begin() as session:
                session.add(
                    Seat(
                        tenant_id=tenant.id,
                        contract_urn=CONTRACT,
                        seat_id="3001",
                        member_urn="urn:li:person:m1001",
                        active=True,
                        roles=[],
                        refreshed_at=_now(),
                    )
                )
        registered = time.monotonic() - started
        apps = bootstrap.tenant_apps(ctx)
        started = time.monotonic()
        first = await jobs.pull_now(ctx, apps)
        cold = time.monotonic() - started
        started = time.monotonic()
        second = await jobs.pull_now(ctx, apps)
        seconds = time.monotonic() - started
    return {
        "tenants": tenants,
        "register_seconds": round(registered, 1),
        "first_tick_seconds": round(cold, 2),
        "seconds": round(seconds, 2),
        "tenants_pulled": len(second.tenants),
        "errors": sorted(set(first.failed) | set(second.failed))[:5],
    }


def targets(result: dict[str, Any]) -> list[common.Check]:
    busy_, idle_ = result["busy"], result["idle"]
    return [
        common.equals("busy: items written", busy_["written"], busy_["items"]),
        common.equals("busy: each item once in the ATS", busy_["landed_in_ats"], busy_["items"]),
        common.equals("busy: errors", busy_["errors"], []),
        common.equals("idle: tenants pulled", idle_["tenants_pulled"], idle_["tenants"]),
        common.equals("idle: errors", idle_["errors"], []),
        common.below("idle: one tick", idle_["seconds"], IDLE_TARGET_SECONDS, " s"),
    ]


async def run() -> tuple[dict[str, Any], bool]:
    results: dict[str, Any] = {}
    passed = True
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for kind in common.databases():
            print(f"== pull on {kind} ==", flush=True)
            result: dict[str, Any] = {}
            started = time.monotonic()
            result["busy"] = await busy(kind, tmp)
            print(f"  busy: {result['busy']}  ({time.monotonic() - started:.0f} s)", flush=True)
            started = time.monotonic()
            result["idle"] = await idle(kind, tmp)
            print(f"  idle: {result['idle']}  ({time.monotonic() - started:.0f} s)", flush=True)
            result["targets"], ok = common.report(targets(result))
            passed &= ok
            results[kind] = result
    return results, passed
