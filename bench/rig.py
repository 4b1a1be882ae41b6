"""A benchmark's world: a new migrated database, the LinkedIn simulator and the service, as processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rsc_service.crypto import Cipher
from rsc_service.db import migrate
from rsc_service.db.session import create_engine, create_sessionmaker
from rsc_service.settings import load_settings
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.schemas import TenantCreate

ROOT = Path(__file__).resolve().parents[1]
ORGANIZATION = "urn:li:organization:1001"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def fresh_database(kind: str, tmp: Path) -> AsyncIterator[str]:
    """A new database of `kind` (sqlite | postgresql), migrated to head, dropped afterwards."""
    name = f"rsc_bench_{uuid.uuid4().hex[:10]}"
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / (name + '.db')}"
    else:
        admin = await asyncpg.connect(_pg_dsn(PG_ADMIN_URL), timeout=10)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        yield url
    finally:
        if kind != "sqlite":
            admin = await asyncpg.connect(_pg_dsn(PG_ADMIN_URL), timeout=10)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()


@contextlib.contextmanager
def profiled(pid: int, name: str) -> Iterator[None]:
    """With BENCH_PROFILE=DIR (py-spy on PATH), sample the service while the block runs: DIR/NAME.txt."""
    folder = os.environ.get("BENCH_PROFILE")
    if not folder:
        yield
        return
    output = Path(folder) / f"{name}.txt"
    output.parent.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen(
        ["py-spy", "record", "--pid", str(pid), "--format", "raw", "--rate", "100", "-o", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=30)


def _start(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(args, env=dict(env), cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-3000:]
    raise RuntimeError(f"{url} did not come up (exit {process.poll()}):\n{tail}")


def _keep_logs(*logs: Path) -> None:
    """With BENCH_LOGS=DIR, the servers' logs of each scenario are kept there (they go with the run else)."""
    folder = os.environ.get("BENCH_LOGS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%H%M%S")
        for log in logs:
            if log.exists():
                shutil.copy(log, Path(folder) / f"{stamp}-{log.name}")


@dataclass
class Rig:
    """What a scenario drives: URLs of both servers, the database, and one registered tenant."""

    database_url: str
    sessionmaker: async_sessionmaker[AsyncSession]
    engine: AsyncEngine
    sim_url: str
    service_url: str
    tenant_id: uuid.UUID
    tenant_key: str
    webhook_secret: str
    encryption_key: str
    service_pid: int = 0

    def service_settings(self, linkedin: Mapping[str, Any]) -> dict[str, str]:
        """Environment of a service process wired to this rig's database and simulator."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("RSC_")}
        # BENCH_RSC_X=... reaches the service as RSC_X=..., for experiments (e.g. a job's interval).
        env.update({k.removeprefix("BENCH_"): v for k, v in os.environ.items() if k.startswith("BENCH_RSC_")})
        env.update(
            {
                "RSC_DATABASE__URL": self.database_url,
                "RSC_ALLOW_INSECURE_LOCAL": "true",
                "RSC_SECURITY__ENCRYPTION_KEYS": json.dumps([self.encryption_key]),
                "RSC_LOGGING__LEVEL": "WARNING",
                "RSC_LOGGING__FORMAT": "json",
                # One JSON document, so limits can be switched off (null), which single variables cannot say.
                "RSC_LINKEDIN": json.dumps(
                    {"api_url": self.sim_url, "oauth_url": f"{self.sim_url}/oauth/v2", **linkedin}
                ),
            }
        )
        return env


async def register_tenant(
    sessionmaker: async_sessionmaker[AsyncSession], key: str, name: str, *, paused: bool = False
) -> tenant_service.Registered:
    """A tenant on the simulator's default child app; `paused` keeps the service from sending its rows."""
    now = datetime.now(UTC)
    async with sessionmaker.begin() as session:
        registered = await tenant_service.register(
            session,
            data=TenantCreate(
                name=name,
                ats_base_url="http://127.0.0.1:9/api",
                ats_token="ats-sim-token",
                linkedin_organization_urn=ORGANIZATION,
                contracts=["urn:li:contract:2001"],
                linkedin_client_id="sim-customer",
                linkedin_client_secret="sim-customer-secret",
                linkedin_app_urn="urn:li:developerApplication:101",
                linkedin_unique_foreign_id=f"bench-{name}-{uuid.uuid4().hex[:6]}",
            ),
            cipher=Cipher([key]),
            now=now,
            allow_insecure_local=True,
        )
        if paused:
            await tenant_service.pause_sending(
                session, tenant_id=registered.tenant.id, until=now + timedelta(days=1), reason="benchmark"
            )
        return registered


@contextlib.asynccontextmanager
async def rig(kind: str, *, sim: Mapping[str, Any], linkedin: Mapping[str, Any]) -> AsyncIterator[Rig]:
    """Database, simulator (SimConfig fields `sim`), service (LinkedIn settings `linkedin`), all running."""
    key = Fernet.generate_key().decode()
    with tempfile.TemporaryDirectory(prefix="rsc-bench-") as tmp_name:
        tmp = Path(tmp_name)
        async with fresh_database(kind, tmp) as url:
            engine = create_engine(load_settings(database={"url": url}).database)
            sessionmaker = create_sessionmaker(engine)
            try:
                registered = await register_tenant(sessionmaker, key, "main")
                sim_port, service_port = free_port(), free_port()
                sim_log, service_log = tmp / "linkedin.log", tmp / "service.log"
                config = {"request_log_limit": 1_000_000, "task_completion_seconds": 0, **sim}
                simulator = _start(
                    [sys.executable, "-m", "bench.linkedin_sim", str(sim_port), json.dumps(config)],
                    os.environ,
                    sim_log,
                )
                service: subprocess.Popen[bytes] | None = None
                try:
                    sim_url = f"http://127.0.0.1:{sim_port}"
                    await _wait_for(f"{sim_url}/_sim/state", simulator, sim_log)
                    wired = Rig(
                        database_url=url,
                        sessionmaker=sessionmaker,
                        engine=engine,
                        sim_url=sim_url,
                        service_url=f"http://127.0.0.1:{service_port}",
                        tenant_id=registered.tenant.id,
                        tenant_key=registered.tenant.key,
                        webhook_secret=registered.webhook_secret,
                        encryption_key=key,
                    )
                    service = _start(
                        [sys.executable, "-m", "rsc_service", "serve", "--port", str(service_port)],
                        wired.service_settings(linkedin),
                        service_log,
                    )
                    await _wait_for(f"{wired.service_url}/readyz", service, service_log)
                    wired.service_pid = service.pid
                    yield wired
                finally:
                    if service is not None:
                        _stop(service)
                    _stop(simulator)
                    _keep_logs(service_log, sim_log)
            finally:
                await engine.dispose()
