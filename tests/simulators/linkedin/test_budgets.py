"""Per-endpoint daily budgets (integrations, job tasks, exports); conversationEvents' records per member."""

from __future__ import annotations

import httpx

from rsc_service.simulators.linkedin.config import SimConfig

from .conftest import ORG, Sim, make_sim
from .test_integrations import OCE, ids
from .test_jobs import create, job

DAY_LIMIT = {
    "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
    "serviceErrorCode": 101,
    "status": 429,
}
RESOURCE_LIMIT = {
    "message": "Resource level throttle limit for calls to this resource is reached.",
    "serviceErrorCode": 101,
    "status": 429,
}
REST = {"LinkedIn-Version": "202604"}


async def integrations(sim: Sim, auth: dict[str, str]) -> httpx.Response:
    return await sim.client.get("/v2/atsIntegrations?" + ids(ORG, "ONE_CLICK_EXPORT"), headers=auth)


class TestDefaults:
    def test_documented_budgets_are_the_defaults(self) -> None:
        config = SimConfig()
        assert config.integration_requests_per_day == 5_000
        assert config.job_task_requests_per_day == 300_000
        assert config.export_requests_per_day == 100_000
        assert config.conversation_records_per_member_per_minute == 12


class TestIntegrationBudget:
    async def test_integrations_and_their_configurations_share_a_day_that_resets_at_midnight_utc(
        self,
    ) -> None:
        sim = make_sim(integration_requests_per_day=2)
        auth = await sim.headers()
        assert (await integrations(sim, auth)).status_code == 200
        configurations = f"/v2/atsIntegrations/{OCE}/configurations?ids=JOB_POSTING_VIEWERS"
        assert (await sim.client.get(configurations, headers=auth)).status_code == 200
        refused = await integrations(sim, auth)
        assert (refused.status_code, refused.json()) == (429, DAY_LIMIT)
        assert (await sim.client.get(configurations, headers=auth)).status_code == 429
        sim.clock.advance(hours=14, minutes=59)  # 23:59 UTC
        assert (await integrations(sim, await sim.headers())).status_code == 429
        sim.clock.advance(minutes=1)  # 00:00 UTC
        assert (await integrations(sim, await sim.headers())).status_code == 200

    async def test_rest_integrations_have_a_budget_of_their_own(self) -> None:
        sim = make_sim(integration_requests_per_day=1)
        auth = await sim.headers()
        assert (await integrations(sim, auth)).status_code == 200
        assert (await integrations(sim, auth)).status_code == 429
        context = ORG.replace(":", "%3A")
        key = f"(integrationContext:{context},integrationType:ONE_CLICK_EXPORT,tenantType:RECRUITER)"
        rest = await sim.client.get(f"/rest/integrations?ids=List({key})", headers=auth | REST)
        assert rest.status_code == 200
        again = await sim.client.get(f"/rest/integrations?ids=List({key})", headers=auth | REST)
        assert again.status_code == 429

    async def test_the_request_finder_counts_too(self) -> None:
        sim = make_sim(integration_requests_per_day=1)
        auth = await sim.headers()
        finder = "/v2/atsIntegrations?q=request&requestId=urn:li:request:1"
        assert (await sim.client.get(finder, headers=auth)).status_code == 200
        assert (await integrations(sim, auth)).status_code == 429

    async def test_none_switches_the_budget_off(self) -> None:
        sim = make_sim(integration_requests_per_day=None)
        auth = await sim.headers()
        assert {(await integrations(sim, auth)).status_code for _ in range(20)} == {200}


class TestJobTaskBudget:
    async def test_task_reads_have_their_own_day(self) -> None:
        sim = make_sim(job_task_requests_per_day=2, sync_requests_per_day=1)
        auth = await sim.headers()
        task = (await create(sim, auth, job())).json()["elements"][0]["id"]
        url = f"/v2/simpleJobPostingTasks?ids={task}"
        assert [(await sim.client.get(url, headers=auth)).status_code for _ in range(2)] == [200, 200]
        refused = await sim.client.get(url, headers=auth)
        assert (refused.status_code, refused.json()) == (429, DAY_LIMIT)
        sim.clock.advance(hours=15)
        assert (await sim.client.get(url, headers=await sim.headers())).status_code == 200


class TestExportBudgets:
    async def test_each_export_endpoint_counts_on_its_own(self) -> None:
        sim = make_sim(export_requests_per_day=1)
        auth = await sim.headers()
        urls = [
            ("/v2/exportedCandidates?q=request&requestId=x", {}),
            ("/rest/exportedCandidates?q=request&requestId=x", REST),
            ("/rest/atsPurgedExportedCandidates", REST),
        ]
        for url, extra in urls:
            assert (await sim.client.get(url, headers=auth | extra)).status_code == 200
        for url, extra in urls:
            refused = await sim.client.get(url, headers=auth | extra)
            assert (refused.status_code, refused.json()) == (429, DAY_LIMIT)
        usage = (await sim.client.get("/_sim/state")).json()["throttle"]
        assert usage["exportedCandidates:sim-customer"]["requestsToday"] == 1
        sim.clock.advance(hours=15)
        auth = await sim.headers()
        assert (await sim.client.get(urls[0][0], headers=auth)).status_code == 200


async def inmails(sim: Sim, member: str, count: int) -> None:
    for _ in range(count):
        await sim.client.post("/_sim/inmails", json={"seat": 3001, "member": member})


async def history(sim: Sim, auth: dict[str, str], count: int = 50) -> httpx.Response:
    end = sim.world.clock.now_ms() + 1
    url = (
        f"/v2/conversationEvents?q=criteria&viewer=urn:li:seat:3001"
        f"&timeRange.start={end - 3_600_000}&timeRange.end={end}&start=0&count={count}"
    )
    return await sim.client.get(url, headers=auth)


class TestConversationRecordsPerMember:
    async def test_a_page_with_more_than_twelve_records_for_one_member_is_a_429(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        await inmails(sim, "m1004", 13)
        refused = await history(sim, auth)
        assert (refused.status_code, refused.json()) == (429, RESOURCE_LIMIT)
        sim.clock.advance(minutes=1)
        assert len((await history(sim, auth, count=12)).json()["elements"]) == 12

    async def test_twelve_records_per_member_in_any_sliding_minute(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        await inmails(sim, "m1004", 7)
        await inmails(sim, "m1005", 12)
        assert (await history(sim, auth, count=19)).status_code == 200
        sim.clock.advance(seconds=30)
        assert (await history(sim, auth, count=19)).status_code == 429
        sim.clock.advance(seconds=31)
        assert (await history(sim, auth, count=19)).status_code == 200

    async def test_none_switches_it_off(self) -> None:
        sim = make_sim(conversation_records_per_member_per_minute=None)
        auth = await sim.headers()
        await inmails(sim, "m1004", 13)
        assert len((await history(sim, auth)).json()["elements"]) == 13
