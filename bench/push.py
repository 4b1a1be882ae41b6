"""The push benchmark (issue 7): end-to-end latency, drain rate beside a naive loop, a throttled backlog.

Sizes come from the environment so a quick run is possible; the defaults are the full benchmark:
BENCH_DATABASES=sqlite,postgresql  BENCH_LATENCY_SECONDS=30  BENCH_WEBHOOK_RATE=50
BENCH_DRAIN_RECORDS=10000  BENCH_RATE=12000 (records per minute; the backlog is 3x that).
BENCH_SCENARIOS=latency,drain,backlog picks scenarios; BENCH_RSC_X=v is passed to the service as RSC_X=v;
BENCH_TRACE=0 runs the latency scenario's service without the timing hooks (bench/tracing.py), so its
breakdown comes from the database rows alone; BENCH_PROFILE=DIR samples the service with py-spy during the
drain; BENCH_LOGS=DIR keeps the servers' logs.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from typing import Any

import httpx
from sqlalchemy import select

from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.outbox.models import OutboxMessage

from . import common, measure
from .common import env_float, env_int
from .rig import Rig, profiled, register_tenant, rig
from .stages import Trace, breakdown
from .workload import NaiveRun, WebhookSender, fill_backlog, naive_drain

UNLIMITED_SIM = {"sync_records_per_window": None, "sync_requests_per_day": None}
UNLIMITED_SERVICE = {"records_per_minute": None, "requests_per_day": None}
WINDOW_SECONDS = 60  # LinkedIn's sliding window for sync records (docs/linkedin.md#throttles)
LATENCY_P99_MS = 300
NAIVE_IN_FLIGHT = (1, 4)


async def _rows_by_key(world: Rig, keys: set[str]) -> dict[str, dict[str, float]]:
    """Per record id, what the database kept of its trip: when the request reached the route (the inbox
    row's `received_at`), when the writer's transaction began (the outbox row's `created_at`), when it
    settled (`landed_at`)."""
    found: dict[str, dict[str, float]] = {key: {} for key in keys}
    async with world.sessionmaker() as session:
        inbox = await session.execute(
            select(AtsWebhookEvent.record_id, AtsWebhookEvent.received_at).where(
                AtsWebhookEvent.tenant_id == world.tenant_id
            )
        )
        for record_id, received_at in inbox.all():
            if record_id in found:
                found[record_id]["received"] = received_at.timestamp()
        outbox = await session.execute(
            select(OutboxMessage.key, OutboxMessage.created_at, OutboxMessage.landed_at).where(
                OutboxMessage.tenant_id == world.tenant_id
            )
        )
        for key, created_at, landed_at in outbox.all():
            if key in found:
                found[key]["writer_now"] = created_at.timestamp()
                if landed_at is not None:
                    found[key]["settled"] = landed_at.timestamp()
    return found


async def latency(kind: str) -> dict[str, Any]:
    """Webhook sent → candidate stored in the simulator, at a steady rate, with the service's drain loop; and
    where each webhook's time went (bench/stages.py)."""
    rate, seconds = env_int("BENCH_WEBHOOK_RATE", 50), env_float("BENCH_LATENCY_SECONDS", 30)
    traced = os.environ.get("BENCH_TRACE", "1") != "0"
    async with (
        rig(kind, sim={}, linkedin={}, traced=traced) as world,
        httpx.AsyncClient(timeout=30) as http,
        httpx.AsyncClient(base_url=world.sim_url, timeout=30) as sim,
    ):
        sender = WebhookSender(http, world.service_url, world.tenant_key, world.webhook_secret)
        # Warm up: the first send fetches a token and fills caches; not part of the figure.
        await asyncio.gather(*(sender.send(f"warm-{i}") for i in range(10)))
        await measure.wait_for_count(sim, 10, within=30)
        tasks = {}
        start = time.perf_counter()
        for i in range(round(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            tasks[f"lat-{i:06d}"] = asyncio.create_task(sender.send(f"lat-{i:06d}"))
        achieved = len(tasks) / (time.perf_counter() - start)
        sends = dict(zip(tasks, await asyncio.gather(*tasks.values()), strict=True))
        await measure.wait_for_count(sim, 10 + len(sends), within=60)
        landed = {key: at for key, at in (await measure.landed_at(sim)).items() if key in sends}
        world.stop_service()  # a traced service writes its notes as it stops
        rows = await _rows_by_key(world, set(sends))
        trace = Trace.read(world.trace_file)
    refused = sum(sent.status != 202 for sent in sends.values())
    latencies = [landed[key] - sent.sent_at * 1000 for key, sent in sends.items() if key in landed]
    never_landed = len(sends) - len(latencies)
    if refused or never_landed:
        print(f"  latency: {refused} webhooks refused, {never_landed} never landed", flush=True)
    stages = breakdown({k: (s.sent_at, s.answered_at) for k, s in sends.items()}, landed, rows, trace)
    slow = stages["slowest"]
    print(
        f"  latency: slowest {slow['count']} from {slow['latency_ms_from']} ms, mean ms by stage "
        f"{slow['mean_ms_by_stage']}, largest stage {slow['largest_stage']}",
        flush=True,
    )

    def at(share: float) -> float | None:
        return round(measure.percentile(latencies, share), 1) if latencies else None

    return {
        "p50_ms": at(0.50),
        "p90_ms": at(0.90),
        "p99_ms": at(0.99),
        "max_ms": at(1.0),
        "rate_per_s": round(achieved, 1),
        "webhooks": len(sends),
        "refused": refused,
        "never_landed": never_landed,
        "traced": traced,
        "breakdown": stages,
    }


async def _wait_for_mock(http: httpx.AsyncClient, expected: int, within: float) -> dict[str, int]:
    deadline = time.monotonic() + within
    while True:
        stats: dict[str, int] = (await http.get("/_mock/stats")).json()
        if stats["records"] >= expected or time.monotonic() >= deadline:
            return stats
        await asyncio.sleep(0.5)


def _naive_figures(run: NaiveRun) -> dict[str, Any]:
    return {
        "in_flight": run.in_flight,
        "records_per_s": round(run.records_per_s, 1),
        "cpu_s_per_1000": round(run.cpu_seconds / run.records * 1000, 3) if run.records else None,
    }


async def _drain_against(kind: str, count: int, *, mock: bool) -> dict[str, Any]:
    """Records/s with no throttle anywhere: the naive loop (1 and 4 batches in flight, the better counts),
    then the service's dispatcher, against one LinkedIn stand-in; and each one's CPU time per 1,000
    records."""
    against = "mock" if mock else "simulator"
    async with (
        rig(kind, sim=UNLIMITED_SIM, linkedin=UNLIMITED_SERVICE, mock=mock) as world,
        httpx.AsyncClient(base_url=world.sim_url, timeout=120) as linkedin,
    ):
        naive: list[NaiveRun] = []
        for in_flight in NAIVE_IN_FLIGHT:
            tenant = await register_tenant(
                world.sessionmaker,
                world.encryption_key,
                f"naive{in_flight}",
                paused=True,
                app_urn=f"urn:li:developerApplication:{200 + in_flight}",
            )
            ids = [f"n{in_flight}-{i:06d}" for i in range(count)]
            await fill_backlog(world.sessionmaker, tenant.tenant.id, ids)
            naive.append(
                await naive_drain(world.engine, tenant.tenant.id, world.sim_url, in_flight=in_flight)
            )
        before = sum(run.records for run in naive)

        ids = [f"dr-{i:06d}" for i in range(count)]
        with profiled(world.service_pid, f"drain-{kind}-{against}"):
            committed = await fill_backlog(world.sessionmaker, world.tenant_id, ids)
            cpu = common.cpu_seconds(world.service_pid)
            if mock:
                stats = await _wait_for_mock(linkedin, before + count, within=count / 50 + 60)
                done, last = stats["records"] >= before + count, stats["last_at"] / 1000
            else:
                done = await measure.wait_for_count(linkedin, before + count, within=count / 50 + 60)
                landed = await measure.landed_at(linkedin) if done else {}
                last = max((at for key, at in landed.items() if key.startswith("dr-")), default=0) / 1000
            cpu = common.cpu_seconds(world.service_pid) - cpu
        if not done:
            raise RuntimeError(f"drain: the service did not land every record in time against the {against}")
    service_rate = count / (last - committed)
    best = max(naive, key=lambda run: run.records_per_s)
    return {
        "records": count,
        "records_per_s": round(service_rate, 1),
        "cpu_s_per_1000": round(cpu / count * 1000, 3),
        "naive_records_per_s": round(best.records_per_s, 1),
        "naive_best_in_flight": best.in_flight,
        "naive_runs": [_naive_figures(run) for run in naive],
        "ratio": round(service_rate / best.records_per_s, 3),
    }


async def drain(kind: str) -> dict[str, Any]:
    """The drain against the simulator (the target), and against the minimal mock, where the dispatcher's own
    cost shows: the service's CPU per 1,000 records is its process's CPU time over the drain (it runs
    alone then), the naive loop's is the benchmark process's own while the loop runs."""
    count = env_int("BENCH_DRAIN_RECORDS", 10_000)
    return {
        "simulator": await _drain_against(kind, count, mock=False),
        "mock": await _drain_against(kind, count, mock=True),
    }


def backlog_floor(records: int, per_window: int, drain_per_s: float | None) -> float:
    """The least time LinkedIn's sliding window allows for `records` owed at once, from an empty window.

    The window lets R = `per_window` records through per 60 s, and a record leaves it 60 s after it was sent.
    From an empty window the first R go at once; each later R goes as the R before it leave, 60 s after
    them. So N records need ceil(N/R) - 1 full windows, then the time to send the remainder at the
    unthrottled rate:

        floor = (ceil(N / R) - 1) x 60 s + (N - (ceil(N / R) - 1) x R) / drain rate

    3R from an empty window thus take about two windows, 120 s plus R at the drain rate, not 180 s. The drain
    rate is the service's own unthrottled one measured in this run (without it, the windows alone).
    """
    windows = math.ceil(records / per_window) - 1
    remainder = records - windows * per_window
    return windows * WINDOW_SECONDS + (remainder / drain_per_s if drain_per_s else 0.0)


async def backlog(kind: str, drain_per_s: float | None) -> dict[str, Any]:
    """3 x R candidates owed at once, both sides throttled at R records per minute."""
    rate = env_int("BENCH_RATE", 12_000)
    count = 3 * rate
    floor = backlog_floor(count, rate, drain_per_s)
    async with (
        rig(kind, sim={"sync_records_per_window": rate}, linkedin={"records_per_minute": rate}) as world,
        httpx.AsyncClient(base_url=world.sim_url, timeout=30) as sim,
    ):
        ids = [f"bk-{i:06d}" for i in range(count)]
        committed = await fill_backlog(world.sessionmaker, world.tenant_id, ids)
        within = 3 * WINDOW_SECONDS * 2.5 + 60
        if not await measure.wait_for_count(sim, count, within=within):
            print(f"  backlog: not every record landed within {within:.0f} s", flush=True)
        landed = await measure.landed_at(sim)
        requests = await measure.candidate_requests(sim)
    # Until the last record landed; when some never did, until now, which is longer than any landing.
    seconds = (max(landed.values()) / 1000 if len(landed) == count else time.time()) - committed
    # Records landed in each 60 s after the commit: a window LinkedIn would have allowed but was left
    # (partly) unused shows here.
    by_window = [0] * (int(seconds // WINDOW_SECONDS) + 1)
    for at in landed.values():
        by_window[min(len(by_window) - 1, max(0, int((at / 1000 - committed) // WINDOW_SECONDS)))] += 1
    return {
        "records": count,
        "rate_per_min": rate,
        "seconds": round(seconds, 1),
        "floor_seconds": round(floor, 1),
        "floor_drain_per_s": drain_per_s,
        "ratio": round(seconds / floor, 3),
        "batches_over_100": requests.over_100,
        "share_429": round(requests.throttled / max(requests.total, 1), 4),
        "max_records_in_60s": requests.max_in_window,
        "landed_per_window": by_window,
        # The service's match read-back (batch GETs of landed candidates) spends the same window.
        "records_read_back": requests.records_read,
    }


def targets(result: dict[str, Any]) -> list[common.Check]:
    """Each target of issue 7 this database's scenarios measured, with whether its figures meet it."""
    checks: list[common.Check] = []
    if "latency" in result:
        figures = result["latency"]
        checks += [
            common.below("latency p99", figures["p99_ms"], LATENCY_P99_MS, " ms"),
            common.equals("latency webhooks refused", figures["refused"], 0),
            common.equals("latency webhooks never landed", figures["never_landed"], 0),
        ]
    if "drain" in result:
        checks.append(common.at_least("drain ratio (simulator)", result["drain"]["simulator"]["ratio"], 0.5))
    if "backlog" in result:
        figures = result["backlog"]
        checks += [
            (
                f"backlog {figures['seconds']} s <= 1.05 x floor {figures['floor_seconds']} s",
                figures["ratio"] <= 1.05,
            ),
            common.equals("batches over 100", figures["batches_over_100"], 0),
            common.below("429 share", figures["share_429"], 0.01),
            (
                f"max records in 60 s {figures['max_records_in_60s']} <= {figures['rate_per_min']}",
                figures["max_records_in_60s"] <= figures["rate_per_min"],
            ),
        ]
    return checks


async def run() -> tuple[dict[str, Any], bool]:
    """Every scenario on every database asked for; (results by database, whether every target was met)."""
    scenarios = common.env_list("BENCH_SCENARIOS", "latency,drain,backlog")
    results: dict[str, Any] = {}
    passed = True
    for kind in common.databases():
        print(f"== push on {kind} ==", flush=True)
        result: dict[str, Any] = {}
        for name in ("latency", "drain", "backlog"):
            if name not in scenarios:
                continue
            started = time.monotonic()
            if name == "latency":
                result[name] = await latency(kind)
            elif name == "drain":
                result[name] = await drain(kind)
            else:
                measured = result.get("drain", {}).get("simulator", {}).get("records_per_s")
                result[name] = await backlog(kind, measured)
            shown = {k: v for k, v in result[name].items() if k != "breakdown"}
            print(f"  {name}: {shown}  ({time.monotonic() - started:.0f} s)", flush=True)
        result["targets"], ok = common.report(targets(result))
        passed &= ok
        results[kind] = result
    return results, passed
