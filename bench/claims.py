"""The claim benchmark: what one drain claim costs as one tenant's backlog grows.

A claim takes each tenant's first rows due, up to the per-tenant cap, searched in the outbox's (tenant, state,
due, id) index; it once ranked every due row, so a claim cost the size of the largest backlog (about a second
at a million rows of one tenant, on every pass while that backlog drained). Here one tenant owes a growing
backlog, all due at the same moment as an initial sync owes it, and another owes 3 rows; at each size the
claim runs `BENCH_CLAIM_REPEATS` times (each rolled back, so the rows stay due) and the median is kept.

Targets: the claim at the largest backlog costs at most 3x the claim at the smallest, and every claim holds
the small tenant's 3 rows. BENCH_CLAIM_SIZES (default 10000,100000,300000) sets the backlogs.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rsc_service.crypto import Cipher
from rsc_service.db.session import create_engine, create_sessionmaker
from rsc_service.outbox import repository
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State
from rsc_service.settings import load_settings
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.schemas import TenantCreate

from . import common
from .rig import fresh_database

CLAIM_LIMIT, PER_TENANT = 2000, 1000  # the dispatcher's defaults (RSC_OUTBOX__CLAIM_LIMIT, __PER_TENANT)
INSERT_CHUNK = 5000


def _tenant(n: int) -> TenantCreate:
    return TenantCreate(
        name=f"Claims {n}",
        ats_base_url="http://ats.test/api",
        ats_token=f"ats-token-{n}",
        linkedin_organization_urn="urn:li:organization:1001",
        contracts=["urn:li:contract:2001"],
        linkedin_client_id="bench-customer",
        linkedin_client_secret="bench-customer-secret",
        linkedin_app_urn=f"urn:li:developerApplication:{3000 + n}",
        linkedin_unique_foreign_id=f"claims-{n}",
    )


def _rows(tenant_id: uuid.UUID, first: int, count: int, due: datetime) -> list[dict[str, Any]]:
    return [
        {
            "tenant_id": tenant_id,
            "resource": "atsCandidates",
            "key": f"cand_{number}",
            "path_parent": None,
            "depends_on": [],
            "op": Op.UPSERT,
            "payload": {"firstName": "Ada"},
            "revision": 1,
            "source_version": 1,
            "state": State.PENDING,
            "task_ids": [],
            "attempts": 0,
            "next_attempt_at": due,
            "created_at": due,
            "updated_at": due,
        }
        for number in range(first, first + count)
    ]


async def _analyze(engine: AsyncEngine) -> None:
    """Statistics for PostgreSQL's planner, as autovacuum or the writer (db/statistics.py) gives them. SQLite
    plans from its indexes alone: the service never analyzes it."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE outbox_messages"))


async def _claim_ms(
    sessionmaker: async_sessionmaker[AsyncSession], small: uuid.UUID, now: datetime, repeats: int
) -> tuple[float, bool]:
    """The median claim in milliseconds, and whether every claim held the small tenant's 3 rows."""
    times, fair = [], True
    for _ in range(repeats):
        async with sessionmaker() as session:
            started = time.perf_counter()
            rows = await repository.claim_candidates(
                session, now=now, limit=CLAIM_LIMIT, per_tenant=PER_TENANT
            )
            times.append((time.perf_counter() - started) * 1000)
            fair &= sum(row.tenant_id == small for row in rows) == 3
            await session.rollback()
    return round(statistics.median(times), 1), fair


async def one_database(kind: str, sizes: list[int], repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rsc-bench-claims-") as tmp_name:
        async with fresh_database(kind, Path(tmp_name)) as url:
            settings = load_settings(database={"url": url})
            engine = create_engine(settings.database)
            sessionmaker = create_sessionmaker(engine)
            cipher = Cipher([Fernet.generate_key().decode()])
            now = datetime.now(UTC)
            try:
                async with sessionmaker.begin() as session:
                    register = {"cipher": cipher, "now": now, "allow_insecure_local": True}
                    big = (await tenant_service.register(session, data=_tenant(1), **register)).tenant.id
                    small = (await tenant_service.register(session, data=_tenant(2), **register)).tenant.id
                    await session.execute(insert(OutboxMessage), _rows(small, 0, 3, now))
                claims: list[dict[str, Any]] = []
                owed = 0
                for size in sizes:
                    async with sessionmaker.begin() as session:
                        for first in range(owed, size, INSERT_CHUNK):
                            count = min(INSERT_CHUNK, size - first)
                            due = now - timedelta(hours=1)  # older than the small tenant's: first by due time
                            await session.execute(insert(OutboxMessage), _rows(big, first, count, due))
                    owed = size
                    await _analyze(engine)
                    median, fair = await _claim_ms(sessionmaker, small, now, repeats)
                    claims.append({"backlog": size, "claim_ms": median, "small_tenant_in_every_claim": fair})
                    print(f"  {kind}: backlog {size:>9,}: claim {median:7.1f} ms, fair {fair}", flush=True)
            finally:
                await engine.dispose()
    first, last = claims[0], claims[-1]
    return {
        "claim_limit": CLAIM_LIMIT,
        "per_tenant": PER_TENANT,
        "repeats": repeats,
        "claims": claims,
        "growth": common.ratio(last["claim_ms"], first["claim_ms"]),
    }


def targets(result: dict[str, Any]) -> list[common.Check]:
    claims = result["claims"]
    return [
        common.below(
            f"claim at {claims[-1]['backlog']:,} rows against {claims[0]['backlog']:,}",
            result["growth"],
            3.0,
            "x",
        ),
        common.equals(
            "the small tenant's rows in every claim",
            all(c["small_tenant_in_every_claim"] for c in claims),
            True,
        ),
    ]


async def run() -> tuple[dict[str, Any], bool]:
    sizes = [int(size) for size in common.env_list("BENCH_CLAIM_SIZES", "10000,100000,300000")]
    repeats = common.env_int("BENCH_CLAIM_REPEATS", 5)
    results: dict[str, Any] = {}
    passed = True
    for kind in common.databases():
        print(f"== claims on {kind} ==", flush=True)
        result = await one_database(kind, sizes, repeats)
        result["targets"], ok = common.report(targets(result))
        passed &= ok
        results[kind] = result
    return results, passed
