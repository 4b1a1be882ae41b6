"""The ingest benchmark (issue 6): signed webhooks/s into the service beside its baselines.

The baselines (bench/baselines.py) take the same webhooks with the service's own speed-ups: a bare endpoint
committing one INSERT per request, a bare group-commit endpoint, on SQLite the same group commit through the
standard library's sqlite3, and a no-database endpoint (this machine's HTTP ceiling). Beside them runs the
service committing each webhook alone, so the group commit's worth on the service's own work shows too. The
service and the baselines run alternately, in rounds, each on a new database; a figure is the median of its
rounds with their range, and ratios are taken between medians. Beside each figure, the CPU time each server
process spent per acknowledged webhook (and on PostgreSQL, its server processes'), so where a ratio comes
from shows: on this machine every endpoint runs one Python process, and the one that spends less per webhook
answers more.

Sizes come from the environment so a quick run is possible; the defaults are the full benchmark:
BENCH_DATABASES=sqlite,postgresql  BENCH_INGEST_SECONDS=15 (per server and round)  BENCH_INGEST_SENDERS=32
BENCH_INGEST_ROUNDS=3. BENCH_PROFILE=DIR samples the service with py-spy under load; BENCH_LOGS=DIR keeps
the service's log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import select

from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.db.session import create_engine, create_sessionmaker
from rsc_service.integrations.ats import signatures
from rsc_service.mirror.models import AtsRecord
from rsc_service.outbox.models import OutboxMessage
from rsc_service.push.candidates import CANDIDATES
from rsc_service.settings import load_settings

from . import common, measure
from .rig import free_port, fresh_database, keep_logs, profiled, register_tenant, server
from .workload import candidate

WARM_UP_REQUESTS = 200
SERVICE = "service"
# The service committing each webhook alone (RSC_ATS__INGEST_BATCH=1): what its group commit is worth on
# its own work, where the per-request endpoint's one INSERT is far cheaper work. A figure, not a target.
ALONE = "service-alone"
BASELINES = ("per-request", "group-commit", "raw-group-commit", "no-database")
STORES = ("group_commit", "raw_group_commit")  # bare endpoints that store a webhook with one commit per batch


def baselines(kind: str) -> tuple[str, ...]:
    """The standard library's sqlite3 store is SQLite's only."""
    return tuple(name for name in BASELINES if kind == "sqlite" or name != "raw-group-commit")


@dataclass
class Load:
    """What the senders saw: latency of every request, and which events were acknowledged."""

    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # event id → the candidate's ATS id
    refused: dict[int, int] = field(default_factory=dict)
    server_cpu_s: float = 0.0  # CPU time the server process used meanwhile
    database_cpu_s: float | None = None  # and PostgreSQL's processes (SQLite works inside the server)


@dataclass
class Run:
    """One server's figures in one round."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    refused: int
    server_cpu_us: float | None = None  # CPU per acknowledged webhook: the server process's
    database_cpu_us: float | None = None  # and PostgreSQL's
    lost: dict[str, int] | None = None  # the service only: acknowledged events missing from each table
    mean_batch: float | None = None

    @classmethod
    def of(cls, load: Load) -> Run:
        acknowledged = len(load.acknowledged)

        def per_webhook(seconds: float | None) -> float | None:
            return seconds * 1e6 / acknowledged if seconds is not None and acknowledged else None

        return cls(
            rps=acknowledged / load.seconds,
            p50_ms=measure.percentile(load.latencies_ms, 0.50),
            p99_ms=measure.percentile(load.latencies_ms, 0.99),
            requests=len(load.latencies_ms),
            refused=sum(load.refused.values()),
            server_cpu_us=per_webhook(load.server_cpu_s),
            database_cpu_us=per_webhook(load.database_cpu_s),
        )


def signed_event(prefix: str, number: int, secret: str) -> tuple[str, str, bytes, dict[str, str]]:
    """A `candidate.created` event with a distinct record and webhook id, signed as the ATS signs it;
    (event id, the candidate's ATS id, body, headers)."""
    event_id = f"evt_{prefix}_{number:07d}_{uuid.uuid4().hex[:8]}"
    ats_id = f"{prefix}-{number:07d}"
    body = json.dumps(
        {
            "type": "candidate.created",
            "id": event_id,
            "occurred_at": datetime.now(UTC).isoformat(),
            "data": candidate(ats_id),
        }
    ).encode()
    headers = signatures.sign(body, secret, event_id, datetime.now(UTC))
    return event_id, ats_id, body, {"content-type": "application/json", **headers}


