"""The push benchmark (issue 7): end-to-end latency, drain rate beside a naive loop, a throttled backlog.

Sizes come from the environment so a quick run is possible; the defaults are the full benchmark:
BENCH_DATABASES=sqlite,postgresql  BENCH_LATENCY_SECONDS=30  BENCH_WEBHOOK_RATE=50
BENCH_DRAIN_RECORDS=10000  BENCH_RATE=12000 (records per minute; the backlog is 3x that).
BENCH_SCENARIOS=latency,drain,backlog picks scenarios; BENCH_RSC_X=v is passed to the service as RSC_X=v;
BENCH_PROFILE=DIR samples the service with py-spy during the drain; BENCH_LOGS=DIR keeps the servers' logs.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import httpx

from . import measure
from .rig import profiled, register_tenant, rig
from .workload import WebhookSender, fill_backlog, naive_drain

UNLIMITED_SIM = {"sync_records_per_window": None, "sync_requests_per_day": None}
UNLIMITED_SERVICE = {"records_per_minute": None, "requests_per_day": None}


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


async def latency(kind: str) -> dict[str, Any]:
    """Webhook sent → candidate stored in the simulator, at a steady rate, with the service's drain loop."""
    rate, seconds = _env_int("BENCH_WEBHOOK_RATE", 50), _env_int("BENCH_LATENCY_SECONDS", 30)
    async with (
        rig(kind, sim={}, linkedin={}) as world,
        httpx.AsyncClient(timeout=30) as http,
        httpx.AsyncClient(base_url=world.sim_url, timeout=30) as sim,
    ):
        sender = WebhookSender(http, world.service_url, world.tenant_key, world.webhook_secret)
        # Warm up: the first send fetches a token and fills caches; not part of the figure.
        await asyncio.gather(*(sender.send(f"warm-{i}") for i in range(10)))
        await measure.wait_for_count(sim, 10, within=30)
        sent_at: dict[str, float] = {}
        statuses: list[asyncio.Task[int]] = []
        start = time.perf_counter()
        for i in range(rate * seconds):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            ats_id = f"lat-{i:06d}"
            sent_at[ats_id] = time.time() * 1000
            statuses.append(asyncio.create_task(sender.send(ats_id)))
        refused = sum(status != 202 for status in await asyncio.gather(*statuses))
        achieved = len(sent_at) / (time.perf_counter() - start)
        await measure.wait_for_count(sim, 10 + len(sent_at), within=60)
        landed = await measure.landed_at(sim)
    latencies = [landed[key] - at for key, at in sent_at.items() if key in landed]
    missing = len(sent_at) - len(latencies)
    if refused or missing:
        print(f"  latency: {refused} webhooks refused, {missing} never landed")
    if latencies:
        first = min(sent_at.values())
        timed = [(landed[k] - at, round((at - first) / 1000, 1)) for k, at in sent_at.items() if k in landed]
        slow = sorted(timed)[-5:]
        print(f"  latency: p90 {measure.percentile(latencies, 0.9):.0f} ms; slowest (ms, sent at s): {slow}")
    return {
        "p50_ms": round(measure.percentile(latencies, 0.50), 1) if latencies else None,
        "p99_ms": round(measure.percentile(latencies, 0.99), 1) if latencies else None,
        "rate_per_s": round(achieved, 1),
    }


async def drain(kind: str) -> dict[str, Any]:
    """Records/s with no throttle anywhere: the service's dispatcher, then the naive loop, same simulator."""
    count = _env_int("BENCH_DRAIN_RECORDS", 10_000)
    async with (
        rig(kind, sim=UNLIMITED_SIM, linkedin=UNLIMITED_SERVICE) as world,
        httpx.AsyncClient(base_url=world.sim_url, timeout=30) as sim,
    ):
        naive_tenant = await register_tenant(world.sessionmaker, world.encryption_key, "naive", paused=True)
        await fill_backlog(world.sessionmaker, naive_tenant.tenant.id, [f"nv-{i:06d}" for i in range(count)])
        naive_sent, naive_seconds = await naive_drain(world.engine, naive_tenant.tenant.id, world.sim_url)

        ids = [f"dr-{i:06d}" for i in range(count)]
        with profiled(world.service_pid, f"drain-{kind}"):
            committed = await fill_backlog(world.sessionmaker, world.tenant_id, ids)
            if not await measure.wait_for_count(sim, naive_sent + count, within=count / 50 + 60):
                raise RuntimeError("drain: the service did not land every record in time")
        landed = await measure.landed_at(sim)
    last = max(at for key, at in landed.items() if key.startswith("dr-")) / 1000
    service_rate = count / (last - committed)
    naive_rate = naive_sent / naive_seconds
    return {
        "records_per_s": round(service_rate, 1),
        "naive_records_per_s": round(naive_rate, 1),
        "ratio": round(service_rate / naive_rate, 3),
    }


