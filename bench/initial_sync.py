"""The initial sync benchmark: a customer's ATS of 100,000 candidates, each with an application, walked into
the LinkedIn simulator by `rsc-service backfill --tenant KEY` (the sync in the foreground, sending from its
own process) until the tenant is `active`, both sides throttled alike, beside the floor LinkedIn's sliding
window allows.

Per database: a probe first, the same sync of a smaller ATS with no limit anywhere, gives the service's own
unthrottled sync rate (LinkedIn records per second, from the command's start to `active`). Then the full
sync, with the simulator's `sync_records_per_window` and the service's `records_per_minute` both R. Its floor
is `push.backlog_floor(N, R, probe rate)` for the N LinkedIn records the sync owed (every outbox row of the
tenant): ceil(N/R) - 1 full windows, plus the remainder at the unthrottled rate.

R is LinkedIn's own budget by default (10,000 records a minute, the service's default too), not scaled down:
the service's window is 60 s whatever the settings (throttle/service.py), so only R can be scaled, and a
lower R only lengthens the run; and the sync of 100,000 candidates is about 480,000 LinkedIn records (each
application's stage history is one record per stage, sent one request per application), which the service
itself sends at a few hundred a second, so even unthrottled it takes a quarter of an hour or more. The daily
request budget is off on both sides: 100,000 stage requests alone reach LinkedIn's 100,000 requests a day,
which a window-based floor does not cover.

Settings: BENCH_SYNC_CANDIDATES (100000), BENCH_SYNC_PROBE (candidates of the probe; 10000),
BENCH_SYNC_RATE (R, records per minute; 10000), BENCH_SYNC_JOBS (20); BENCH_DATABASES, BENCH_RESULTS,
BENCH_LOGS and BENCH_RSC_X=v as for the other benchmarks (bench/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rsc_service.crypto import Cipher
from rsc_service.db.session import create_engine, create_sessionmaker
from rsc_service.onboarding.models import SetupProgress
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.settings import load_settings
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage, Tenant
from rsc_service.tenants.schemas import TenantCreate

from . import common, measure
from .common import env_int
from .push import WINDOW_SECONDS, backlog_floor
from .rig import (
    ORGANIZATION,
    _linkedin_process,
    free_port,
    fresh_database,
    keep_logs,
    start_process,
    stop_process,
    wait_until_up,
)

TARGET_RATIO = 1.05
BATCH = 100


def world(candidates: int) -> dict[str, Any]:
    """The fake ATS's records: candidates each with one application (the seed's default), no notes or
    interview feedback."""
    return {
        "seed": 11,
        "users": 12,
        "jobs": env_int("BENCH_SYNC_JOBS", 20),
        "candidates": candidates,
        "notes": 0,
        "interviews": 0,
    }


def _limits(rate: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the simulator's SimConfig fields, the service's LinkedIn settings): the record budget R on both, the
    daily request budget off on both."""
    sim = {"sync_records_per_window": rate, "sync_requests_per_day": None}
    service = {"records_per_minute": rate, "requests_per_day": None}
    return sim, service


@dataclass
class SyncRig:
    """What the sync is run against: the database, both simulators' URLs, the tenant, the service's
    environment."""

    database_url: str
    sessionmaker: async_sessionmaker[AsyncSession]
    ats_url: str
    linkedin_url: str
    tenant_key: str
    tenant_id: Any
    env: dict[str, str]
    tmp: Path


async def _enabled_tenant(
    sessionmaker: async_sessionmaker[AsyncSession], encryption_key: str, ats_url: str, admin: str
) -> tuple[Any, str]:
    """A tenant on the simulator's child app and the fake ATS, moved to `enabled` (LinkedIn enabled it):
    the initial sync's starting point. Its admin gets the activation email."""
    now = datetime.now(UTC)
    async with sessionmaker.begin() as session:
        registered = await tenant_service.register(
            session,
            data=TenantCreate(
                name="Acme Robotics",
                ats_base_url=ats_url,
                ats_token="ats-sim-token",
                linkedin_organization_urn=ORGANIZATION,
                contracts=["urn:li:contract:2001"],
                linkedin_client_id="sim-customer",
                linkedin_client_secret="sim-customer-secret",
                linkedin_app_urn="urn:li:developerApplication:101",
                linkedin_unique_foreign_id="sim-customer",
            ),
            cipher=Cipher([encryption_key]),
            now=now,
            allow_insecure_local=True,
        )
        tenant = registered.tenant
        for stage in (Stage.DEACTIVATED, Stage.REQUESTED, Stage.PARTNER_READY, Stage.ENABLED):
            lifecycle.advance(session, tenant, stage, actor=lifecycle.OPERATOR, reason="benchmark", now=now)
        tenant.activated_by_user_id = admin
    return tenant.id, tenant.key


