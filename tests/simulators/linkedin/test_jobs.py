"""Jobs are asynchronous: batch_create answers task ids, tasks finish after a delay on the simulator clock."""

from __future__ import annotations

from typing import Any

from .conftest import ORG, Sim


def job(job_id: str = "J1", **extra: Any) -> dict[str, Any]:
    return {
        "integrationContext": ORG,
        "externalJobPostingId": job_id,
        "title": "Engineer",
        "description": "Build things",
        "location": "San Francisco, CA",
        "availability": "PUBLIC",
        "state": "LISTED",
        "companyApplyUrl": "https://ats.example/jobs/1",
        "listedAt": 1_700_000_000_000,
    } | extra


async def create(sim: Sim, auth: dict[str, str], *jobs: dict[str, Any]) -> Any:
    return await sim.client.post(
        "/v2/simpleJobPostings",
        json={"elements": list(jobs)},
        headers=auth | {"x-restli-method": "batch_create"},
    )


async def tasks(sim: Sim, auth: dict[str, str], ids: list[str]) -> dict[str, Any]:
    query = "&".join(f"ids={i}" for i in ids)
    response = await sim.client.get(f"/v2/simpleJobPostingTasks?{query}", headers=auth)
    assert response.status_code == 200
    results: dict[str, Any] = response.json()["results"]
    return results


class TestJobTasks:
    async def test_tasks_move_from_in_progress_to_succeeded_or_failed(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        response = await create(sim, auth, job("J1"), job("J2", title="x" * 201))
        assert response.status_code == 200
        elements = response.json()["elements"]
        assert [e["status"] for e in elements] == [201, 201]
        ids = [e["id"] for e in elements]
        assert all(i.startswith("urn:li:simpleJobPostingTask:") for i in ids)
        assert {t["status"] for t in (await tasks(sim, auth, ids)).values()} == {"IN_PROGRESS"}
        assert not sim.world.collection("simpleJobPostings").records
        sim.clock.advance(seconds=5)
        done = await tasks(sim, auth, ids)
        assert done[ids[0]]["status"] == "SUCCEEDED"
        assert done[ids[0]]["jobPosting"].startswith("urn:li:jobPosting:")
        assert done[ids[1]]["status"] == "FAILED"
        assert "/title" in done[ids[1]]["message"]
        dropdown = (await sim.client.get("/_sim/recruiter/jobs")).json()["elements"]
        assert [j["externalJobPostingId"] for j in dropdown] == ["J1"]

    async def test_clock_advanced_through_sim_api_settles_tasks(self, sim: Sim, auth: dict[str, str]) -> None:
        task = (await create(sim, auth, job())).json()["elements"][0]["id"]
        await sim.client.post("/_sim/clock", json={"advanceSeconds": 10})
        assert (await tasks(sim, auth, [task]))[task]["status"] == "SUCCEEDED"

    async def test_closing_a_job_keeps_it_in_the_dropdown(self, sim: Sim, auth: dict[str, str]) -> None:
        await create(sim, auth, job())
        sim.clock.advance(seconds=6)
        await create(sim, auth, job(state="CLOSED"))
        sim.clock.advance(seconds=6)
        dropdown = (await sim.client.get("/_sim/recruiter/jobs")).json()["elements"]
        assert [(j["externalJobPostingId"], j["state"]) for j in dropdown] == [("J1", "CLOSED")]

    async def test_only_the_documented_availabilities_are_accepted(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        values = ["PUBLIC", "PRIVATE_TO_ATS_INTEGRATION", "PRIVATE", "INTERNAL"]
        response = await create(sim, auth, *[job(f"J{i}", availability=v) for i, v in enumerate(values)])
        ids = [e["id"] for e in response.json()["elements"]]
        sim.clock.advance(seconds=6)
        done = await tasks(sim, auth, ids)
        assert [done[i]["status"] for i in ids] == ["SUCCEEDED", "SUCCEEDED", "FAILED", "FAILED"]
        assert all("/availability" in done[i]["message"] for i in ids[2:])
        stored = {
            j["externalJobPostingId"] for j in sim.world.collection("simpleJobPostings").records.values()
        }
        assert stored == {"J0", "J1"}

    async def test_duplicate_ids_in_one_call_are_rejected(self, sim: Sim, auth: dict[str, str]) -> None:
        response = await create(sim, auth, job("J1"), job("J1"))
        assert response.status_code == 400

    async def test_more_than_one_hundred_jobs_is_a_400(self, sim: Sim, auth: dict[str, str]) -> None:
        response = await create(sim, auth, *[job(f"J{i}") for i in range(101)])
        assert response.status_code == 400

    async def test_tasks_expire_after_thirty_days(self, sim: Sim, auth: dict[str, str]) -> None:
        task = (await create(sim, auth, job())).json()["elements"][0]["id"]
        sim.clock.advance(days=31)
        response = await sim.client.get(f"/v2/simpleJobPostingTasks?ids={task}", headers=await sim.headers())
        assert response.json()["errors"][task]["status"] == 404

    async def test_availability_is_required(self, sim: Sim, auth: dict[str, str]) -> None:
        # docs/linkedin.md#jobs: PUBLIC or PRIVATE_TO_ATS_INTEGRATION, required for RSC jobs.
        without = job("J1")
        del without["availability"]
        response = await create(sim, auth, without, job("J2", availability=None))
        assert [e["error"]["message"] for e in response.json()["elements"]] == [
            "ERROR :: /availability :: field is required but not found and has no default value",
            "ERROR :: /availability :: null is not allowed: the field is required",
        ]
        assert sim.world.tasks == {}
        sim.clock.advance(seconds=6)
        assert sim.world.collection("simpleJobPostings").records == {}
