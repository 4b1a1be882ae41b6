"""Withdrawing what the service filed, by external_id: the client's calls as the contract names them, and
the fake ATS answering them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from rsc_service.integrations.ats import AtsClient, errors, wire
from rsc_service.simulators.ats.app import create_app
from rsc_service.simulators.ats.config import AtsSimConfig

BASE = "https://acme.ats.example/api/v1"
STAMP = "2026-03-02T09:15:00Z"
NOTE = {
    "kind": "note",
    "id": "note_1",
    "version": 2,
    "created_at": STAMP,
    "updated_at": STAMP,
    "deleted_at": STAMP,
    "candidate_id": "cand_1",
    "body": "Open to relocating",
    "written_at": STAMP,
    "external_id": "linkedin:notes:N1",
}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


class TestWithdrawCalls:
    @respx.mock
    async def test_a_note_is_withdrawn_by_its_external_id(self, http: httpx.AsyncClient) -> None:
        route = respx.post(f"{BASE}/notes/withdraw").respond(200, json=NOTE)
        client = AtsClient(http, base_url=BASE, token="t0k")

        withdrawn = await client.withdraw_note("linkedin:notes:N1")

        assert json.loads(route.calls.last.request.content) == {"external_id": "linkedin:notes:N1"}
        assert withdrawn.deleted and withdrawn.id == "note_1"

    @respx.mock
    async def test_an_unknown_external_id_is_not_found(self, http: httpx.AsyncClient) -> None:
        respx.post(f"{BASE}/emails/withdraw").respond(404, json={"status": 404, "code": "not_found"})
        client = AtsClient(http, base_url=BASE, token="t0k")

        with pytest.raises(errors.AtsNotFound):
            await client.withdraw_email("linkedin:inmails:nope")


class TestAgainstTheFakeAts:
    async def test_an_email_filed_then_withdrawn_twice_is_one_deleted_record(self) -> None:
        sim = create_app(AtsSimConfig(), clock=None)
        candidate = sim.state.world.create("candidate", {"first_name": "Pat", "last_name": "Doe"})
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sim), base_url="http://ats.test"
        ) as http:
            client = AtsClient(http, base_url="http://ats.test", token="ats-sim-token")
            body = wire.EmailCreate(
                external_id="linkedin:inmails:E1", body="Hi", direction="outbound", sent_at=STAMP
            )
            filed = await client.create_email(candidate["id"], body)
            first = await client.withdraw_email("linkedin:inmails:E1")
            again = await client.withdraw_email("linkedin:inmails:E1")
        await sim.state.webhooks.close()

        assert first.id == again.id == filed.id
        assert first.deleted and first.deleted_at == again.deleted_at
        assert sim.state.world.stores["email"].records[filed.id]["deleted_at"] is not None
