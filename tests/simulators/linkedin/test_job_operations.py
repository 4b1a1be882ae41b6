"""Job operations (CREATE, UPDATE, RENEW, CLOSE), listing types, PROCESSED tasks and task lifetimes."""

from __future__ import annotations

from typing import Any

from .conftest import ORG, Sim, make_sim
from .test_jobs import create, job, tasks


async def post(sim: Sim, auth: dict[str, str], *jobs: dict[str, Any]) -> list[dict[str, Any]]:
    """Post jobs, let their tasks finish, and return each task as simpleJobPostingTasks answers it."""
    response = await create(sim, auth, *jobs)
    assert response.status_code == 200, response.text
    ids = [e["id"] for e in response.json()["elements"]]
    sim.clock.advance(seconds=6)
    done = await tasks(sim, auth, ids)
    return [done[i] for i in ids]


def stored(sim: Sim, job_id: str = "J1") -> dict[str, Any]:
    """The job as LinkedIn holds it; `{}` when it never got there."""
    record = sim.world.record("simpleJobPostings", integrationContext=ORG, externalJobPostingId=job_id)
    return dict(record or {})


class TestOperations:
    async def test_create_of_a_listed_job_is_the_duplicate_job_error(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        [first] = await post(sim, auth, job(jobPostingOperationType="CREATE"))
        assert first["status"] == "SUCCEEDED"
        [again] = await post(sim, auth, job(title="Other", jobPostingOperationType="CREATE"))
        assert again["status"] == "FAILED"
        assert "Duplicate job posting" in again["errorMessage"]
        assert "jobPosting" not in again
        assert stored(sim)["title"] == "Engineer"

    async def test_two_creates_waiting_together_fail_the_later_one(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        first = (await create(sim, auth, job(jobPostingOperationType="CREATE"))).json()["elements"][0]["id"]
        second = (await create(sim, auth, job(jobPostingOperationType="CREATE"))).json()["elements"][0]["id"]
        sim.clock.advance(seconds=6)
        done = await tasks(sim, auth, [first, second])
        assert (done[first]["status"], done[second]["status"]) == ("SUCCEEDED", "FAILED")

    async def test_update_renew_and_close_need_a_created_job(self, sim: Sim, auth: dict[str, str]) -> None:
        answers = await post(
            sim,
            auth,
            job("U", jobPostingOperationType="UPDATE"),
            job("R", jobPostingOperationType="RENEW"),
            job("C", jobPostingOperationType="CLOSE", state="CLOSED"),
        )
        assert [a["status"] for a in answers] == ["FAILED", "FAILED", "FAILED"]
        assert all("send CREATE first" in a["errorMessage"] for a in answers)
        assert not sim.world.collection("simpleJobPostings").records

    async def test_create_update_renew_close_then_post_again(self, sim: Sim, auth: dict[str, str]) -> None:
        await post(sim, auth, job(jobPostingOperationType="CREATE"))
        [updated] = await post(sim, auth, job(title="Staff Engineer", jobPostingOperationType="UPDATE"))
        assert updated["status"] == "SUCCEEDED"
        assert stored(sim)["title"] == "Staff Engineer"
        [renewed] = await post(sim, auth, job(title="Staff Engineer", jobPostingOperationType="RENEW"))
        assert renewed["status"] == "SUCCEEDED"
        [closed] = await post(sim, auth, job(jobPostingOperationType="CLOSE"))
        assert closed["status"] == "SUCCEEDED"
        assert stored(sim)["state"] == "CLOSED"
        # A closed job is posted again to change its availability (docs/linkedin.md#jobs).
        [reposted] = await post(
            sim, auth, job(availability="PRIVATE_TO_ATS_INTEGRATION", jobPostingOperationType="CREATE")
        )
        assert reposted["status"] == "SUCCEEDED"
        assert reposted["jobPosting"] == updated["jobPosting"]

    async def test_update_cannot_make_a_public_job_private(self, sim: Sim, auth: dict[str, str]) -> None:
        await post(sim, auth, job(jobPostingOperationType="CREATE"))
        [refused] = await post(
            sim, auth, job(availability="PRIVATE_TO_ATS_INTEGRATION", jobPostingOperationType="UPDATE")
        )
        assert refused["status"] == "FAILED"
        assert stored(sim)["availability"] == "PUBLIC"

    async def test_without_an_operation_type_a_post_is_an_upsert(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        assert [t["status"] for t in await post(sim, auth, job())] == ["SUCCEEDED"]
        assert [t["status"] for t in await post(sim, auth, job(title="Again"))] == ["SUCCEEDED"]
        assert stored(sim)["title"] == "Again"

    async def test_an_unknown_operation_is_refused_in_place(self, sim: Sim, auth: dict[str, str]) -> None:
        response = await create(sim, auth, job("J1"), job("J2", jobPostingOperationType="CREATED"))
        good, bad = response.json()["elements"]
        assert good["status"] == 201
        assert bad == {
            "status": 422,
            "error": {
                "status": 422,
                "message": 'ERROR :: /jobPostingOperationType :: "CREATED" is not an enum symbol',
            },
        }
        assert len(sim.world.tasks) == 1


class TestListingType:
    async def test_basic_is_accepted_premium_fails_and_others_are_not_symbols(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        response = await create(sim, auth, job("B", listingType="BASIC"), job("F", listingType="FREE"))
        assert [e["status"] for e in response.json()["elements"]] == [201, 422]
        [premium] = await post(sim, auth, job("P", listingType="PREMIUM"))
        assert premium["status"] == "FAILED"
        assert "/listingType" in premium["errorMessage"]
        assert stored(sim, "B") and not stored(sim, "P")


class TestProcessed:
    async def test_a_customer_whose_jobs_come_from_a_feed_gets_processed_tasks(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        answer = await sim.client.put("/_sim/jobs/feed", json={"organization": ORG, "feed": True})
        assert answer.json() == {"organizations": [ORG]}
        good, bad = await post(sim, auth, job("J1"), job("J2", title="x" * 201))
        assert good["status"] == "PROCESSED"
        assert good["jobPosting"].startswith("urn:li:jobPosting:")
        assert "errorMessage" not in good
        assert bad["status"] == "PROCESSED"
        assert "/title" in bad["errorMessage"]
        assert stored(sim, "J1") and not stored(sim, "J2")
        await sim.client.put("/_sim/jobs/feed", json={"organization": ORG, "feed": False})
        assert [t["status"] for t in await post(sim, auth, job("J3"))] == ["SUCCEEDED"]

    async def test_feed_customers_can_be_configured(self) -> None:
        sim = make_sim(job_feed_organizations=[ORG])
        assert [t["status"] for t in await post(sim, await sim.headers(), job())] == ["PROCESSED"]


class TestTaskLifetime:
    async def test_the_lifetime_is_configurable_below_a_day(self) -> None:
        sim = make_sim(task_lifetime_days=0.5)
        auth = await sim.headers()
        task = (await create(sim, auth, job())).json()["elements"][0]["id"]
        sim.clock.advance(hours=11)
        assert (await tasks(sim, await sim.headers(), [task]))[task]["status"] == "SUCCEEDED"
        sim.clock.advance(hours=2)
        response = await sim.client.get(f"/v2/simpleJobPostingTasks?ids={task}", headers=await sim.headers())
        assert response.json()["errors"][task]["status"] == 404
        assert response.json()["results"] == {}
