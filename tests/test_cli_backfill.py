"""The real `rsc-service backfill` against both simulators run standalone: the dry run reports and writes
nothing; the sync takes an `enabled` tenant to `active` in the foreground, sending from its own process."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db.session import create_engine
from rsc_service.mirror.models import AtsRecord
from rsc_service.outbox.models import OutboxMessage
from rsc_service.tenants import lifecycle
from rsc_service.tenants.models import Stage, Tenant
from tests import processes
from tests.conftest import make_settings
from tests.processes import Sims

FreshDatabase = Callable[[bool], Awaitable[str]]
CANDIDATES = 40


@pytest.fixture
def sims(tmp_path: Path) -> Iterator[Sims]:
    with processes.simulators(tmp_path, candidates=CANDIDATES) as sims:
        yield sims


@pytest.fixture
async def database(fresh_database: FreshDatabase) -> str:
    return await fresh_database(True)


def env(database: str, sims: Sims) -> dict[str, str]:
    return processes.env_for(
        database,
        RSC_ALLOW_INSECURE_LOCAL="true",
        RSC_LINKEDIN__API_URL=sims.linkedin,
        RSC_LINKEDIN__OAUTH_URL=f"{sims.linkedin}/oauth/v2",
        RSC_SECURITY__ENCRYPTION_KEYS='["uJ3Nq0h7cR7l8cL3oVh6Q2mJm2E6mCk1bqYgC0wX1-U="]',
        RSC_OUTBOX__POLL_MS="50",
    )


async def partner_ready_tenant(database: str, sims: Sims, environment: dict[str, str]) -> str:
    created = processes.run(
        [
            "tenant",
            "create",
            "--name",
            "Acme Robotics",
            "--ats-url",
            sims.ats,
            "--ats-token",
            "ats-sim-token",
            "--organization",
            "urn:li:organization:1001",
            "--contract",
            "urn:li:contract:2001",
            "--client-id",
            "sim-customer",
            "--client-secret",
            "sim-customer-secret",
            "--app-urn",
            "urn:li:developerApplication:101",
            "--unique-foreign-id",
            "sim-customer",
            "--json",
        ],
        environment,
    )
    assert created.returncode == 0, created.stderr
    key = str(json.loads(created.stdout)["tenant_key"])
    admin = httpx.post(
        f"{sims.ats}/_sim/records/user",
        json={
            "email": "olga@acme.example",
            "first_name": "Olga",
            "last_name": "Owner",
            "access_level": "owner",
        },
    ).json()["id"]
    await advance(database, key, (Stage.DEACTIVATED, Stage.REQUESTED, Stage.PARTNER_READY), admin=admin)
    return key


async def advance(database: str, key: str, stages: tuple[Stage, ...], *, admin: str | None = None) -> None:
    """Move the tenant through `stages` as the service's own lifecycle does (test set-up)."""
    engine = create_engine(make_settings(database).database)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            tenant = await session.scalar(select(Tenant).where(Tenant.key == key))
            assert tenant is not None
            for stage in stages:
                now = datetime.now(UTC)
                lifecycle.advance(session, tenant, stage, actor=lifecycle.OPERATOR, reason="test", now=now)
            if admin is not None:
                tenant.activated_by_user_id = admin
            await session.flush()
    finally:
        await engine.dispose()


async def counts(database: str) -> tuple[int, int, Stage]:
    engine = create_engine(make_settings(database).database)
    try:
        async with engine.connect() as connection:
            records = await connection.scalar(select(func.count()).select_from(AtsRecord))
            rows = await connection.scalar(select(func.count()).select_from(OutboxMessage))
            stage = await connection.scalar(select(Tenant.stage))
    finally:
        await engine.dispose()
    return int(records or 0), int(rows or 0), Stage(stage)


class TestBackfillCommand:
    async def test_refused_before_linkedin_enables_then_a_dry_run_then_synced_to_active(
        self, database: str, sims: Sims
    ) -> None:
        environment = env(database, sims)
        key = await partner_ready_tenant(database, sims, environment)

        refused = processes.run(["backfill", "--tenant", key, "--json"], environment)

        assert refused.returncode == 1
        assert "starts once LinkedIn enables the integration" in json.loads(refused.stdout)["error"]
        await advance(database, key, (Stage.ENABLED,))

        dry = processes.run(["backfill", "--tenant", key, "--dry-run", "--json"], environment)

        assert dry.returncode == 0, dry.stderr
        report = json.loads(dry.stdout)
        kinds = {k["kind"]: k for k in report["kinds"]}
        assert kinds["candidate"]["listed"] == kinds["candidate"]["synced"] == CANDIDATES
        assert await counts(database) == (0, 0, Stage.ENABLED)
        assert (
            httpx.get(f"{sims.linkedin}/_sim/requests", params={"pathPrefix": "/v2"}).json()["elements"] == []
        )

        synced = processes.run(["backfill", "--tenant", key, "--json"], environment, timeout=180)

        assert synced.returncode == 0, synced.stderr
        outcome = json.loads(synced.stdout)
        assert outcome["stage"] == "active" and outcome["email_sent"] is True
        walked = {k["kind"]: k for k in outcome["kinds"]}
        assert walked["candidate"]["walked"] == walked["candidate"]["landed"] == CANDIDATES
        on_linkedin = httpx.get(f"{sims.linkedin}/_sim/state").json()["counts"]
        assert on_linkedin["atsCandidates"] == CANDIDATES
        assert on_linkedin["atsApplications"] == walked["application"]["walked"]
        assert httpx.get(f"{sims.ats}/_sim/state").json()["counts"]["user_email"] == 1
        assert (await counts(database))[2] is Stage.ACTIVE