class Connection:
    """One keep-alive HTTP/1.1 connection, written by hand: httpx costs the sender more CPU per request
    than the bare endpoint costs the server, and on a small machine the senders would set the pace."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self._reader, self._writer, self._host = reader, writer, host

    @classmethod
    async def open(cls, url: str) -> Connection:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer, parts.netloc)

    async def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> int:
        head = f"POST {path} HTTP/1.1\r\nhost: {self._host}\r\ncontent-length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._writer.write(f"{head}\r\n".encode() + body)
        response = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *lines = response.decode("latin-1").split("\r\n")
        length = 0
        for line in lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await self._reader.readexactly(length)
        return int(status_line.split(" ", 2)[1])

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()


async def drive(url: str, secret: str, prefix: str, *, senders: int, until: Callable[[int], bool]) -> Load:
    """`senders` concurrent loops, one connection each, posting distinct events until `until(sent)`."""
    load = Load()
    counter = 0
    path = urlsplit(url).path

    async def sender() -> None:
        nonlocal counter
        connection = await Connection.open(url)
        try:
            while not until(counter):
                counter += 1
                event_id, ats_id, body, headers = signed_event(prefix, counter, secret)
                started = time.perf_counter()
                status = await connection.post(path, body, headers)
                load.latencies_ms.append((time.perf_counter() - started) * 1000)
                if 200 <= status < 300:
                    load.acknowledged[event_id] = ats_id
                else:
                    load.refused[status] = load.refused.get(status, 0) + 1
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    load.seconds = time.perf_counter() - started
    return load


async def measured(
    url: str, secret: str, prefix: str, senders: int, seconds: float, *, pid: int, kind: str
) -> Load:
    """A warm-up outside the figures, then `seconds` of load at `senders` concurrency, with the CPU time the
    server (process `pid`) and, on PostgreSQL, the database spent meanwhile: where a ratio comes from."""
    await drive(url, secret, f"{prefix}w", senders=senders, until=lambda sent: sent >= WARM_UP_REQUESTS)
    postgresql = kind == "postgresql"  # SQLite works inside the server process
    server_before = common.cpu_seconds(pid)
    database_before = common.postgres_cpu_seconds() if postgresql else 0.0
    deadline = time.monotonic() + seconds
    load = await drive(url, secret, prefix, senders=senders, until=lambda _: time.monotonic() >= deadline)
    load.server_cpu_s = common.cpu_seconds(pid) - server_before
    if postgresql:
        load.database_cpu_s = common.postgres_cpu_seconds() - database_before
    return load


METRICS_TOKEN = "bench-metrics"


def service_env(database_url: str, encryption_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSC_")}
    env.update({k.removeprefix("BENCH_"): v for k, v in os.environ.items() if k.startswith("BENCH_RSC_")})
    env.update(
        {
            "RSC_DATABASE__URL": database_url,
            "RSC_ALLOW_INSECURE_LOCAL": "true",
            "RSC_SECURITY__ENCRYPTION_KEYS": json.dumps([encryption_key]),
            "RSC_LOGGING__LEVEL": "WARNING",
            "RSC_LOGGING__FORMAT": "json",
            "RSC_ADMIN__METRICS_TOKEN": METRICS_TOKEN,
        }
    )
    return env


async def mean_batch(metrics_url: str) -> float:
    """Webhooks per commit over the run, warm-up included, from the service's own metrics."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(metrics_url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})).text
    found = {
        name: float(value)
        for name, _, value in (line.partition(" ") for line in text.splitlines())
        if name in ("rsc_ingest_batch_size_sum", "rsc_ingest_batch_size_count")
    }
    count = found.get("rsc_ingest_batch_size_count", 0.0)
    return round(found.get("rsc_ingest_batch_size_sum", 0.0) / count, 1) if count else 0.0