async def backlog(kind: str) -> dict[str, Any]:
    """3 x R candidates owed at once, both sides throttled at R records per minute."""
    rate = _env_int("BENCH_RATE", 12_000)
    count = 3 * rate
    async with (
        rig(kind, sim={"sync_records_per_window": rate}, linkedin={"records_per_minute": rate}) as world,
        httpx.AsyncClient(base_url=world.sim_url, timeout=30) as sim,
    ):
        ids = [f"bk-{i:06d}" for i in range(count)]
        committed = await fill_backlog(world.sessionmaker, world.tenant_id, ids)
        minimum = count / rate * 60
        if not await measure.wait_for_count(sim, count, within=minimum * 2.5 + 60):
            print(f"  backlog: not every record landed within {minimum * 2.5 + 60:.0f} s")
        landed = await measure.landed_at(sim)
        requests = await measure.candidate_requests(sim)
    # Until the last record landed; when some never did, until now, which is longer than any landing.
    seconds = (max(landed.values()) / 1000 if len(landed) == count else time.time()) - committed
    return {
        "records": count,
        "rate_per_min": rate,
        "seconds": round(seconds, 1),
        "min_seconds": round(minimum, 1),
        "ratio": round(seconds / minimum, 3),
        "batches_over_100": requests.over_100,
        "share_429": round(requests.throttled / max(requests.total, 1), 4),
        "max_records_in_60s": requests.max_in_window,
    }


def verdicts(result: dict[str, Any]) -> list[tuple[str, bool]]:
    """Each target of issue 7 with whether this database's figures meet it."""
    latency_, drain_, backlog_ = result["latency"], result["drain"], result["backlog"]
    p99 = latency_["p99_ms"]
    return [
        (f"latency p99 {p99} ms < 1000 ms", p99 is not None and p99 < 1000),
        (f"drain ratio {drain_['ratio']} >= 0.5", drain_["ratio"] >= 0.5),
        (f"backlog {backlog_['seconds']} s <= 1.05 x {backlog_['min_seconds']} s", backlog_["ratio"] <= 1.05),
        (f"batches over 100: {backlog_['batches_over_100']}", backlog_["batches_over_100"] == 0),
        (f"429 share {backlog_['share_429']} < 0.01", backlog_["share_429"] < 0.01),
        (
            f"max records in 60 s {backlog_['max_records_in_60s']} <= {backlog_['rate_per_min']}",
            backlog_["max_records_in_60s"] <= backlog_["rate_per_min"],
        ),
    ]


async def run() -> tuple[dict[str, Any], bool]:
    """Every scenario on every database asked for; (results by database, whether every target was met)."""
    wanted = os.environ.get("BENCH_DATABASES", "sqlite,postgresql")
    kinds = [kind.strip() for kind in wanted.split(",") if kind.strip()]
    scenarios = os.environ.get("BENCH_SCENARIOS", "latency,drain,backlog").split(",")
    results: dict[str, Any] = {}
    passed = True
    for kind in kinds:
        print(f"== push on {kind} ==", flush=True)
        result: dict[str, Any] = {}
        for name, scenario in (("latency", latency), ("drain", drain), ("backlog", backlog)):
            if name not in scenarios:
                continue
            started = time.monotonic()
            result[name] = await scenario(kind)
            print(f"  {name}: {result[name]}  ({time.monotonic() - started:.0f} s)", flush=True)
        for label, ok in verdicts(result) if len(result) == 3 else []:
            print(f"  {'PASS' if ok else 'FAIL'}  {label}", flush=True)
            passed &= ok
        results[kind] = result
    return results, passed
