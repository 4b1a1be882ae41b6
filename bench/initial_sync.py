"""The initial sync benchmark: a customer's ATS of 100,000 candidates, each with an application, walked into
the LinkedIn simulator by `rsc-service backfill --tenant KEY` (the sync in the foreground, sending from its
own process) until the tenant is `active`, both sides throttled alike, beside the floor LinkedIn's sliding
window allows.

Per database: a probe first, the same sync of a smaller ATS with no limit anywhere, gives the service's own
unthrottled sync: its rate and its profile, when each LinkedIn record landed. Then the full sync, with the
simulator's `sync_records_per_window` and the service's `records_per_minute` both R. Two floors are computed
for the N LinkedIn records the sync owed (every outbox row of the tenant), and the target is on the second:

- the window floor, `push.backlog_floor(N, R, probe rate)`: ceil(N/R) - 1 full windows, plus the remainder
  at the probe's average rate. It takes every record as costing the same, which the sync's do not: a
  candidate goes 100 to a request, an application's stages one request per application, so LinkedIn's
  records per second fall by five or more once the walk reaches the stages (bench/README.md).
- the ordered floor, `ordered_floor()`: the same records in the order the sync sends them (the walk's, as the
  probe sent them), each no sooner than the service itself sends it unthrottled after the one before, and
  no sooner than 60 s after the record R places before it (LinkedIn's sliding window). It is the least time
  any schedule of these records takes at the service's own unthrottled speed within the window.

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
    sync = await _logged(linkedin)
    written = _written(sync)
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


async def _logged(linkedin: str) -> list[dict[str, Any]]:
    """The simulator's log of the sync's requests (its /v2 and /rest APIs)."""
    async with httpx.AsyncClient(base_url=linkedin, timeout=600) as http:
        logged = (await http.get("/_sim/requests")).json()["elements"]
    return [entry for entry in logged if entry["path"].startswith(("/v2/", "/rest/"))]


def _written(sync: list[dict[str, Any]]) -> list[tuple[float, int]]:
    """(arrival in epoch ms, records carried) of each write that LinkedIn took, in arrival order."""
    writes = [entry for entry in sync if entry["method"] in {"PUT", "POST"} and entry["status"] < 300]
    return sorted((entry["at"], _records_in(entry)) for entry in writes)


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


def ordered_floor(profile: list[tuple[float, int]], tail: float, records: int, per_window: int) -> float:
    """The least time LinkedIn's sliding window allows `records` sent in the probe's order and speed.

    `profile` is the probe's writes, (seconds from its start, records carried), in arrival order; `tail` is
    the probe's time from its last write to its exit. The probe is scaled to `records`: record i of the sync
    is the probe's record i x n / N, and lands unthrottled at U(i), the probe's time for it with the start-up
    (its first write) kept and the rest stretched by N / n (the same walk, longer). Throttled, it lands at
    T(i) = max(T(i - 1) + U(i) - U(i - 1), T(i - R) + 60 s): no faster than the service sends it after the
    one before, and not before the record R places earlier has left the window. The floor is T(N - 1) plus
    the tail. (Per record, not per request: a request needs all its records' room at once, so this is at
    most one request's worth of records below the true least time.)
    """
    probe: list[float] = [at for at, count in profile for _ in range(count)]
    if not probe:
        raise ValueError("the probe wrote nothing")
    start, stretch = probe[0], records / len(probe)

    def unthrottled(i: int) -> float:
        return start + (probe[i * len(probe) // records] - start) * stretch

    landed: list[float] = [unthrottled(0)]
    for i in range(1, records):
        paced = landed[-1] + unthrottled(i) - unthrottled(i - 1)
        landed.append(max(paced, landed[i - per_window] + WINDOW_SECONDS) if i >= per_window else paced)
    return landed[-1] + tail


@dataclass(frozen=True)
class Probe:
    figures: dict[str, Any]
    profile: list[tuple[float, int]]  # (seconds from the start, records) of each write, in order
    tail: float  # seconds from the last write to the command's exit


async def probe(kind: str) -> Probe:
    """The same sync of a smaller ATS with no limit anywhere: the service's unthrottled sync rate and
    profile."""
    candidates = env_int("BENCH_SYNC_PROBE", 10_000)
    async with rig(kind, candidates, None) as world:
        started, done = await _backfill(world, within=candidates / 20 + 300)
        written = _written(await _logged(world.linkedin_url))
    if done.landed != done.records or not done.stage.startswith("active") or not written:
        raise RuntimeError(f"probe: {done}")
    profile = [(at / 1000 - started, records) for at, records in written]
    return Probe(
        figures={
            "candidates": candidates,
            "records": done.records,
            "seconds": round(done.seconds, 1),
            "records_per_s": round(done.records / done.seconds, 1),
            "first_landed_s": done.first_landed_s,
            "walked_s": done.walked_s,
            "records_per_s_by_phase": _phases(profile),
        },
        profile=profile,
        tail=max(0.0, done.seconds - profile[-1][0]),
    )


def _phases(profile: list[tuple[float, int]]) -> list[dict[str, float]]:
    """The probe's LinkedIn records per second in each fifth of its records: how the walk's later kinds
    (applications' stages, one request each) send fewer records a second than its first (candidates)."""
    total = sum(records for _, records in profile)
    phases: list[dict[str, float]] = []
    begun, sent, since_begun, fifth = profile[0][0], 0, 0, 1
    for at, records in profile:
        sent += records
        since_begun += records
        if sent >= total * fifth / 5:
            rate = round(since_begun / max(at - begun, 1e-3), 1)
            phases.append({"up_to_share": fifth / 5, "records_per_s": rate})
            begun, since_begun, fifth = at, 0, fifth + 1
    return phases


async def sync(kind: str, probe: Probe) -> dict[str, Any]:
    """The full sync against the throttle; its wall time beside the floors the window allows."""
    candidates, rate = env_int("BENCH_SYNC_CANDIDATES", 100_000), env_int("BENCH_SYNC_RATE", 10_000)
    async with rig(kind, candidates, rate) as world:
        # About five LinkedIn records per candidate (itself, its application and the application's stages).
        started, done = await _backfill(world, within=3 * 5 * candidates / rate * WINDOW_SECONDS + 600)
        requests = await _requests(world.linkedin_url, started, rate)
    probe_rate = probe.figures["records_per_s"]
    window_floor = backlog_floor(done.records, rate, probe_rate)
    floor = ordered_floor(probe.profile, probe.tail, done.records, rate)
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
        "ratio": round(done.seconds / floor, 3),
        "window_floor_seconds": round(window_floor, 1),
        "window_floor_drain_per_s": probe_rate,
        "window_ratio": round(done.seconds / window_floor, 3),
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
            f"sync {figures['seconds']} s <= {TARGET_RATIO} x ordered floor {figures['floor_seconds']} s",
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
        probed = await probe(kind)
        result["probe"] = probed.figures
        print(f"  probe: {result['probe']}  ({time.monotonic() - started:.0f} s)", flush=True)
        started = time.monotonic()
        result["sync"] = await sync(kind, probed)
        print(f"  sync: {result['sync']}  ({time.monotonic() - started:.0f} s)", flush=True)
        result["targets"], ok = common.report(targets(result))
        passed &= ok
        results[kind] = result
    return results, passed
