"""In-ATS reads (S1-S3) against a tenant with 100,000 linked candidates, over HTTP to the service process.

The database is loaded directly (the mirror's and the links' rows, as webhooks and LinkedIn's match read
back would have left them). PostgreSQL is then analyzed, as its autovacuum would have done by the time a
tenant holds that much; SQLite is not, as nothing analyzes its file, so its plans are those without
statistics (tests/in_ats/test_query_plans.py checks them). Every
candidate has an application; one in a hundred has a history a preview shows in full (three applications
with stage changes, notes and interviews). A second tenant holds a tenth as many candidates linked to the
same members, so every read must keep to its tenant through the indexes.

Then, one request at a time (the latency a Recruiter page waits for): S1 pages of 100 members, 30 of them
in the ATS; S2 for a linked member; S3 for a member with a full history. Targets: S1 p99 < 50 ms and S3 p99
< 50 ms, on each database.

Settings: BENCH_IN_ATS_CANDIDATES (100000), BENCH_IN_ATS_REQUESTS (per route; 1000); BENCH_DATABASES,
BENCH_RESULTS, BENCH_LOGS and BENCH_RSC_X=v as for the other benchmarks (bench/README.md).
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rsc_service.db.session import create_engine, create_sessionmaker
from rsc_service.links.models import CandidateLink
from rsc_service.mirror.models import AtsRecord
from rsc_service.settings import load_settings

from . import common, rig
from .measure import percentile

PAGE = 100  # members of a Recruiter search page
IN_ATS_PER_PAGE = 30
RICH_EVERY = 100  # one candidate in a hundred has a full history
JOBS, USERS = 50, 20
CHUNK = 2000
STAGES = ["Applied", "Phone screen", "Onsite", "Offer"]


def _member(n: int) -> str:
    return f"urn:li:person:b{n:06d}"


def _stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _record(tenant_id: uuid.UUID, kind: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "kind": kind,
        "ats_id": data["id"],
        "version": 1,
        "deleted": False,
        "candidate_id": data.get("candidate_id"),
        "job_id": data.get("job_id"),
        "application_id": data.get("application_id"),
        "data": data,
        "occurred_at": now,
        "updated_at": now,
    }


def _base(record_id: str, kind: str, at: datetime) -> dict[str, Any]:
    return {"id": record_id, "kind": kind, "version": 1, "created_at": _stamp(at), "updated_at": _stamp(at)}


def _application(
    app_id: str, candidate: str, job: int, at: datetime, history: int, users: list[str]
) -> dict[str, Any]:
    changes = [
        {"stage": STAGES[i], "entered_at": _stamp(at + timedelta(days=3 * i)), "changed_by_user_id": users[i]}
        for i in range(history)
    ]
    return _base(app_id, "application", at) | {
        "candidate_id": candidate,
        "job_id": f"j{job:03d}",
        "stage": STAGES[history - 1],
        "status": "active",
        "stage_history": changes,
        "applied_at": _stamp(at),
    }


def _candidate_rows(tenant_id: uuid.UUID, n: int, prefix: str, now: datetime) -> list[dict[str, Any]]:
    """The candidate, its application, and for one in a hundred, a full history."""
    at = now - timedelta(days=400) + timedelta(minutes=n)
    candidate = f"{prefix}{n:06d}"
    users = [f"u{(n + i) % USERS:02d}" for i in range(len(STAGES))]
    rows = [
        _record(
            tenant_id,
            "candidate",
            _base(candidate, "candidate", at)
            | {
                "first_name": f"First{n}",
                "last_name": f"Last{n}",
                "emails": [{"address": f"c{n}@candidates.example", "type": "home"}],
                "current_company": "Parcel Bots",
                "current_title": "Engineer",
                "url": f"https://acme.ats.example/candidates/{candidate}",
            },
            now,
        ),
        _record(
            tenant_id, "application", _application(f"{candidate}-a0", candidate, n % JOBS, at, 2, users), now
        ),
    ]
    if n % RICH_EVERY:
        return rows
    for a in (1, 2):
        app = _application(f"{candidate}-a{a}", candidate, (n + a) % JOBS, at + timedelta(days=a), 4, users)
        rows.append(_record(tenant_id, "application", app, now))
    for i in range(3):
        note = _base(f"{candidate}-n{i}", "note", at) | {
            "candidate_id": candidate,
            "application_id": f"{candidate}-a{i}" if i else None,
            "job_id": None,
            "body": f"Note {i} on a strong candidate with a long history of shipping robots.",
            "author_user_id": users[i],
            "written_at": _stamp(at + timedelta(days=i)),
            "visibility": {"linkedin_contract": "urn:li:contract:2001"} if i == 2 else None,
        }
        rows.append(_record(tenant_id, "note", note, now))
    for i in range(2):
        feedback = _base(f"{candidate}-f{i}", "interview_feedback", at) | {
            "candidate_id": candidate,
            "job_id": f"j{(n + 1) % JOBS:03d}",
            "application_id": f"{candidate}-a1",
            "interviewer_user_id": users[i],
            "interview_type": "onsite",
            "interviewed_at": _stamp(at + timedelta(days=5 + i)),
            "rating": "yes",
            "summary": "Clear on control loops; asked good questions.",
        }
        rows.append(_record(tenant_id, "interview_feedback", feedback, now))
    return rows


async def _insert(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(table), rows[start : start + CHUNK])


async def load(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    candidates: int,
    prefix: str,
    step: int,
) -> None:
    """Jobs, users, and every `step`-th of `candidates` with its records and its email link."""
    records = cast(Table, AtsRecord.__table__)
    links = cast(Table, CandidateLink.__table__)
    now = datetime.now(UTC)
    async with sessionmaker.begin() as session:
        fixed = [
            _record(tenant_id, "job", _base(f"j{j:03d}", "job", now) | {"title": f"Robotics Engineer {j}",
                    "status": "open", "privacy": "public", "listed": True}, now)
            for j in range(JOBS)
        ] + [
            _record(tenant_id, "user", _base(f"u{u:02d}", "user", now) | {"email": f"u{u}@acme.example",
                    "first_name": f"User{u}", "last_name": "Recruiter", "access_level": "recruiter"}, now)
            for u in range(USERS)
        ]  # fmt: skip
        await _insert(session, records, fixed)
    for start in range(0, candidates, 10_000):
        numbers = range(start, min(start + 10_000, candidates), step)
        async with sessionmaker.begin() as session:
            await _insert(
                session, records, [row for n in numbers for row in _candidate_rows(tenant_id, n, prefix, now)]
            )
            await _insert(
                session,
                links,
                [
                    {
                        "tenant_id": tenant_id,
                        "ats_candidate_id": f"{prefix}{n:06d}",
                        "member_urn": _member(n),
                        "source": "email",
                        "linked_at": now,
                        "checked_at": now,
                    }
                    for n in numbers
                ],
            )


async def _timed(
    count: int,
    warm: int,
    call: Callable[[int], Awaitable[httpx.Response]],
    check: Callable[[httpx.Response], bool],
) -> dict[str, Any]:
    """`count` calls one at a time after `warm` unmeasured ones: latency percentiles in ms."""
    for i in range(warm):
        response = await call(i)
        if not check(response):
            raise RuntimeError(f"unexpected answer {response.status_code}: {response.text[:500]}")
    latencies = []
    wrong = 0
    for i in range(count):
        started = time.perf_counter()
        response = await call(i)
        latencies.append((time.perf_counter() - started) * 1000)
        wrong += not check(response)
    return {
        "requests": count,
        "wrong_answers": wrong,
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p90_ms": round(percentile(latencies, 0.9), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2),
    }


async def measure(kind: str) -> dict[str, Any]:
    candidates = common.env_int("BENCH_IN_ATS_CANDIDATES", 100_000)
    requests = common.env_int("BENCH_IN_ATS_REQUESTS", 1000)
    key = Fernet.generate_key().decode()
    with tempfile.TemporaryDirectory(prefix="rsc-bench-") as tmp_name:
        tmp = Path(tmp_name)
        async with rig.fresh_database(kind, tmp) as url:
            engine = create_engine(load_settings(database={"url": url}).database)
            sessionmaker = create_sessionmaker(engine)
            try:
                main = await rig.register_tenant(sessionmaker, key, "main")
                other = await rig.register_tenant(
                    sessionmaker, key, "other", app_urn="urn:li:developerApplication:102"
                )
                started = time.monotonic()
                await load(sessionmaker, main.tenant.id, candidates, "c", 1)
                await load(sessionmaker, other.tenant.id, candidates, "o", 10)
                if kind == "postgresql":  # its autovacuum would have; nothing analyzes a SQLite file
                    async with engine.connect() as connection:
                        await connection.execute(text("ANALYZE"))
                        await connection.commit()
                loaded = round(time.monotonic() - started, 1)
                print(f"  loaded {candidates} candidates in {loaded} s", flush=True)
            finally:
                await engine.dispose()
            assert main.in_ats_credential is not None
            port = rig.free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("RSC_")}
            env.update(
                {k.removeprefix("BENCH_"): v for k, v in os.environ.items() if k.startswith("BENCH_RSC_")}
            )
            env.update(
                {
                    "RSC_DATABASE__URL": url,
                    "RSC_SECURITY__ENCRYPTION_KEYS": json.dumps([key]),
                    "RSC_LOGGING__LEVEL": "WARNING",
                    "RSC_LOGGING__FORMAT": "json",
                }
            )
            log = tmp / "service.log"
            base = f"http://127.0.0.1:{port}"
            args = [sys.executable, "-m", "rsc_service", "serve", "--no-jobs", "--port", str(port)]
            rng = random.Random(7)
            rich = list(range(0, candidates, RICH_EVERY))
            try:
                async with (
                    rig.server(args, env, log, f"{base}/readyz"),
                    httpx.AsyncClient(
                        base_url=f"{base}/v1/in-ats/{main.tenant.key}",
                        headers={"authorization": f"Bearer {main.in_ats_credential}"},
                        timeout=30,
                    ) as http,
                ):

                    async def s1(_: int) -> httpx.Response:
                        known = [_member(n) for n in rng.sample(range(candidates), IN_ATS_PER_PAGE)]
                        unknown = [
                            f"urn:li:person:x{rng.randrange(10**9)}" for _ in range(PAGE - IN_ATS_PER_PAGE)
                        ]
                        return await http.get(
                            "/past-applicants", params=[("member", m) for m in known + unknown]
                        )

                    async def s2(_: int) -> httpx.Response:
                        return await http.get(f"/members/{_member(rng.randrange(candidates))}/indicator")

                    async def s3(_: int) -> httpx.Response:
                        return await http.get(f"/members/{_member(rng.choice(rich))}/preview")

                    def s1_ok(response: httpx.Response) -> bool:
                        return response.status_code == 200 and response.json()["count"] == IN_ATS_PER_PAGE

                    def s3_ok(response: httpx.Response) -> bool:
                        if response.status_code != 200:
                            return False
                        (candidate,) = response.json()["candidates"]
                        return len(candidate["applications"]) == 3 and candidate["has_interviews"]

                    warm = min(50, requests)
                    result = {
                        "candidates": candidates,
                        "rich_candidates": len(rich),
                        "load_s": loaded,
                        "s1_past_applicants": await _timed(requests, warm, s1, s1_ok),
                        "s2_indicator": await _timed(requests, warm, s2, lambda r: r.status_code == 200),
                        "s3_preview": await _timed(requests, warm, s3, s3_ok),
                    }
            finally:
                rig.keep_logs(log)
    return result


def targets(result: dict[str, Any]) -> list[common.Check]:
    return [
        common.below("S1 p99", result["s1_past_applicants"]["p99_ms"], 50, " ms"),
        common.below("S3 p99", result["s3_preview"]["p99_ms"], 50, " ms"),
        common.equals(
            "wrong answers",
            sum(
                result[name]["wrong_answers"] for name in ("s1_past_applicants", "s2_indicator", "s3_preview")
            ),
            0,
        ),
    ]


async def run() -> tuple[dict[str, Any], bool]:
    results: dict[str, Any] = {}
    passed = True
    for kind in common.databases():
        print(f"== in_ats on {kind} ==", flush=True)
        result = await measure(kind)
        print(f"  {json.dumps({k: v for k, v in result.items() if k.startswith('s')})}", flush=True)
        result["targets"], ok = common.report(targets(result))
        passed &= ok
        results[kind] = result
    return results, passed
