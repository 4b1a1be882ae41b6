"""The service on a real port over a real, migrated database, beside the fake ATS and the LinkedIn
simulator, all served by uvicorn on 127.0.0.1 from one background thread; and the credentials each route's
callers use."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import requests
import uvicorn
from fastapi import FastAPI

from rsc_service.app import create_app
from rsc_service.ats_webhooks import routes
from rsc_service.integrations.ats import signatures
from rsc_service.mirror.changes import MAX_ID
from rsc_service.simulators.ats.app import create_app as create_ats_sim
from rsc_service.simulators.ats.config import AtsSimConfig, SeedOptions
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.web import linkedin_signing as signing
from tests import databases
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.processes import free_port

T = TypeVar("T")
ATS_TOKEN = "ats-sim-token"  # the fake ATS's default API token
CHILD_APP = {  # the LinkedIn simulator's seeded customer application (simulators/linkedin/defaults.py)
    "linkedin_client_id": "sim-customer",
    "linkedin_client_secret": "sim-customer-secret",
    "linkedin_app_urn": "urn:li:developerApplication:101",
    "linkedin_unique_foreign_id": "sim-customer",
    "linkedin_organization_urn": "urn:li:organization:1001",
    "contracts": ["urn:li:contract:2001"],
}


@dataclass(frozen=True)
class Tenant:
    key: str
    api_key: str
    webhook_secret: str
    linkedin_secret: str


@dataclass
class Served:
    url: str
    ats_url: str
    linkedin_url: str
    caller: Tenant  # the ATS's tenant: its API key, webhook secret and LinkedIn app
    operated: Tenant  # the tenant the admin routes act on (they may delete or deactivate it)

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)

    def register(self, name: str, *, child_app: bool) -> Tenant:
        """A tenant registered through the admin API: active with the simulator's child application (there is
        one), else requested."""
        body = {"name": name, "ats_base_url": self.ats_url, "ats_token": ATS_TOKEN}
        if child_app:
            body |= CHILD_APP
        with self.admin() as admin:
            answer = admin.post("/v1/admin/tenants", json=body)
        assert answer.status_code == 201, answer.text
        created = answer.json()
        return Tenant(created["key"], created["api_key"], created["webhook_secret"], "sim-customer-secret")


class Credentials(requests.auth.AuthBase):
    """What each route's real caller sends, added to the request as it leaves, so signatures cover the exact
    bytes: the admin token, the tenant's API key, a Standard Webhooks signature for the ATS webhook route and
    LinkedIn's X-LI-Signature for the notification callback. A header the case already carries is kept, so
    generated or missing credentials still reach the service as generated."""

    def __init__(self, served: Served) -> None:
        self.served = served

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        path = urlsplit(request.url or "").path
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else body
        if path.startswith("/v1/webhooks/ats/"):
            self._sign_webhook(request, raw)
        elif (
            path.startswith("/v1/linkedin/notifications/")
            and request.method == "POST"
            and signing.SIGNATURE_HEADER not in request.headers
        ):
            request.headers[signing.SIGNATURE_HEADER] = signing.signature(
                self.served.caller.linkedin_secret, raw
            )
        return request

    def _sign_webhook(self, request: requests.PreparedRequest, raw: bytes) -> None:
        """The three Standard Webhooks headers, as generated, are replaced by a real signature when they are
        valid as the document describes them; a header left out or generated invalid is sent as it is."""
        msg_id = request.headers.get(signatures.HEADER_ID)
        timestamp = request.headers.get(signatures.HEADER_TIMESTAMP)
        signature = request.headers.get(signatures.HEADER_SIGNATURE)
        if msg_id is None or timestamp is None or not signature:
            return
        if not (_header_safe(msg_id) and len(msg_id) <= MAX_ID and timestamp.isdigit()):
            return
        try:
            raw.decode()
        except UnicodeDecodeError:
            return  # Standard Webhooks signs text: such a body cannot be signed
        try:
            given = json.loads(raw) if raw else None
        except ValueError:
            given = None
        found = given.get("id") if isinstance(given, dict) else None
        # The event's id when a header can carry it, as the ATS sends it; else the generated one.
        if isinstance(found, str) and _header_safe(found):
            msg_id = found
        request.headers.update(
            signatures.sign(raw, self.served.caller.webhook_secret, msg_id, datetime.now(UTC))
        )


def _header_safe(value: str) -> bool:
    return re.fullmatch(routes.HEADER_VALUE, value) is not None


def _server(app: FastAPI, port: int) -> uvicorn.Server:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    return uvicorn.Server(config)


@contextmanager
def serving(tmp_dir: Path) -> Iterator[Served]:
    """The three servers for as long as the block runs; a fresh migrated database, dropped afterwards."""
    ports = {name: free_port() for name in ("service", "ats", "linkedin")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    database_url = _apart(databases.create_migrated(tmp_dir))
    settings = make_settings(
        database_url,
        linkedin={"api_url": urls["linkedin"], "oauth_url": f"{urls['linkedin']}/oauth/v2"},
        onboarding={"partner_client_id": "sim-partner", "partner_client_secret": "sim-partner-secret"},
        server={"public_url": urls["service"]},
    )
    servers = [
        _server(create_app(settings), ports["service"]),
        _server(create_ats_sim(AtsSimConfig(seed=SeedOptions(seed=11, jobs=2, candidates=4))), ports["ats"]),
        _server(create_linkedin_sim(SimConfig()), ports["linkedin"]),
    ]

    async def run_all() -> None:
        await asyncio.gather(*(server.serve() for server in servers))

    thread = threading.Thread(target=lambda: asyncio.run(run_all()), name="api-schema-servers", daemon=True)
    thread.start()
    try:
        deadline = 300
        while not all(server.started for server in servers) and deadline > 0 and thread.is_alive():
            threading.Event().wait(0.1)
            deadline -= 1
        assert all(server.started for server in servers), "the servers did not start"
        served = Served(
            urls["service"], urls["ats"], urls["linkedin"], caller=_placeholder(), operated=_placeholder()
        )
        served.caller = served.register("Schema Caller", child_app=True)
        served.operated = served.register("Schema Operated", child_app=False)
        yield served
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(timeout=30)
        _apart(databases.drop(database_url))


def _apart(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` on a loop of its own in a thread of its own, away from the test session's loop."""
    done: list[T] = []
    thread = threading.Thread(target=lambda: done.append(asyncio.run(work)))
    thread.start()
    thread.join()
    assert done, "the database step failed (see the thread's traceback above)"
    return done[0]


def _placeholder() -> Tenant:
    return Tenant("", "", "", "")
