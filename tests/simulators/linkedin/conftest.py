"""Fixtures for the LinkedIn simulator: an in-process app, a client, tokens, and a callback receiver."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rsc_service.simulators.linkedin.app import create_app
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.simulators.linkedin.world import World

BASE = "http://linkedin.test"
ORG = "urn:li:organization:1001"
CONTRACT = "urn:li:contract:2001"


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Receiver:
    """A customer's callback endpoint: answers the challenge with `secret` and records every POST."""

    secret: str = "sim-customer-secret"
    answer_challenge: bool = True
    post_status: int = 200
    challenges: list[dict[str, str]] = field(default_factory=list)
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            self.challenges.append(dict(request.query_params))
            code = request.query_params["challengeCode"]
            digest = hmac.new(self.secret.encode(), code.encode(), hashlib.sha256).hexdigest()
            if not self.answer_challenge:
                digest = "wrong"
            return JSONResponse({"challengeCode": code, "challengeResponse": digest})
        self.posts.append((dict(request.headers), await request.body()))
        return Response(status_code=self.post_status)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.endpoint, methods=["GET", "POST"])])


@dataclass
class Sim:
    app: Any
    client: httpx.AsyncClient
    clock: ManualClock
    receiver: Receiver

    @property
    def world(self) -> World:
        world: World = self.app.state.world
        return world

    async def token(self, client_id: str = "sim-customer", secret: str = "sim-customer-secret") -> str:
        response = await self.client.post(
            "/oauth/v2/accessToken",
            data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}", **extra}


def make_sim(**settings: Any) -> Sim:
    clock = ManualClock()
    receiver = Receiver()
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=receiver.app()), base_url="https://ats.example"
    )
    config = SimConfig.model_validate(
        {"task_completion_seconds": 5.0, "allow_insecure_local": False} | settings
    )
    app = create_app(config, clock=clock, http=http)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    return Sim(app, client, clock, receiver)


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    sim = make_sim()
    yield sim
    await sim.client.aclose()


@pytest.fixture
async def auth(sim: Sim) -> dict[str, str]:
    return await sim.headers()


def candidate(first: str = "John", email: str = "john@example.com", **extra: Any) -> dict[str, Any]:
    return {
        "addresses": [],
        "phoneNumbers": [],
        "atsCreatedAt": 1_700_000_000_000,
        "atsLastModifiedAt": 1_700_000_000_000,
        "emailAddresses": [email],
        "firstName": first,
        "lastName": "Doe",
    } | extra


def candidate_key(candidate_id: str, org: str = ORG) -> str:
    return f"atsCandidateId={candidate_id}&dataProvider=ATS&integrationContext={org}"


def ids_v1(field: str, values: list[str], org: str = ORG) -> str:
    parts = []
    for i, value in enumerate(values):
        parts.append(f"ids[{i}].{field}={value}&ids[{i}].dataProvider=ATS&ids[{i}].integrationContext={org}")
    return "&".join(parts)


def application(candidate_id: str = "C1", job: str = "J1", **extra: Any) -> dict[str, Any]:
    return {
        "atsCandidateId": candidate_id,
        "atsCreatedAt": 1_700_000_000_000,
        "atsLastModifiedAt": 1_700_000_000_000,
        "atsJobPostingId": job,
        "atsJobPostingName": "Engineer",
        "candidateEmail": "john@example.com",
        "firstName": "John",
        "lastName": "Doe",
    } | extra


def refused_as_restli(response: httpx.Response, status: int = 400) -> None:
    """A request-level refusal in Rest.li's shape."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["X-RestLi-Error-Response"] == "true"
    body = response.json()
    assert set(body) == {"message", "serviceErrorCode", "status"}
    assert body["status"] == status
