"""Per-endpoint daily budgets (ACLs, job posts, integrations, job tasks, exports, prospect interactions);
conversationEvents' records per member."""

from __future__ import annotations

import httpx

from rsc_service.simulators.linkedin.config import SimConfig

from .conftest import CONTRACT, ORG, Sim, candidate, candidate_key, ids_v1, make_sim
from .test_integrations import OCE, ids
from .test_jobs import create, job
from .test_provisioning_and_acls import ACL, ACL_IDS, assignee_ids, assignee_key

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
        assert (config.acl_requests_per_day, config.acl_records_per_window) == (100_000, 10_000)
        assert config.job_posting_requests_per_day is None  # not published


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


async def put_candidate(sim: Sim, auth: dict[str, str], candidate_id: str = "C1") -> httpx.Response:
    url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", [candidate_id])
    return await sim.client.put(
        url, json={"entities": {candidate_key(candidate_id): candidate()}}, headers=auth
    )


async def put_acl(sim: Sim, auth: dict[str, str]) -> httpx.Response:
    return await sim.client.put(f"/v2/atsEntityAcls?{ACL_IDS}", json={"entities": {ACL: {}}}, headers=auth)


async def put_assignee(sim: Sim, auth: dict[str, str], acl: str = "G1") -> httpx.Response:
    url = f"/v2/atsEntityAclAssignees?{assignee_ids(acl)}"
    return await sim.client.put(url, json={"entities": {assignee_key(acl): {}}}, headers=auth)


class TestAclBudget:
    async def test_acls_still_go_when_the_sync_day_is_spent(self) -> None:
        sim = make_sim(sync_requests_per_day=1)
        auth = await sim.headers()
        assert (await put_candidate(sim, auth)).status_code == 200
        refused = await put_candidate(sim, auth, "C2")
        assert (refused.status_code, refused.json()) == (429, DAY_LIMIT)
        assert (await put_acl(sim, auth)).status_code == 200
        assert (await put_assignee(sim, auth)).status_code == 200
        finder = f"/v2/atsEntityAcls?q=criteria&atsEntityId=J1&dataProvider=ATS&integrationContext={ORG}"
        assert (await sim.client.get(finder, headers=auth)).status_code == 200

    async def test_the_sync_group_still_goes_when_the_acl_day_is_spent(self) -> None:
        sim = make_sim(acl_requests_per_day=2)
        auth = await sim.headers()
        assert (await put_acl(sim, auth)).status_code == 200
        assert (await put_assignee(sim, auth)).status_code == 200
        refused = await put_assignee(sim, auth, "G2")
        assert (refused.status_code, refused.json()) == (429, DAY_LIMIT)
        assert (await put_candidate(sim, auth)).status_code == 200
        usage = (await sim.client.get("/_sim/state")).json()["throttle"]
        assert usage["acls:sim-customer"]["requestsToday"] == 2
        assert usage["sync:sim-customer"]["requestsToday"] == 1
        sim.clock.advance(hours=15)  # past 00:00 UTC
        assert (await put_assignee(sim, await sim.headers(), "G2")).status_code == 200

    async def test_acl_records_have_their_own_window(self) -> None:
        sim = make_sim(acl_records_per_window=1, sync_records_per_window=1)
        auth = await sim.headers()
        assert (await put_acl(sim, auth)).status_code == 200
        refused = await put_assignee(sim, auth)
        assert (refused.status_code, refused.json()) == (429, RESOURCE_LIMIT)
        assert (await put_candidate(sim, auth)).status_code == 200
        sim.clock.advance(seconds=61)
        assert (await put_assignee(sim, auth)).status_code == 200


class TestJobPostingBudget:
    async def test_job_posts_are_not_charged_to_the_sync_group(self) -> None:
        sim = make_sim(sync_requests_per_day=1, sync_records_per_window=1)
        auth = await sim.headers()
        assert (await put_candidate(sim, auth)).status_code == 200
        posted = await create(sim, auth, job("J1"), job("J2"))
        assert posted.status_code == 200
        assert [e["status"] for e in posted.json()["elements"]] == [201, 201]
        usage = (await sim.client.get("/_sim/state")).json()["throttle"]
        assert usage["simpleJobPostings:sim-customer"]["requestsToday"] == 1
        assert usage["sync:sim-customer"]["requestsToday"] == 1

    async def test_a_budget_of_their_own_when_one_is_set(self) -> None:
        sim = make_sim(job_posting_requests_per_day=1)
        auth = await sim.headers()
        assert (await create(sim, auth, job("J1"))).status_code == 200
        refused = await create(sim, auth, job("J2"))
        assert (refused.status_code, refused.json()) == (429, DAY_LIMIT)
        assert (await put_candidate(sim, auth)).status_code == 200


class TestProspectBudget:
    async def test_seats_seats_v2_conversation_events_mail_stubs_and_notes_share_one_day(self) -> None:
        urls = [
            f"/v2/seats?q=seatsByAttributes&contracts={CONTRACT}",
            f"/v2/seatsV2?q=attributes&contracts={CONTRACT}&start=0",
            "/v2/conversationEvents?q=criteria&viewer=urn:li:seat:3001",
            f"/v2/mailStubs?q=contract&contract={CONTRACT}",
            f"/v2/prospectNotes?q=criteria&contract={CONTRACT}",
        ]
        sim = make_sim(prospect_requests_per_day=len(urls))
        auth = await sim.headers()
        for url in urls:
            assert (await sim.client.get(url, headers=auth)).status_code == 200, url
        # Each of the five took one request of the day's five: any of them is now refused.
        for url in urls:
            refused = await sim.client.get(url, headers=auth)
            assert (refused.status_code, refused.json()) == (429, DAY_LIMIT), url
        usage = (await sim.client.get("/_sim/state")).json()["throttle"]
        assert usage["prospect:sim-customer"]["requestsToday"] == len(urls)
        sim.clock.advance(hours=15)  # past 00:00 UTC
        assert (await sim.client.get(urls[0], headers=await sim.headers())).status_code == 200

    async def test_versioned_seats_v2_counts_too(self) -> None:
        sim = make_sim(prospect_requests_per_day=1)
        auth = await sim.headers()
        url = f"/rest/seatsV2?q=attributes&contracts={CONTRACT}&start=0"
        assert (await sim.client.get(url, headers=auth | REST)).status_code == 200
        refused = await sim.client.get(f"/v2/mailStubs?q=contract&contract={CONTRACT}", headers=auth)
        assert (refused.status_code, refused.json()) == (429, DAY_LIMIT)


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