async def lost(database_url: str, tenant_id: uuid.UUID, acknowledged: Mapping[str, str]) -> dict[str, int]:
    """Acknowledged events missing their inbox row, their candidate in the mirror, or the candidate's outbox
    row; `lost` counts the events missing any of the three."""
    engine = create_engine(load_settings(database={"url": database_url}).database)
    try:
        async with create_sessionmaker(engine)() as session:
            inbox = set(
                await session.scalars(
                    select(AtsWebhookEvent.event_id).where(AtsWebhookEvent.tenant_id == tenant_id)
                )
            )
            mirror = set(
                await session.scalars(
                    select(AtsRecord.ats_id).where(
                        AtsRecord.tenant_id == tenant_id, AtsRecord.kind == "candidate"
                    )
                )
            )
            outbox = set(
                await session.scalars(
                    select(OutboxMessage.key).where(
                        OutboxMessage.tenant_id == tenant_id, OutboxMessage.resource == CANDIDATES.name
                    )
                )
            )
    finally:
        await engine.dispose()
    missing = {
        event_id: (event_id not in inbox, ats_id not in mirror, ats_id not in outbox)
        for event_id, ats_id in acknowledged.items()
    }
    return {
        "lost": sum(any(gaps) for gaps in missing.values()),
        "no_inbox_row": sum(gaps[0] for gaps in missing.values()),
        "no_mirror_record": sum(gaps[1] for gaps in missing.values()),
        "no_outbox_row": sum(gaps[2] for gaps in missing.values()),
    }


async def service_run(
    kind: str, tmp: Path, senders: int, seconds: float, label: str, settings: Mapping[str, str] | None = None
) -> Run:
    """The service (with `settings` besides the benchmark's) under load on a new database, and what of the
    acknowledged it really stored."""
    key = Fernet.generate_key().decode()
    async with fresh_database(kind, tmp) as url:
        engine = create_engine(load_settings(database={"url": url}).database)
        try:
            registered = await register_tenant(create_sessionmaker(engine), key, "ingest")
        finally:
            await engine.dispose()
        port = free_port()
        args = [sys.executable, "-m", "rsc_service", "serve", "--no-jobs", "--port", str(port)]
        base = f"http://127.0.0.1:{port}"
        log = tmp / f"service-{label}.log"
        try:
            env = service_env(url, key) | dict(settings or {})
            async with server(args, env, log, f"{base}/readyz") as pid:
                target = f"{base}/v1/webhooks/ats/{registered.tenant.key}"
                with profiled(pid, f"ingest-{kind}-{label}"):
                    load = await measured(
                        target, registered.webhook_secret, "svc", senders, seconds, pid=pid, kind=kind
                    )
                batch = await mean_batch(f"{base}/metrics")
        finally:
            keep_logs(log)
        run = Run.of(load)
        run.lost = await lost(url, registered.tenant.id, load.acknowledged)
        run.mean_batch = batch
    return run


async def baseline_run(mode: str, kind: str, tmp: Path, senders: int, seconds: float) -> Run:
    """One baseline under the same load, on its own new database (it creates its one table)."""
    async with fresh_database(kind, tmp, migrated=False) as url:
        port = free_port()
        args = [sys.executable, "-m", "bench.baselines", mode, url, str(port)]
        base = f"http://127.0.0.1:{port}"
        async with server(args, dict(os.environ), tmp / f"{mode}.log", f"{base}/readyz") as pid:
            secret = "whsec_" + "A" * 32
            load = await measured(f"{base}/events", secret, "bare", senders, seconds, pid=pid, kind=kind)
    return Run.of(load)


def summary(name: str, run: Run) -> str:
    cpu = f"  cpu/webhook {run.server_cpu_us or 0:5.0f} µs"
    if run.database_cpu_us is not None:
        cpu += f" + database {run.database_cpu_us:4.0f} µs"
    extra = f", refused {run.refused}" if run.refused else ""
    if run.lost is not None:
        extra += f", lost {run.lost['lost']}, mean batch {run.mean_batch}"
    return f"{name:>12}: {run.rps:7.1f}/s  p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms{cpu}{extra}"


