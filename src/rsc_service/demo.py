"""The demo: both simulators beside the service on 127.0.0.1, a tenant, ATS changes landing in LinkedIn."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr

from rsc_service.app import create_app
from rsc_service.context import AppContext
from rsc_service.db import migrate
from rsc_service.outbox import service as outbox_service
from rsc_service.settings import Settings, load_settings
from rsc_service.simulators.ats.app import create_app as create_ats_sim
from rsc_service.simulators.ats.config import AtsSimConfig
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.schemas import TenantCreate
from rsc_service.web.http_protocol import header_capped

Out = Callable[[str], None]
HOST = "127.0.0.1"
ORGANIZATION = "urn:li:organization:1001"
# The LinkedIn simulator's default world already holds this child app (its README, "Default world").
CHILD_APP = {
    "client_id": "sim-customer",
    "secret": "sim-customer-secret",
    "urn": "urn:li:developerApplication:101",
}
SEED = {"seed": 7, "users": 6, "jobs": 6, "candidates": 24}
SHOWN = {
    "simpleJobPostings": "jobs",
    "atsCandidates": "candidates",
    "atsApplications": "applications",
    "stages": "stages",
    "candidateNotes": "candidate notes",
    "applicationNotes": "application notes",
    "interviewFeedback": "interview feedback",
}
OPEN_STATES = ("pending", "inflight", "awaiting_task")


class _Server(uvicorn.Server):
    """A uvicorn server that leaves Ctrl-C to the demo, which stops all three servers in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _port_free(port: int) -> bool:
    # uvicorn exits the whole process when it cannot bind; ask first, while nothing is running yet.
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _url(port: int) -> str:
    return f"http://{HOST}:{port}"


def _demo_settings(database: Path, port: int, linkedin_port: int) -> Settings:
    url = f"sqlite+aiosqlite:///{database.resolve()}"
    settings = load_settings(
        database={"url": url},
        server={"host": HOST, "port": port, "public_url": _url(port)},
        linkedin={"api_url": _url(linkedin_port), "oauth_url": f"{_url(linkedin_port)}/oauth/v2"},
        scheduler={"enabled": True},
        allow_insecure_local=True,  # loopback http everywhere (docs/architecture.md#16-security)
        logging={"level": "WARNING"},
    )
    if not settings.security.encryption_keys:
        # Secrets at rest need a key; the demo keeps its own beside its database so reruns can read them.
        key_file = database.with_name(database.name + ".key")
        if not key_file.exists():
            key_file.write_text(Fernet.generate_key().decode())
            key_file.chmod(0o600)
        settings.security.encryption_keys = [SecretStr(key_file.read_text().strip())]
    return settings


