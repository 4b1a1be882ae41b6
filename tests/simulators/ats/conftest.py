"""Fixtures for the fake ATS: a settable clock, an in-process webhook receiver, the app and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from rsc_service.simulators.ats.app import create_app
from rsc_service.simulators.ats.config import AtsSimConfig, SeedOptions
from rsc_service.simulators.ats.world import World
from tests.simulators.ats.fakes import HOOK_URL, SECRET, TOKEN, Clock, Receiver


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def sim_config() -> AtsSimConfig:
    return AtsSimConfig(
        api_tokens=[TOKEN],
        webhook_url=HOOK_URL,
        webhook_secret=SECRET,
        retry_schedule=[0, 5, 300, 1800],
        retry_scale=0.0001,
        seed=SeedOptions(seed=7, users=6, jobs=5, candidates=30),
    )


@pytest.fixture
async def sim(sim_config: AtsSimConfig, receiver: Receiver, clock: Clock) -> AsyncIterator[FastAPI]:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app))
    app = create_app(sim_config, http=http, clock=clock)
    yield app
    await app.state.webhooks.close()
    await http.aclose()


@pytest.fixture
def world(sim: FastAPI) -> World:
    world: World = sim.state.world
    return world


@pytest.fixture
async def ats(sim: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sim)
    headers = {"authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://ats.test", headers=headers) as client:
        yield client