def _service_env(url: str, key: str, linkedin_url: str, linkedin: Mapping[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSC_")}
    env.update({k.removeprefix("BENCH_"): v for k, v in os.environ.items() if k.startswith("BENCH_RSC_")})
    env.update(
        {
            "RSC_DATABASE__URL": url,
            "RSC_ALLOW_INSECURE_LOCAL": "true",
            "RSC_SECURITY__ENCRYPTION_KEYS": json.dumps([key]),
            "RSC_LOGGING__LEVEL": "WARNING",
            "RSC_LOGGING__FORMAT": "json",
            "RSC_LINKEDIN": json.dumps(
                {"api_url": linkedin_url, "oauth_url": f"{linkedin_url}/oauth/v2", **linkedin}
            ),
        }
    )
    return env


@contextlib.asynccontextmanager
async def rig(kind: str, candidates: int, rate: int | None) -> AsyncIterator[SyncRig]:
    """A new database, the LinkedIn simulator with the budget R, the fake ATS seeded with `candidates`, and an
    `enabled` tenant of both; the service is not running (the benchmark starts it)."""
    sim, service = _limits(rate)
    key = Fernet.generate_key().decode()
    with tempfile.TemporaryDirectory(prefix="rsc-bench-") as tmp_name:
        tmp = Path(tmp_name)
        async with fresh_database(kind, tmp) as url:
            engine = create_engine(load_settings(database={"url": url}).database)
            ats_port, linkedin_port = free_port(), free_port()
            ats_log, linkedin_log = tmp / "ats.log", tmp / "linkedin.log"
            linkedin, linkedin_ready = _linkedin_process(
                False, linkedin_port, {**sim, "request_log_limit": 2_000_000}, linkedin_log
            )
            ats_env = {k: v for k, v in os.environ.items() if not k.startswith("RSC_")}
            ats_args = ["simulate", "ats", "--port", str(ats_port), "--candidates", "0"]
            ats = start_process([sys.executable, "-m", "rsc_service", *ats_args], ats_env, ats_log)
            try:
                ats_url = f"http://127.0.0.1:{ats_port}"
                await wait_until_up(linkedin_ready, linkedin, linkedin_log)
                await wait_until_up(f"{ats_url}/_sim/state", ats, ats_log)
                async with httpx.AsyncClient(base_url=ats_url, timeout=600) as http:
                    (await http.post("/_sim/seed", json=world(candidates))).raise_for_status()
                    admin = await http.post(
                        "/_sim/records/user",
                        json={
                            "email": "olga@acme.example",
                            "first_name": "Olga",
                            "last_name": "Owner",
                            "access_level": "owner",
                        },
                    )
                    admin.raise_for_status()
                sessionmaker = create_sessionmaker(engine)
                tenant_id, tenant_key = await _enabled_tenant(sessionmaker, key, ats_url, admin.json()["id"])
                linkedin_url = f"http://127.0.0.1:{linkedin_port}"
                yield SyncRig(
                    database_url=url,
                    sessionmaker=sessionmaker,
                    ats_url=ats_url,
                    linkedin_url=linkedin_url,
                    tenant_key=tenant_key,
                    tenant_id=tenant_id,
                    env=_service_env(url, key, linkedin_url, service),
                    tmp=tmp,
                )
            finally:
                stop_process(ats)
                stop_process(linkedin)
                keep_logs(ats_log, linkedin_log, tmp / "backfill.log")
                await engine.dispose()


@dataclass(frozen=True)
class Outcome:
    seconds: float  # the command's start to its exit (the tenant `active`)
    stage: str
    records: int  # LinkedIn records the sync owed: the tenant's outbox rows
    landed: int
    dead: int
    first_landed_s: float | None  # since the start
    last_landed_s: float | None
    walked_s: float | None  # when the last kind was walked to its end, since the start
    rows_by_resource: dict[str, int]
    minimum_requests: int


def _minimum_requests(parents: Mapping[tuple[str, str | None], int]) -> int:
    """The fewest requests these rows need: a batch of 100 per resource, one per parent of a sub-collection,
    and for job postings one read of their tasks per batch (tests/onboarding/test_initial_sync.py)."""
    total = sum(math.ceil(rows / BATCH) for rows in parents.values())
    jobs = sum(rows for (resource, _), rows in parents.items() if resource == "simpleJobPostings")
    return total + math.ceil(jobs / BATCH)


async def _outcome(world: SyncRig, started: float, seconds: float, code: int | None) -> Outcome:
    async with world.sessionmaker() as session:
        tenant = await session.get(Tenant, world.tenant_id)
        assert tenant is not None
        by_state = dict(
            (
                await session.execute(
                    select(OutboxMessage.state, func.count())
                    .where(OutboxMessage.tenant_id == world.tenant_id)
                    .group_by(OutboxMessage.state)
                )
            ).all()
        )
        first, last = (
            await session.execute(
                select(func.min(OutboxMessage.landed_at), func.max(OutboxMessage.landed_at)).where(
                    OutboxMessage.tenant_id == world.tenant_id
                )
            )
        ).one()
        parents = Counter(
            {
                (resource, parent): int(rows)
                for resource, parent, rows in (
                    await session.execute(
                        select(OutboxMessage.resource, OutboxMessage.path_parent, func.count())
                        .where(OutboxMessage.tenant_id == world.tenant_id)
                        .group_by(OutboxMessage.resource, OutboxMessage.path_parent)
                    )
                ).all()
            }
        )
        walked = await session.scalar(
            select(func.max(SetupProgress.updated_at)).where(
                SetupProgress.tenant_id == world.tenant_id, SetupProgress.kind != "email"
            )
        )
    by_resource: Counter[str] = Counter()
    for (resource, _), rows in parents.items():
        by_resource[resource] += rows

    def since(at: datetime | None) -> float | None:
        if at is None:
            return None
        return round((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp() - started, 1)

    return Outcome(
        seconds=seconds,
        stage=tenant.stage.value if code == 0 else f"{tenant.stage.value} (exit {code})",
        records=sum(by_state.values()),
        landed=by_state.get(State.DONE, 0),
        dead=by_state.get(State.DEAD, 0),
        first_landed_s=since(first),
        last_landed_s=since(last),
        walked_s=since(walked),
        rows_by_resource=dict(by_resource),
        minimum_requests=_minimum_requests(parents),
    )


async def _backfill(world: SyncRig, within: float) -> tuple[float, Outcome]:
    """`rsc-service backfill --tenant KEY`: the sync in the foreground, sending from its own process, until
    the tenant is `active`."""
    log = world.tmp / "backfill.log"
    started = time.time()
    process = start_process(
        [sys.executable, "-m", "rsc_service", "backfill", "--tenant", world.tenant_key, "--json"],
        world.env,
        log,
    )
    try:
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(process.wait, within)
        seconds = time.time() - started
    finally:
        stop_process(process)
    if process.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        print(f"  backfill exited {process.returncode}:\n{tail}", flush=True)
    return started, await _outcome(world, started, seconds, process.returncode)


@dataclass(frozen=True)
class Requests:
    total: int
    throttled: int
    over_100: int
    max_records_in_window: int
    per_window: list[int]  # records written in each 60 s from the start
    budget_spent_at: list[float]  # seconds from the start at which the k-th R records had been written


async def _requests(linkedin: str, started: float, rate: int) -> Requests:
    """What the simulator logged of the sync: requests, 429s, batches over 100 records, the most records
    written within any 60 s, and when each window's worth was written."""
    async with httpx.AsyncClient(base_url=linkedin, timeout=600) as http:
        logged = (await http.get("/_sim/requests")).json()["elements"]
    sync = [entry for entry in logged if entry["path"].startswith(("/v2/", "/rest/"))]
    writes = [entry for entry in sync if entry["method"] in {"PUT", "POST"} and entry["status"] < 300]
    written = sorted((entry["at"], _records_in(entry)) for entry in writes)
    best = running = start = 0
    for at, records in written:  # sliding window over arrival times: (at - window, at]
        running += records
        while written[start][0] <= at - WINDOW_SECONDS * 1000:
            running -= written[start][1]
            start += 1
        best = max(best, running)
    per_window: list[int] = []
    spent: list[float] = []
    total = 0
    for at, records in written:
        since = at / 1000 - started
        window = max(0, int(since // WINDOW_SECONDS))
        per_window += [0] * (window + 1 - len(per_window))
        per_window[window] += records
        total += records
        while total >= (len(spent) + 1) * rate:
            spent.append(round(since, 1))
    return Requests(
        total=len(sync),
        throttled=sum(entry["status"] == 429 for entry in sync),
        over_100=sum(records > BATCH for _, records in written),
        max_records_in_window=best,
        per_window=per_window,
        budget_spent_at=spent,
    )


def _records_in(entry: dict[str, Any]) -> int:
    """Records one write carries: a batch's entities, or a sub-collection's elements, or one."""
    found = measure._entities(entry)
    if found:
        return found
    with contextlib.suppress(ValueError):
        document = json.loads(entry["body"])
        if isinstance(document, dict) and isinstance(document.get("elements"), list):
            return len(document["elements"])
    return 1


async def probe(kind: str) -> dict[str, Any]:
    """The same sync of a smaller ATS with no limit anywhere: the service's unthrottled sync rate."""
    candidates = env_int("BENCH_SYNC_PROBE", 10_000)
    async with rig(kind, candidates, None) as world:
        _, done = await _backfill(world, within=candidates / 20 + 300)
    if done.landed != done.records or not done.stage.startswith("active"):
        raise RuntimeError(f"probe: {done}")
    return {
        "candidates": candidates,
        "records": done.records,
        "seconds": round(done.seconds, 1),
        "records_per_s": round(done.records / done.seconds, 1),
        "first_landed_s": done.first_landed_s,
        "walked_s": done.walked_s,
    }


async def sync(kind: str, probe_rate: float) -> dict[str, Any]:
    """The full sync against the throttle; its wall time beside the floor the window allows."""
    candidates, rate = env_int("BENCH_SYNC_CANDIDATES", 100_000), env_int("BENCH_SYNC_RATE", 10_000)
    async with rig(kind, candidates, rate) as world:
        # About five LinkedIn records per candidate (itself, its application and the application's stages).
        started, done = await _backfill(world, within=3 * 5 * candidates / rate * WINDOW_SECONDS + 600)
        requests = await _requests(world.linkedin_url, started, rate)
    floor = backlog_floor(done.records, rate, probe_rate)
    return {
        "candidates": candidates,
        "rate_per_min": rate,
        "stage": done.stage,
        "records": done.records,
        "records_by_resource": done.rows_by_resource,
        "landed": done.landed,
        "dead": done.dead,
        "seconds": round(done.seconds, 1),
        "floor_seconds": round(floor, 1),
        "floor_drain_per_s": probe_rate,
        "ratio": round(done.seconds / floor, 3),
        "first_landed_s": done.first_landed_s,
        "walked_s": done.walked_s,
        "last_landed_s": done.last_landed_s,
        "requests": requests.total,
        "minimum_requests": done.minimum_requests,
        "requests_ratio": round(requests.total / max(done.minimum_requests, 1), 3),
        "share_429": round(requests.throttled / max(requests.total, 1), 4),
        "batches_over_100": requests.over_100,
        "max_records_in_60s": requests.max_records_in_window,
        "landed_per_window": requests.per_window,
        "window_spent_at_s": requests.budget_spent_at,
    }


def targets(result: dict[str, Any]) -> list[common.Check]:
    figures = result["sync"]
    return [
        common.equals("sync ends", figures["stage"], "active"),
        common.equals("records landed", figures["landed"], figures["records"]),
        (
            f"sync {figures['seconds']} s <= {TARGET_RATIO} x floor {figures['floor_seconds']} s",
            figures["ratio"] <= TARGET_RATIO,
        ),
        (
            f"max records in 60 s {figures['max_records_in_60s']} <= {figures['rate_per_min']}",
            figures["max_records_in_60s"] <= figures["rate_per_min"],
        ),
        common.below("429 share", figures["share_429"], 0.01),
        common.equals("batches over 100", figures["batches_over_100"], 0),
    ]


async def run() -> tuple[dict[str, Any], bool]:
    results: dict[str, Any] = {}
    passed = True
    for kind in common.databases():
        print(f"== initial_sync on {kind} ==", flush=True)
        result: dict[str, Any] = {}
        started = time.monotonic()
        result["probe"] = await probe(kind)
        print(f"  probe: {result['probe']}  ({time.monotonic() - started:.0f} s)", flush=True)
        started = time.monotonic()
        result["sync"] = await sync(kind, result["probe"]["records_per_s"])
        print(f"  sync: {result['sync']}  ({time.monotonic() - started:.0f} s)", flush=True)
        result["targets"], ok = common.report(targets(result))
        passed &= ok
        results[kind] = result
    return results, passed