async def _start(
    app: FastAPI, port: int, http: type[asyncio.Protocol] | None = None
) -> tuple[_Server, asyncio.Task[None]]:
    config = uvicorn.Config(
        app, host=HOST, port=port, log_level="warning", access_log=False, http=http or "auto"
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise RuntimeError(f"could not serve on {_url(port)} (is the port in use?)")
        await asyncio.sleep(0.05)
    return server, task


async def _stop(servers: list[tuple[_Server, asyncio.Task[None]]]) -> None:
    for server, task in reversed(servers):  # the service first: its jobs stop before LinkedIn goes away
        server.should_exit = True
        with contextlib.suppress(BaseException):
            await task


async def _register(ctx: AppContext, ats_port: int) -> tenant_service.Registered:
    """The demo tenant, registered afresh (an earlier run's is removed with everything stored for it)."""
    async with ctx.sessionmaker.begin() as session:
        for tenant in await tenant_service.list_all(session):
            if tenant.linkedin_unique_foreign_id == CHILD_APP["client_id"]:
                await tenant_service.delete(session, tenant)
        return await tenant_service.register(
            session,
            data=TenantCreate(
                name="Acme Robotics (demo)",
                ats_base_url=_url(ats_port),
                ats_token="ats-sim-token",  # noqa: S106 - the fake ATS's documented token
                linkedin_organization_urn=ORGANIZATION,
                contracts=["urn:li:contract:2001"],
                linkedin_client_id=CHILD_APP["client_id"],
                linkedin_client_secret=CHILD_APP["secret"],
                linkedin_app_urn=CHILD_APP["urn"],
                linkedin_unique_foreign_id=CHILD_APP["client_id"],
            ),
            cipher=ctx.cipher,
            now=ctx.clock(),
            allow_insecure_local=True,
        )


def _counts(state: dict[str, Any]) -> str:
    counts = state["counts"]
    return ", ".join(f"{counts.get(resource, 0)} {label}" for resource, label in SHOWN.items())


async def _watch(
    ctx: AppContext,
    tenant_id: uuid.UUID,
    sims: tuple[httpx.AsyncClient, httpx.AsyncClient],
    out: Out,
    within: float,
) -> bool:
    """Print what LinkedIn holds as it changes; True once every webhook arrived and all of it was sent."""
    ats, linkedin = sims
    deadline, shown = time.monotonic() + within, ""
    while time.monotonic() < deadline:
        line = _counts((await linkedin.get("/_sim/state")).json())
        if line != shown:
            out(f"  in LinkedIn: {line}")
            shown = line
        deliveries = (await ats.get("/_sim/state")).json()["deliveries"]
        async with ctx.sessionmaker() as session:
            depth = await outbox_service.depth(session, tenant_id=tenant_id)
        arrived = not any(deliveries.get(state) for state in ("pending", "held"))
        if arrived and depth.get("done") and not any(depth.get(state) for state in OPEN_STATES):
            if depth.get("dead"):
                out(f"  {depth['dead']} records were refused by LinkedIn (dead letters: /v1/admin)")
                return False
            return True
        await asyncio.sleep(0.5)
    return False


async def run_demo(
    *,
    port: int = 8000,
    linkedin_port: int = 8100,
    ats_port: int = 8200,
    database: Path,
    once: bool,
    out: Out,
) -> int:
    """Serve the service and both simulators, onboard a demo tenant, seed the fake ATS and show it landing.

    With `once`, returns 0 when every seeded record has landed in LinkedIn (1 on a timeout or a refusal);
    otherwise keeps serving until SIGINT/SIGTERM (at any point), stops all three servers and returns 0.
    """
    busy = [p for p in (port, linkedin_port, ats_port) if not _port_free(p)]
    if busy:
        out(f"port {busy[0]} on {HOST} is in use (another demo running?); choose other ports")
        return 2
    servers: list[tuple[_Server, asyncio.Task[None]]] = []
    with _cancelled_by_signals(enabled=not once):
        try:
            settings = _demo_settings(database, port, linkedin_port)
            await asyncio.to_thread(migrate.upgrade, settings.database.url)
            out(f"rsc-service demo: database {database} migrated")
            landed = await _story(
                settings, servers, port, linkedin_port, ats_port, out, within=90 if once else 600
            )
            out("everything the ATS holds is in LinkedIn" if landed else "not everything landed in time")
            if once:
                return 0 if landed else 1
            out("try `rsc-service demo change` in another terminal; Ctrl-C stops the demo")
            await asyncio.Event().wait()  # until a signal cancels this task
        except asyncio.CancelledError:
            if once:
                raise
            out("stopping")
        finally:
            await _stop(servers)
    return 0


async def _story(
    settings: Settings,
    servers: list[tuple[_Server, asyncio.Task[None]]],
    port: int,
    linkedin_port: int,
    ats_port: int,
    out: Out,
    within: float,
) -> bool:
    service_app = create_app(settings)
    linkedin_app = create_linkedin_sim(SimConfig(allow_insecure_local=True, task_completion_seconds=1))
    linkedin_app.state.faults.server_mode = True  # as standalone: faults act on real connections
    servers.append(await _start(linkedin_app, linkedin_port))
    servers.append(await _start(create_ats_sim(AtsSimConfig(retry_scale=0.01)), ats_port))
    # The service's headers are capped as they are read, as under `serve` (web/http_protocol.py).
    servers.append(await _start(service_app, port, header_capped(settings.server.max_header_bytes)))
    ctx: AppContext = service_app.state.ctx
    tenant = await _register(ctx, ats_port)
    out(f"registered tenant {tenant.tenant.key} (child app {CHILD_APP['client_id']}, {ORGANIZATION})")
    async with (
        httpx.AsyncClient(base_url=_url(ats_port)) as ats,
        httpx.AsyncClient(base_url=_url(linkedin_port)) as linkedin,
    ):
        webhook_url = f"{_url(port)}/v1/webhooks/ats/{tenant.tenant.key}"
        target = {"url": webhook_url, "secrets": [tenant.webhook_secret]}
        (await ats.put("/_sim/webhooks/target", json=target)).raise_for_status()
        seeded = (await ats.post("/_sim/seed", json={**SEED, "announce": True})).json()
        kinds = ", ".join(
            f"{n} {kind.replace('_', ' ')}" for kind, n in seeded.items() if kind != "announced"
        )
        out(f"the fake ATS has {kinds}; {seeded.get('announced', 0)} signed webhooks go to {webhook_url}")
        _print_urls(out, port, linkedin_port, ats_port)
        return await _watch(ctx, tenant.tenant.id, (ats, linkedin), out, within=within)


@contextlib.contextmanager
def _cancelled_by_signals(*, enabled: bool) -> Iterator[None]:
    """Ctrl-C or SIGTERM cancels the running demo, whose cleanup then stops every server in order."""
    if not enabled:
        yield
        return
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    assert task is not None
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        yield
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _print_urls(out: Out, port: int, linkedin_port: int, ats_port: int) -> None:
    out(f"  service API docs     {_url(port)}/docs")
    out(f"  LinkedIn simulator   {_url(linkedin_port)}/_sim/docs  (records: /_sim/records/atsCandidates)")
    out(f"  fake ATS             {_url(ats_port)}/docs  (deliveries: /_sim/deliveries)")


async def demo_change(*, port: int = 8000, ats_port: int = 8200, linkedin_port: int = 8100, out: Out) -> int:
    """Change one candidate's title in the running demo's fake ATS and time its arrival in LinkedIn."""
    async with (
        httpx.AsyncClient(base_url=_url(ats_port)) as ats,
        httpx.AsyncClient(base_url=_url(linkedin_port)) as linkedin,
    ):
        try:
            candidates = (await ats.get("/_sim/records/candidate")).json()
        except httpx.ConnectError:
            out(f"no demo answers on {_url(ats_port)}: start `rsc-service demo` first")
            return 1
        live = [c for c in candidates if not c.get("deleted_at")]
        if not live:
            out("the fake ATS holds no candidate yet: wait for `rsc-service demo` to seed it")
            return 1
        candidate = live[0]
        title = f"Principal Engineer ({time.strftime('%H:%M:%S')}.{int(time.time() * 1000) % 1000:03d})"
        started = time.time()
        (
            await ats.patch(f"/_sim/records/candidate/{candidate['id']}", json={"current_title": title})
        ).raise_for_status()
        out(
            f"changed {candidate['id']} ({candidate['first_name']} {candidate['last_name']}): title {title!r}"
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            stored = await _stored_at(linkedin, candidate["id"], title)
            if stored is not None:
                out(f"in LinkedIn after {(stored - started) * 1000:.0f} ms (via {_url(port)})")
                return 0
            await asyncio.sleep(0.05)
    out("the change did not reach LinkedIn within 30 s")
    return 1


async def _stored_at(linkedin: httpx.AsyncClient, ats_id: str, title: str) -> float | None:
    """When LinkedIn stored the candidate with `title` (epoch seconds), or None if it has not yet."""
    records = (
        await linkedin.get("/_sim/records/atsCandidates", params={"integrationContext": ORGANIZATION})
    ).json()
    for element in records["elements"]:
        if element["fields"].get("atsCandidateId") != ats_id:
            continue
        for entry in element["history"]:
            if (entry.get("record") or {}).get("currentJobTitle") == title:
                return float(entry["at"]) / 1000
    return None