def figures(runs: list[Run]) -> dict[str, Any]:
    """One server's rounds: each figure's median, range and rounds."""
    result: dict[str, Any] = {
        "rps": common.spread([run.rps for run in runs]),
        "p50_ms": common.spread([run.p50_ms for run in runs]),
        "p99_ms": common.spread([run.p99_ms for run in runs]),
        "requests": sum(run.requests for run in runs),
        "refused": sum(run.refused for run in runs),
        "server_cpu_us_per_webhook": common.spread([run.server_cpu_us or 0.0 for run in runs], 0),
    }
    database = [run.database_cpu_us for run in runs if run.database_cpu_us is not None]
    if database:
        result["database_cpu_us_per_webhook"] = common.spread(database, 0)
    losses = [run.lost for run in runs if run.lost is not None]
    if losses:
        result["lost"] = sum(loss["lost"] for loss in losses)
        result["lost_by_table"] = {
            name: sum(loss[name] for loss in losses)
            for name in ("no_inbox_row", "no_mirror_record", "no_outbox_row")
        }
        result["mean_batch"] = common.spread([run.mean_batch or 0.0 for run in runs])
    return result


async def one_database(kind: str, senders: int, seconds: float, rounds: int) -> dict[str, Any]:
    servers = (SERVICE, ALONE, *baselines(kind))
    runs: dict[str, list[Run]] = {name: [] for name in servers}
    with tempfile.TemporaryDirectory(prefix="rsc-bench-ingest-") as tmp_name:
        tmp = Path(tmp_name)
        for number in range(rounds):
            # Each round starts one server later, so no server always runs first (or last) in a round.
            order = servers[number % len(servers) :] + servers[: number % len(servers)]
            print(f"  round {number + 1}/{rounds}", flush=True)
            for name in order:
                if name == SERVICE:
                    run = await service_run(kind, tmp, senders, seconds, f"r{number + 1}")
                elif name == ALONE:
                    alone = {"RSC_ATS__INGEST_BATCH": "1"}
                    run = await service_run(kind, tmp, senders, seconds, f"alone-r{number + 1}", alone)
                else:
                    run = await baseline_run(name, kind, tmp, senders, seconds)
                print(f"  {summary(name, run)}", flush=True)
                runs[name].append(run)
    result: dict[str, Any] = {"senders": senders, "seconds": seconds, "rounds": rounds}
    result |= {name.replace("-", "_"): figures(runs[name]) for name in servers}
    service_rps = result[SERVICE]["rps"]["median"]
    for name in (ALONE, *baselines(kind)):
        key = name.replace("-", "_")
        result[f"ratio_{key}"] = common.ratio(service_rps, result[key]["rps"]["median"])
    # How near the ceiling storing a webhook can come here at all: the faster bare store against it.
    fastest_store = max(result[key]["rps"]["median"] for key in STORES if key in result)
    result["bare_store_to_ceiling"] = common.ratio(fastest_store, result["no_database"]["rps"]["median"])
    return result


def targets(kind: str, result: dict[str, Any]) -> list[common.Check]:
    """Each target of issue 6 for this database, with whether its figures meet it (medians of the rounds)."""
    service = result[SERVICE]
    checks = [
        common.equals("lost (inbox, mirror or outbox)", service["lost"], 0),
        common.equals("refused", service["refused"], 0),
        common.at_least("ratio to the per-request endpoint", result["ratio_per_request"], 1.0),
    ]
    if kind == "sqlite":
        checks += [
            common.below("p99", service["p99_ms"]["median"], 100, " ms"),
            common.at_least(
                f"ratio to the no-database ceiling (fastest bare store: {result['bare_store_to_ceiling']})",
                result["ratio_no_database"],
                0.5,
            ),
        ]
    return checks


async def run() -> tuple[dict[str, Any], bool]:
    """The service and the baselines on every database asked for; (results by database, every target met)."""
    senders = common.env_int("BENCH_INGEST_SENDERS", 32)
    seconds = common.env_float("BENCH_INGEST_SECONDS", 15)
    rounds = common.env_int("BENCH_INGEST_ROUNDS", 3)
    results: dict[str, Any] = {}
    passed = True
    for kind in common.databases():
        print(f"== ingest on {kind} ==", flush=True)
        result = await one_database(kind, senders, seconds, rounds)
        result["targets"], ok = common.report(targets(kind, result))
        passed &= ok
        results[kind] = result
    return results, passed
