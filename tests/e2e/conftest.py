"""The service and both simulators on real ports for a browser: uvicorn servers on the test's own event
loop, so the service keeps the test's database session, clock and dispatcher. The world is the seats'
(tests/seats/conftest.py): the service reads LinkedIn's seats from the simulator and the ATS's users from
the fake ATS, and the tenant's contract is the simulator's, so an ATS user can hold a Recruiter seat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import uvicorn
from fastapi import FastAPI

from tests.flows.conftest import ctx_li, dispatcher, linkedin_http, linkedin_sim, sim_config
from tests.processes import free_port
from tests.seats.conftest import app, ats_sim, ctx_seats, service_asgi, tenancy

__all__ = [
    "app",
    "ats_sim",
    "ctx_li",
    "ctx_seats",
    "dispatcher",
    "linkedin_http",
    "linkedin_sim",
    "service_asgi",
    "sim_config",
    "tenancy",
]


@dataclass(frozen=True)
class Urls:
    service: str
    ats: str
    linkedin: str


@pytest.fixture
async def urls(app: FastAPI, ats_sim: FastAPI, linkedin_sim: FastAPI) -> AsyncIterator[Urls]:
    """The three apps the in-process fixtures built, each served on 127.0.0.1 for as long as the test runs."""
    apps = {"service": app, "ats": ats_sim, "linkedin": linkedin_sim}
    servers: dict[str, uvicorn.Server] = {}
    for name, served in apps.items():
        config = uvicorn.Config(
            served, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off"
        )
        servers[name] = uvicorn.Server(config)
    tasks = [asyncio.create_task(server.serve()) for server in servers.values()]
    try:
        for _ in range(300):
            if all(server.started for server in servers.values()):
                break
            assert not any(task.done() for task in tasks), "a server stopped while starting"
            await asyncio.sleep(0.02)
        assert all(server.started for server in servers.values()), "the servers did not start"
        yield Urls(**{name: f"http://127.0.0.1:{server.config.port}" for name, server in servers.items()})
    finally:
        for server in servers.values():
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
