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
async def fresh_database(kind: str, tmp: Path, *, migrated: bool = True) -> AsyncIterator[str]:
    """A new database of `kind` (sqlite | postgresql), migrated to head unless told not, then dropped."""
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
        if migrated:
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


def start_process(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(args, env=dict(env), cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, within: float = 60) -> None:
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


def keep_logs(*logs: Path) -> None:
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
    """What a scenario drives: URLs of LinkedIn's stand-in and the service, the database, one tenant."""

    database_url: str
    sessionmaker: async_sessionmaker[AsyncSession]
    engine: AsyncEngine
    sim_url: str  # the LinkedIn simulator's, or the minimal mock's when the rig was asked for one
    service_url: str
    tenant_id: uuid.UUID
    tenant_key: str
    webhook_secret: str
    encryption_key: str
    tmp: Path
    service_pid: int = 0
    trace_file: Path | None = None  # where a traced service writes its notes when it stops
    _service: subprocess.Popen[bytes] | None = None

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
        if self.trace_file is not None:
            env["BENCH_TRACE_FILE"] = str(self.trace_file)
        return env

    def stop_service(self) -> None:
        """Stop the service now (a traced one writes its notes as it stops); the rig would at its end."""
        if self._service is not None:
            stop_process(self._service)


async def register_tenant(
    sessionmaker: async_sessionmaker[AsyncSession],
    key: str,
    name: str,
    *,
    paused: bool = False,
    app_urn: str = "urn:li:developerApplication:101",
) -> tenant_service.Registered:
    """A tenant on the simulator's default child app; `paused` keeps the service from sending its rows. One
    tenant holds an application: a second one names another `app_urn`."""
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
                linkedin_app_urn=app_urn,
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


def _linkedin_process(
    mock: bool, port: int, sim: Mapping[str, Any], log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """LinkedIn's stand-in as a process: the simulator with SimConfig fields `sim`, or the minimal mock;
    (the process, the URL that answers once it is up)."""
    if mock:
        args = [sys.executable, "-m", "bench.mock_linkedin", str(port)]
        return start_process(args, os.environ, log), f"http://127.0.0.1:{port}/_mock/stats"
    config = {"request_log_limit": 1_000_000, "task_completion_seconds": 0, **sim}
    args = [sys.executable, "-m", "bench.linkedin_sim", str(port), json.dumps(config)]
    return start_process(args, os.environ, log), f"http://127.0.0.1:{port}/_sim/state"


@contextlib.asynccontextmanager
async def rig(
    kind: str,
    *,
    sim: Mapping[str, Any],
    linkedin: Mapping[str, Any],
    mock: bool = False,
    traced: bool = False,
) -> AsyncIterator[Rig]:
    """Database, LinkedIn's stand-in (the simulator with SimConfig fields `sim`, or with `mock` the minimal
    mock), the service (LinkedIn settings `linkedin`; with `traced`, under bench.tracing), all running."""
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
                simulator, ready_url = _linkedin_process(mock, sim_port, sim, sim_log)
                wired: Rig | None = None
                try:
                    await wait_until_up(ready_url, simulator, sim_log)
                    wired = Rig(
                        database_url=url,
                        sessionmaker=sessionmaker,
                        engine=engine,
                        sim_url=f"http://127.0.0.1:{sim_port}",
                        service_url=f"http://127.0.0.1:{service_port}",
                        tenant_id=registered.tenant.id,
                        tenant_key=registered.tenant.key,
                        webhook_secret=registered.webhook_secret,
                        encryption_key=key,
                        tmp=tmp,
                        trace_file=tmp / "trace.jsonl" if traced else None,
                    )
                    command = ["bench.tracing"] if traced else ["rsc_service"]
                    wired._service = start_process(
                        [sys.executable, "-m", *command, "serve", "--port", str(service_port)],
                        wired.service_settings(linkedin),
                        service_log,
                    )
                    await wait_until_up(f"{wired.service_url}/readyz", wired._service, service_log)
                    wired.service_pid = wired._service.pid
                    yield wired
                finally:
                    if wired is not None:
                        wired.stop_service()
                    stop_process(simulator)
                    notes = [wired.trace_file] if wired is not None and wired.trace_file else []
                    keep_logs(service_log, sim_log, *notes)
            finally:
                await engine.dispose()


@contextlib.asynccontextmanager
async def server(args: list[str], env: Mapping[str, str], log: Path, ready_url: str) -> AsyncIterator[int]:
    """A server process, up and answering `ready_url`; yields its pid, stops it afterwards."""
    process = start_process(args, env, log)
    try:
        await wait_until_up(ready_url, process, log)
        yield process.pid
    finally:
        stop_process(process)
