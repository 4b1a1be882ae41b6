"""What the simulator refuses as LinkedIn does: sync records under a contract, values that are not the type
the schema names, bodies nested past reason, lengths over a limit in UTF-16 units, queries over 4 KB."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from .conftest import (
    CONTRACT,
    Sim,
    application,
    candidate,
    candidate_key,
    ids_v1,
    make_sim,
    refused_as_restli,
)
from .test_jobs import job
from .test_provisioning_and_acls import APP, partner

EMOJI = "\U0001f600"  # outside the Basic Multilingual Plane: 2 UTF-16 code units


@pytest.fixture
async def lenient(sim: Sim) -> AsyncIterator[httpx.AsyncClient]:
    """A client that receives the simulator's 500s as answers, so a crash shows as a status."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app, raise_app_exceptions=False),
        base_url="http://linkedin.test",
    ) as client:
        yield client


async def post_jobs(client: httpx.AsyncClient, auth: dict[str, str], *jobs: dict[str, Any]) -> httpx.Response:
    return await client.post(
        "/v2/simpleJobPostings",
        headers=auth | {"X-RestLi-Method": "batch_create"},
        content=json.dumps({"elements": list(jobs)}),
    )


async def task_status(sim: Sim, auth: dict[str, str], task_id: str) -> str:
    got = await sim.client.get(f"/v2/simpleJobPostingTasks?ids={task_id}", headers=auth)
    status: str = got.json()["results"][task_id]["status"]
    return status


