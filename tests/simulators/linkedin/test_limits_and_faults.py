"""Throttles per application and injected faults: 5xx, 429 with/without Retry-After, reset, both hangs."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Sim, candidate, candidate_key, ids_v1, make_sim


async def put(sim: Sim, auth: dict[str, str], ids: list[str]) -> httpx.Response:
    url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", ids)
    return await sim.client.put(
        url, json={"entities": {candidate_key(i): candidate() for i in ids}}, headers=auth
    )


class TestThrottles:
    async def test_records_per_sliding_window(self) -> None:
        sim = make_sim(sync_records_per_window=5)
        auth = await sim.headers()
        assert (await put(sim, auth, ["A", "B", "C"])).status_code == 200
        refused = await put(sim, auth, ["D", "E", "F"])
        assert refused.status_code == 429
        assert refused.json() == {
            "message": "Resource level throttle limit for calls to this resource is reached.",
            "serviceErrorCode": 101,
            "status": 429,
        }
        assert len(sim.world.collection("atsCandidates").records) == 3
        sim.clock.advance(seconds=61)
        assert (await put(sim, auth, ["D", "E", "F"])).status_code == 200

    async def test_requests_per_utc_day(self) -> None:
        sim = make_sim(sync_requests_per_day=2)
        auth = await sim.headers()
        assert (await put(sim, auth, ["A"])).status_code == 200
        assert (await put(sim, auth, ["B"])).status_code == 200
        refused = await put(sim, auth, ["C"])
        assert refused.status_code == 429
        assert "DAY" in refused.json()["message"]
        sim.clock.advance(hours=15)  # past 00:00 UTC
        assert (await put(sim, await sim.headers(), ["C"])).status_code == 200

    async def test_prospect_group_has_its_own_daily_limit(self) -> None:
        sim = make_sim(prospect_requests_per_day=1, sync_requests_per_day=1)
        auth = await sim.headers()
        url = "/v2/mailStubs?q=contract&contract=urn:li:contract:2001"
        assert (await sim.client.get(url, headers=auth)).status_code == 200
        assert (await sim.client.get(url, headers=auth)).status_code == 429
        assert (await put(sim, auth, ["A"])).status_code == 200

    async def test_limits_are_per_application(self) -> None:
        sim = make_sim(sync_requests_per_day=1)
        auth = await sim.headers()
        assert (await put(sim, auth, ["A"])).status_code == 200
        assert (await put(sim, auth, ["B"])).status_code == 429
        usage = (await sim.client.get("/_sim/state")).json()["throttle"]
        assert usage["sync:sim-customer"]["requestsToday"] == 1


class TestFaults:
    async def test_5xx_for_a_number_of_requests(self, sim: Sim, auth: dict[str, str]) -> None:
        await sim.client.post(
            "/_sim/faults", json={"kind": "error", "status": 502, "count": 1, "pathPrefix": "/v2"}
        )
        assert (await put(sim, auth, ["A"])).status_code == 502
        assert not sim.world.collection("atsCandidates").records
        assert (await put(sim, auth, ["A"])).status_code == 200

    async def test_429_with_and_without_retry_after(self, sim: Sim, auth: dict[str, str]) -> None:
        await sim.client.post("/_sim/faults", json={"kind": "throttle", "retryAfter": 7, "count": 1})
        await sim.client.post("/_sim/faults", json={"kind": "throttle", "count": 1})
        first = await put(sim, auth, ["A"])
        second = await put(sim, auth, ["A"])
        assert (first.status_code, first.headers.get("retry-after")) == (429, "7")
        assert (second.status_code, second.headers.get("retry-after")) == (429, None)

    async def test_faults_for_a_duration_on_the_simulator_clock(self, sim: Sim, auth: dict[str, str]) -> None:
        await sim.client.post("/_sim/faults", json={"kind": "error", "seconds": 30, "pathPrefix": "/v2"})
        assert (await put(sim, auth, ["A"])).status_code == 503
        sim.clock.advance(seconds=31)
        assert (await put(sim, auth, ["A"])).status_code == 200

    async def test_share_of_requests(self, sim: Sim, auth: dict[str, str]) -> None:
        await sim.client.post("/_sim/faults", json={"kind": "error", "share": 0.5, "pathPrefix": "/v2"})
        statuses = [(await put(sim, auth, ["A"])).status_code for _ in range(40)]
        assert 5 < statuses.count(503) < 35

    async def test_connection_reset_is_a_transport_error(self, sim: Sim, auth: dict[str, str]) -> None:
        await sim.client.post("/_sim/faults", json={"kind": "reset", "count": 1, "pathPrefix": "/v2"})
        with pytest.raises(httpx.ReadError):
            await put(sim, auth, ["A"])
        assert not sim.world.collection("atsCandidates").records

    async def test_hang_before_never_applies_the_request(self, sim: Sim, auth: dict[str, str]) -> None:
        await sim.client.post("/_sim/faults", json={"kind": "hang_before", "count": 1, "hangSeconds": 0.01})
        with pytest.raises(httpx.ReadTimeout):
            await put(sim, auth, ["A"])
        assert not sim.world.collection("atsCandidates").records

    async def test_hang_after_applies_the_request_but_never_answers(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        await sim.client.post("/_sim/faults", json={"kind": "hang_after", "count": 1, "hangSeconds": 0.01})
        with pytest.raises(httpx.ReadTimeout):
            await put(sim, auth, ["A"])
        assert len(sim.world.collection("atsCandidates").records) == 1

    async def test_faults_can_be_listed_and_cleared(self, sim: Sim) -> None:
        await sim.client.post("/_sim/faults", json={"kind": "error"})
        assert len((await sim.client.get("/_sim/faults")).json()["elements"]) == 1
        await sim.client.delete("/_sim/faults")
        assert (await sim.client.get("/_sim/faults")).json()["elements"] == []
        assert (await sim.client.post("/_sim/faults", json={"kind": "nonsense"})).status_code == 400
