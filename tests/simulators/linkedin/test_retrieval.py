"""Exports, seats, InMail history, mail stubs and prospect notes as the partner reads them."""

from __future__ import annotations

import json

from .conftest import CONTRACT, ORG, Sim, make_sim
from .test_integrations import set_callback
from .test_jobs import create, job


class TestExports:
    async def test_export_pushes_a_request_id_the_partner_can_read(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        await set_callback(sim, auth)
        result = (
            await sim.client.post("/_sim/exports", json={"seat": 3001, "member": "urn:li:person:m1004"})
        ).json()
        payload = json.loads(sim.receiver.posts[0][1])
        assert payload["type"] == "EXPORT_CANDIDATE_PROFILE"
        assert payload["id"] == result["requestId"]
        for family, extra in (("v2", {}), ("rest", {"LinkedIn-Version": "202604"})):
            got = await sim.client.get(
                f"/{family}/exportedCandidates?q=request&requestId={payload['id']}", headers=auth | extra
            )
            element = got.json()["elements"][0]
            assert element["integrationContext"] == ORG
            assert element["candidate"]["member"] == "urn:li:person:m1004"
            assert element["candidate"]["emailAddress"] == "dan@candidates.example"

    async def test_rest_needs_a_version_header(self, sim: Sim, auth: dict[str, str]) -> None:
        response = await sim.client.get("/rest/exportedCandidates?q=request&requestId=x", headers=auth)
        assert response.status_code == 400

    async def test_three_hundred_exports_per_seat_per_month(self) -> None:
        sim = make_sim(exports_per_seat_per_month=2)
        body = {"seat": 3002, "member": "m1005"}
        assert (await sim.client.post("/_sim/exports", json=body)).status_code == 200
        assert (await sim.client.post("/_sim/exports", json=body)).status_code == 200
        assert (await sim.client.post("/_sim/exports", json=body)).status_code == 429
        assert (await sim.client.post("/_sim/exports", json=body | {"seat": 3003})).status_code == 200
        sim.clock.advance(days=31)
        assert (await sim.client.post("/_sim/exports", json=body)).status_code == 200

    async def test_closed_profiles_are_listed_for_purging(self, sim: Sim, auth: dict[str, str]) -> None:
        await sim.client.post("/_sim/exports", json={"seat": 3001, "member": "m1004"})
        await sim.client.post("/_sim/members/m1004/close")
        got = await sim.client.get(
            "/rest/atsPurgedExportedCandidates?q=integrationContext",
            headers=auth | {"LinkedIn-Version": "202604"},
        )
        assert [e["member"] for e in got.json()["elements"]] == ["urn:li:person:m1004"]


class TestSeats:
    async def test_seats_with_projection(self, sim: Sim, auth: dict[str, str]) -> None:
        got = await sim.client.get(
            f"/v2/seats?q=seatsByAttributes&fields=id&active=true&count=100&start=0&contracts={CONTRACT}",
            headers=auth,
        )
        assert got.json()["elements"] == [{"id": 3001}, {"id": 3002}, {"id": 3003}]

    async def test_seats_v2_requires_start_and_pages_by_ten(self, sim: Sim, auth: dict[str, str]) -> None:
        missing = await sim.client.get(f"/v2/seatsV2?q=attributes&contracts={CONTRACT}", headers=auth)
        assert missing.status_code == 400
        got = await sim.client.get(
            f"/v2/seatsV2?q=attributes&contracts={CONTRACT}&start=0&states=ACTIVE", headers=auth
        )
        first = got.json()["elements"][0]
        assert first["member"] == "urn:li:person:m1001"
        assert got.json()["paging"]["count"] == 10

    async def test_another_contract_is_forbidden(self, sim: Sim, auth: dict[str, str]) -> None:
        got = await sim.client.get(
            "/v2/seatsV2?q=attributes&contracts=urn:li:contract:9&start=0", headers=auth
        )
        assert got.status_code == 403


class TestProspectInteractions:
    async def test_inmails_and_replies_within_a_twelve_hour_window(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        start = sim.world.clock.now_ms()
        sent = (
            await sim.client.post("/_sim/inmails", json={"seat": 3001, "member": "m1004", "subject": "Hi"})
        ).json()
        sim.clock.advance(minutes=5)
        await sim.client.post(f"/_sim/inmails/{sent['id']}/reply", json={"body": "Interested"})
        end = sim.world.clock.now_ms() + 1
        url = (
            f"/v2/conversationEvents?q=criteria&viewer=urn:li:seat:3001"
            f"&timeRange.start={start}&timeRange.end={end}"
        )
        events = (await sim.client.get(url, headers=auth)).json()["elements"]
        assert [e["direction"] for e in events] == ["OUTBOUND", "INBOUND"]
        too_wide = f"/v2/conversationEvents?q=criteria&viewer=urn:li:seat:3001&timeRange=(start:0,end:{end})"
        assert (await sim.client.get(too_wide, headers=auth)).status_code == 400

    async def test_replies_create_stubs_only_with_consent(self, sim: Sim, auth: dict[str, str]) -> None:
        for member, consent in (
            ("m1004", {"shareEmail": True}),
            ("m1005", {}),
            ("m1001", {"sharePhone": True}),
        ):
            sent = (await sim.client.post("/_sim/inmails", json={"seat": 3002, "member": member})).json()
            await sim.client.post(f"/_sim/inmails/{sent['id']}/reply", json=consent)
        url = f"/v2/mailStubs?q=contract&contract={CONTRACT}&owners=urn:li:seat:3002&start=0&count=50"
        stubs = (await sim.client.get(url, headers=auth)).json()["elements"]
        assert [(s["member"], s["emailAddress"], s["phoneNumbers"]) for s in stubs] == [
            ("urn:li:person:m1004", "dan@candidates.example", []),
            ("urn:li:person:m1001", None, []),
        ]

    async def test_prospect_notes_with_tombstones(self, sim: Sim, auth: dict[str, str]) -> None:
        before = sim.world.clock.now_ms()
        note = (
            await sim.client.post(
                "/_sim/prospect-notes", json={"seat": 3003, "member": "m1005", "note": "call"}
            )
        ).json()
        sim.clock.advance(minutes=1)
        await sim.client.delete(f"/_sim/prospect-notes/{note['id']}")
        after = sim.world.clock.now_ms()
        url = (
            f"/v2/prospectNotes?q=criteria&start=0&contract={CONTRACT}&cutoffDate={before - 1}"
            f"&beforeDate={after}&count=100&owners=urn:li:seat:3003"
        )
        elements = (await sim.client.get(url, headers=auth)).json()["elements"]
        assert [(e["note"], e["active"]) for e in elements] == [("call", False)]


class TestExportForAJob:
    async def test_export_names_a_job_from_the_dropdown(self, sim: Sim, auth: dict[str, str]) -> None:
        await create(sim, auth, job("J9"))
        missing = await sim.client.post("/_sim/exports", json={"seat": 3001, "member": "m1004", "job": "J9"})
        assert missing.status_code == 404
        sim.clock.advance(seconds=6)
        result = await sim.client.post("/_sim/exports", json={"seat": 3001, "member": "m1004", "job": "J9"})
        request_id = result.json()["requestId"]
        got = await sim.client.get(f"/v2/exportedCandidates?q=request&requestId={request_id}", headers=auth)
        assert got.json()["elements"][0]["atsJobPostingId"] == "J9"


HOUR_MS = 3_600_000


class TestFinderTimes:
    async def test_conversation_times_must_be_milliseconds(self, sim: Sim, auth: dict[str, str]) -> None:
        now = sim.world.clock.now_ms()
        base = "/v2/conversationEvents?q=criteria&viewer=urn:li:seat:3001"
        cases = {
            "seconds": (
                f"&timeRange.start={now // 1000 - 3600}&timeRange.end={now // 1000}",
                "timeRange.start",
            ),
            "micro": (
                f"&timeRange.start={(now - HOUR_MS) * 1000}&timeRange.end={now * 1000}",
                "timeRange.start",
            ),
            "end only": (f"&timeRange.end={now // 1000}", "timeRange.end"),
            "2.0 record": (f"&timeRange=(start:{now // 1000 - 60},end:{now // 1000})", "timeRange.start"),
            "text": (f"&timeRange.start=1e12&timeRange.end={now}", "timeRange.start"),
        }
        for case, (query, name) in cases.items():
            protocol = {"X-RestLi-Protocol-Version": "2.0.0"} if case.startswith("2.0") else {}
            response = await sim.client.get(base + query, headers=auth | protocol)
            assert response.status_code == 400, case
            assert response.json()["message"].startswith(f"Invalid value of parameter {name}: "), case
        ok = await sim.client.get(
            base + f"&timeRange.start={now - HOUR_MS}&timeRange.end={now}", headers=auth
        )
        assert ok.status_code == 200

    async def test_mail_stub_and_prospect_note_times_too(self, sim: Sim, auth: dict[str, str]) -> None:
        now = sim.world.clock.now_ms()
        stubs = f"/v2/mailStubs?q=contract&contract={CONTRACT}&owners=urn:li:seat:3002"
        notes = f"/v2/prospectNotes?q=criteria&contract={CONTRACT}&owners=urn:li:seat:3003"
        refused = {
            stubs + f"&createdDateStart={now // 1000}": "createdDateStart",
            stubs + f"&createdDateEnd={now * 1000}": "createdDateEnd",
            notes + f"&cutoffDate={now // 1000 - 60}&beforeDate={now // 1000}": "cutoffDate",
            notes + f"&cutoffDate={now - HOUR_MS}&beforeDate={now * 1000}": "beforeDate",
        }
        for url, name in refused.items():
            response = await sim.client.get(url, headers=auth)
            assert response.status_code == 400, url
            assert response.json()["message"].startswith(f"Invalid value of parameter {name}: "), url
        assert (
            await sim.client.get(stubs + f"&createdDateStart={now - HOUR_MS}", headers=auth)
        ).status_code == 200


class TestProspectNoteWindow:
    async def write(self, sim: Sim, text: str) -> None:
        written = await sim.client.post(
            "/_sim/prospect-notes", json={"seat": 3003, "member": "m1005", "note": text}
        )
        assert written.status_code == 200

    async def test_the_twelve_hours_hold_whichever_bounds_are_given(self, sim: Sim) -> None:
        await self.write(sim, "old")
        sim.clock.advance(hours=13)
        await self.write(sim, "new")
        auth = await sim.headers()
        now = sim.world.clock.now_ms()
        url = f"/v2/prospectNotes?q=criteria&start=0&contract={CONTRACT}&owners=urn:li:seat:3003"
        week_ago = await sim.client.get(url + f"&cutoffDate={now - 7 * 24 * HOUR_MS}", headers=auth)
        assert week_ago.status_code == 400
        assert week_ago.json()["message"] == "The window must not be longer than 12.0 hours"
        answers = {
            "cutoff only": url + f"&cutoffDate={now - HOUR_MS}",
            "before only": url + f"&beforeDate={now}",
            "neither": url,
        }
        for case, query in answers.items():
            response = await sim.client.get(query, headers=auth)
            assert response.status_code == 200, case
            assert [e["note"] for e in response.json()["elements"]] == ["new"], case
        earlier = await sim.client.get(url + f"&beforeDate={now - 12 * HOUR_MS}", headers=auth)
        assert [e["note"] for e in earlier.json()["elements"]] == ["old"]