class TestSyncRecordsAreKeyedByTheOrganization:
    async def test_a_candidate_keyed_by_the_contract_urn_is_refused(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        response = await sim.client.put(
            f"/v2/atsCandidates?{ids_v1('atsCandidateId', ['C1'], CONTRACT)}",
            headers=auth | {"X-RestLi-Method": "batch_update"},
            content=json.dumps({"entities": {candidate_key("C1", CONTRACT): candidate()}}),
        )

        refused_as_restli(response)
        assert CONTRACT in response.json()["message"]
        assert sim.world.collection("atsCandidates").records == {}

    async def test_applications_notes_and_acls_under_the_contract_are_refused(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        app_key = f"atsJobApplicationId=A1&dataProvider=ATS&integrationContext={CONTRACT}"
        acl = (
            f"ids[0].atsEntityAclId=G&ids[0].dataProvider=ATS&ids[0].integrationContext={CONTRACT}"
            "&ids[0].atsEntityId=J1&ids[0].atsEntityType=JOB_POSTING"
        )
        acl_key = (
            f"atsEntityAclId=G&dataProvider=ATS&integrationContext={CONTRACT}"
            "&atsEntityId=J1&atsEntityType=JOB_POSTING"
        )
        calls = {
            "application": (
                f"/v2/atsApplications?{ids_v1('atsJobApplicationId', ['A1'], CONTRACT)}",
                {app_key: application()},
            ),
            "note": (
                f"/v2/atsCandidates/{candidate_key('C1', CONTRACT)}/notes?ids=N1",
                {"N1": {"note": "x"}},
            ),
            "acl": (f"/v2/atsEntityAcls?{acl}", {acl_key: {}}),
        }
        for case, (url, entities) in calls.items():
            response = await sim.client.put(url, headers=auth, content=json.dumps({"entities": entities}))
            assert response.status_code == 400, case
        finder = await sim.client.get(
            f"/v2/atsEntityAcls?q=criteria&atsEntityId=J1&atsEntityType=JOB_POSTING&integrationContext={CONTRACT}",
            headers=auth,
        )
        refused_as_restli(finder)
        for name in ("atsApplications", "candidateNotes", "atsEntityAcls"):
            assert sim.world.collection(name).records == {}, name

    async def test_a_job_posted_under_the_contract_urn_is_refused_in_place(self) -> None:
        sim = make_sim(task_completion_seconds=0)
        auth = await sim.headers()

        posted = await post_jobs(sim.client, auth, job("J1", integrationContext=CONTRACT), job("J2"))

        refused, accepted = posted.json()["elements"]
        assert refused["status"] == 422
        assert refused["error"]["message"] == (
            f'ERROR :: /integrationContext :: "{CONTRACT}" is not an organization URN'
            " (urn:li:organization:{id})"
        )
        assert accepted["status"] == 201
        assert len(sim.world.tasks) == 1

    async def test_integrations_still_take_the_contract_for_csa_api(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        key = f"integrationContext={CONTRACT}&integrationType=CSA_API&tenantType=RECRUITER&dataProvider=ATS"
        ids = (
            f"ids[0].integrationContext={CONTRACT}&ids[0].integrationType=CSA_API"
            "&ids[0].tenantType=RECRUITER&ids[0].dataProvider=ATS"
        )

        named = await sim.client.post(
            f"/v2/atsIntegrations?{ids}",
            headers=auth | {"X-RestLi-Method": "batch_partial_update"},
            content=json.dumps({"entities": {key: {"patch": {"$set": {"integrationName": "Acme CSA"}}}}}),
        )

        assert named.status_code == 200 and named.json()["errors"] == {}, named.text
        got = await sim.client.get(f"/v2/atsIntegrations?{ids}", headers=auth)
        (record,) = got.json()["results"].values()
        assert record["integrationName"] == "Acme CSA"


class TestValuesOfTheWrongShapeAreRefusedNotCrashes:
    async def test_a_list_where_an_enum_is_expected_is_refused_in_place(
        self, lenient: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        response = await post_jobs(lenient, auth, job(jobPostingOperationType=["CREATE"]))

        assert response.status_code == 200, response.text
        (element,) = response.json()["elements"]
        assert element["status"] == 422
        assert (
            element["error"]["message"]
            == 'ERROR :: /jobPostingOperationType :: ["CREATE"] is not an enum symbol'
        )

    async def test_an_object_where_an_enum_is_expected_is_refused_in_place(
        self, lenient: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        response = await post_jobs(lenient, auth, job(listingType={"BASIC": True}))

        assert response.status_code == 200, response.text
        assert response.json()["elements"][0]["status"] == 422

    async def test_a_list_as_external_job_posting_id_is_refused_in_place(
        self, sim: Sim, lenient: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        response = await post_jobs(lenient, auth, job(externalJobPostingId=["J1"]), job("J1"))

        assert response.status_code == 200, response.text
        refused, accepted = response.json()["elements"]
        assert (refused["status"], accepted["status"]) == (422, 201)
        assert "/externalJobPostingId" in refused["error"]["message"]
        assert len(sim.world.tasks) == 1

    async def test_deeply_nested_json_is_a_400(
        self, sim: Sim, lenient: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        response = await lenient.put(
            f"/v2/atsCandidates?{ids_v1('atsCandidateId', ['C1'])}",
            headers=auth | {"X-RestLi-Method": "batch_update"},
            content="[" * 100_000 + "]" * 100_000,
        )

        refused_as_restli(response)
        assert sim.world.collection("atsCandidates").records == {}

    async def test_deeply_nested_json_in_a_job_post_is_a_400(
        self, lenient: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        body = '{"elements": [' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "]}"

        response = await lenient.post(
            "/v2/simpleJobPostings", headers=auth | {"X-RestLi-Method": "batch_create"}, content=body
        )

        refused_as_restli(response)

    async def test_a_deeply_nested_protocol_2_key_is_a_400(self, auth: dict[str, str]) -> None:
        sim = make_sim(max_query_bytes=None)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sim.app, raise_app_exceptions=False),
            base_url="http://linkedin.test",
        ) as client:
            response = await client.get(
                "/v2/atsCandidates?ids=" + "List(" * 1200 + ")" * 1200,  # under the 8 KB URL limit
                headers=await sim.headers(**{"X-RestLi-Protocol-Version": "2.0.0"}),
            )

        refused_as_restli(response)


class TestLengthsCountUtf16CodeUnits:
    async def test_a_job_title_over_200_utf16_units_fails_its_task(self) -> None:
        sim = make_sim(task_completion_seconds=0)
        auth = await sim.headers()

        posted = await post_jobs(
            sim.client, auth, job("LONG", title=EMOJI * 101), job("EXACT", title=EMOJI * 100)
        )

        long_task, exact_task = (e["id"] for e in posted.json()["elements"])
        assert await task_status(sim, auth, long_task) == "FAILED"
        assert await task_status(sim, auth, exact_task) == "SUCCEEDED"
        failed = sim.world.tasks[long_task]
        assert failed.failure == "ERROR :: /title :: length 202 is more than the maximum 200"

    async def test_a_job_description_over_25000_utf16_units_fails_its_task(self) -> None:
        sim = make_sim(task_completion_seconds=0)
        auth = await sim.headers()

        posted = await post_jobs(
            sim.client,
            auth,
            job("LONG", description=EMOJI * 12_501),
            job("EXACT", description=EMOJI * 12_500),
        )

        long_task, exact_task = (e["id"] for e in posted.json()["elements"])
        assert await task_status(sim, auth, long_task) == "FAILED"
        assert await task_status(sim, auth, exact_task) == "SUCCEEDED"
        failed = sim.world.tasks[long_task]
        assert failed.failure == "ERROR :: /description :: length 25002 is more than the maximum 25000"

    async def test_a_child_app_name_over_50_utf16_units_is_refused(self, sim: Sim) -> None:
        auth = await partner(sim)

        too_long = await sim.client.post(
            "/v2/provisionedApplications",
            json=APP | {"name": EMOJI * 26, "uniqueForeignId": "a"},
            headers=auth,
        )
        exact = await sim.client.post(
            "/v2/provisionedApplications",
            json=APP | {"name": EMOJI * 25, "uniqueForeignId": "b"},
            headers=auth,
        )

        refused_as_restli(too_long, 422)
        assert exact.status_code == 201, exact.text
        renamed = await sim.client.post(
            f"/v2/provisionedApplications/{exact.json()['key']}",
            json={"patch": {"$set": {"name": EMOJI * 25 + "x"}}},
            headers=auth,
        )
        refused_as_restli(renamed, 422)
        assert sorted(
            a.name for a in sim.world.apps.values() if a.kind == "child" and a.name.startswith(EMOJI)
        ) == [EMOJI * 25]


class TestQueryStringLimit:
    async def test_a_query_over_4_kb_is_a_414_by_default(self, sim: Sim, auth: dict[str, str]) -> None:
        ids = "&".join(f"ids=urn%3Ali%3AsimpleJobPostingTask%3A{uuid.uuid4()}" for _ in range(70))
        assert 4096 < len(ids) < 8000  # the whole URL stays under its 8 KB limit

        response = await sim.client.get(f"/v2/simpleJobPostingTasks?{ids}", headers=auth)

        refused_as_restli(response, 414)

    async def test_the_same_query_tunnelled_is_answered(self, sim: Sim, auth: dict[str, str]) -> None:
        ids = "&".join(f"ids=urn%3Ali%3AsimpleJobPostingTask%3A{uuid.uuid4()}" for _ in range(70))

        response = await sim.client.post(
            "/v2/simpleJobPostingTasks",
            content=ids.encode(),
            headers=auth
            | {"X-HTTP-Method-Override": "GET", "Content-Type": "application/x-www-form-urlencoded"},
        )

        assert response.status_code == 200, response.text
        assert len(response.json()["errors"]) == 70

    async def test_a_query_of_4_kb_is_answered(self, sim: Sim, auth: dict[str, str]) -> None:
        query = "ids=urn%3Ali%3AsimpleJobPostingTask%3A1&pad=" + "x" * (4096 - 44)
        assert len(query) == 4096

        response = await sim.client.get(f"/v2/simpleJobPostingTasks?{query}", headers=auth)

        assert response.status_code == 200, response.text
