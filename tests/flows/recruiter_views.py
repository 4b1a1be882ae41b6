"""Recruiter's views of the LinkedIn simulator, as the certification tests read them, and ATS set-ups."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.simulators.ats import seed
from rsc_service.simulators.ats.config import SeedOptions
from tests.conftest import FrozenClock
from tests.flows.conftest import FakeAts, drain

ORG = "urn:li:organization:1001"
DAN = "urn:li:person:m1004"  # the simulator's member whose e-mail is dan@candidates.example


async def indicator(http: httpx.AsyncClient, member: str = DAN) -> dict[str, Any]:
    response = await http.get("/_sim/recruiter/indicator", params={"member": member, "organization": ORG})
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


async def dropdown(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await http.get("/_sim/recruiter/jobs", params={"organization": ORG})
    assert response.status_code == 200, response.text
    jobs: list[dict[str, Any]] = response.json()["elements"]
    return jobs


async def historical_sync(
    fake: FakeAts, http: httpx.AsyncClient, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    """An ATS with two years of history, announced as an initial export, drained into LinkedIn.

    Every seeded candidate is also a LinkedIn member (same e-mail), so each can show an indicator.
    """
    seed.generate(fake.world, SeedOptions(seed=5, users=6, jobs=16, candidates=24, history_days=730))
    for person in fake.world.stores["candidate"].live():
        email = person["emails"][0]["address"]
        member = {"id": f"c-{person['id']}", "firstName": "M", "lastName": person["id"], "email": email}
        assert (await http.post("/_sim/members", json=member)).status_code in {200, 201}
    fake.world.announce()
    await fake.flush()
    await drain(dispatcher, clock, rounds=30)


def two_years_ago() -> str:
    """Two years before the seed's present (the generator spreads history back from a fixed moment)."""
    return (seed.ANCHOR - timedelta(days=730)).strftime("%Y-%m-%dT%H:%M:%SZ")


def only_parent_deletions(fake: FakeAts, kind: str) -> None:
    """From now on the ATS's webhooks announce only `kind` deletions: children must go with their parent."""
    sender = fake.webhooks
    fake.world.listeners = [
        lambda event: sender.enqueue(event) if event["type"] == f"{kind}.deleted" else None
    ]
