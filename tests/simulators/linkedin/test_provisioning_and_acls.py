"""Provisioning child applications, and ACLs with their assignees."""

from __future__ import annotations

from typing import Any

from .conftest import ORG, Sim

APP = {
    "description": "TEST APP",
    "name": "Sim ATS - Acme",
    "uniqueForeignId": "acme-001",
    "oauth2AuthorizedCallbackUrls": ["https://ats.example/oauth/callback"],
    "validJsSdkDomains": ["http://localhost:5000"],
}


async def partner(sim: Sim) -> dict[str, str]:
    return {"Authorization": f"Bearer {await sim.token('sim-partner', 'sim-partner-secret')}"}


class TestProvisioning:
    async def test_create_find_update_and_use_a_child_app(self, sim: Sim) -> None:
        auth = await partner(sim)
        created = await sim.client.post("/v2/provisionedApplications", json=APP, headers=auth)
        assert created.status_code == 201
        body = created.json()
        assert body["key"].startswith("urn:li:developerApplication:")
        found = await sim.client.get(
            "/v2/provisionedApplications?q=credentialsByUniqueForeignId&uniqueForeignId=acme-001",
            headers=auth,
        )
        assert found.json()["elements"][0]["credentials"] == body["credentials"]
        patch = {"patch": {"$set": {"validJsSdkDomains": ["http://localhost:8000"]}}}
        updated = await sim.client.post(
            f"/v2/provisionedApplications/{body['key']}", json=patch, headers=auth
        )
        assert updated.status_code == 204
        assert sim.world.apps[body["credentials"]["clientId"]].js_domains == ["http://localhost:8000"]
        token = await sim.token(body["credentials"]["clientId"], body["credentials"]["clientSecret"])
        assert token

    async def test_duplicate_unique_foreign_id_conflicts(self, sim: Sim) -> None:
        auth = await partner(sim)
        await sim.client.post("/v2/provisionedApplications", json=APP, headers=auth)
        again = await sim.client.post("/v2/provisionedApplications", json=APP, headers=auth)
        assert again.status_code == 409

    async def test_name_rules(self, sim: Sim) -> None:
        auth = await partner(sim)
        for name in ("x" * 51, "Acme LinkedIn"):
            response = await sim.client.post(
                "/v2/provisionedApplications", json=APP | {"name": name}, headers=auth
            )
            assert response.status_code == 422

    async def test_new_child_app_has_no_data_access_until_connected_and_enabled(self, sim: Sim) -> None:
        auth = await partner(sim)
        creds = (await sim.client.post("/v2/provisionedApplications", json=APP, headers=auth)).json()[
            "credentials"
        ]
        child = {"Authorization": f"Bearer {await sim.token(creds['clientId'], creds['clientSecret'])}"}
        url = "/v2/seatsV2?q=attributes&contracts=urn:li:contract:7&start=0"
        assert (await sim.client.get(url, headers=child)).status_code == 403
        await sim.client.post(
            "/_sim/customers/connect",
            json={
                "clientId": creds["clientId"],
                "organization": "urn:li:organization:7",
                "contracts": ["urn:li:contract:7"],
            },
        )
        assert (await sim.client.get(url, headers=child)).status_code == 403
        await sim.client.post("/_sim/admin/enable", json={"clientId": creds["clientId"]})
        assert (await sim.client.get(url, headers=child)).status_code == 200


ACL = (
    f"dataProvider=ATS&integrationContext={ORG}&atsEntityType=JOB_POSTING&atsEntityId=J1"
    "&atsEntityAclId=TEST_JOBS"
)
ACL_IDS = (
    f"ids[0].atsEntityAclId=TEST_JOBS&ids[0].dataProvider=ATS&ids[0].integrationContext={ORG}"
    "&ids[0].atsEntityType=JOB_POSTING&ids[0].atsEntityId=J1"
)


def assignee_ids(acl: str) -> str:
    return (
        f"ids[0].atsEntityAclId={acl}&ids[0].integrationContext={ORG}&ids[0].dataProvider=ATS"
        "&ids[0].assignee=urn:li:person:m1001&ids[0].atsEntityType=JOB_POSTING"
    )


def assignee_key(acl: str) -> str:
    return (
        f"dataProvider=ATS&integrationContext={ORG}&atsEntityType=JOB_POSTING&atsEntityAclId={acl}"
        "&assignee=urn:li:person:m1001"
    )


class TestAcls:
    async def test_upsert_find_delete(self, sim: Sim, auth: dict[str, str]) -> None:
        put = await sim.client.put(f"/v2/atsEntityAcls?{ACL_IDS}", json={"entities": {ACL: {}}}, headers=auth)
        assert put.json()["errors"] == {}
        found = await sim.client.get(
            f"/v2/atsEntityAcls?atsEntityId=J1&atsEntityType=JOB_POSTING&dataProvider=ATS&integrationContext={ORG}"
            "&q=criteria&start=0&count=100",
            headers=auth,
        )
        assert found.json()["elements"][0]["atsEntityAclId"] == "TEST_JOBS"
        deleted = await sim.client.delete(f"/v2/atsEntityAcls?{ACL_IDS}", headers=auth)
        assert deleted.status_code == 200
        assert not sim.world.collection("atsEntityAcls").records

    async def test_only_job_postings_are_securable(self, sim: Sim, auth: dict[str, str]) -> None:
        bad = ACL.replace("JOB_POSTING", "CANDIDATE")
        response = await sim.client.put(
            f"/v2/atsEntityAcls?{ACL_IDS.replace('JOB_POSTING', 'CANDIDATE')}",
            json={"entities": {bad: {}}},
            headers=auth,
        )
        assert next(iter(response.json()["errors"].values()))["status"] == 422

    async def test_at_most_ten_acls_per_user(self, sim: Sim, auth: dict[str, str]) -> None:
        results: list[Any] = []
        for i in range(11):
            response = await sim.client.put(
                f"/v2/atsEntityAclAssignees?{assignee_ids(f'G{i}')}",
                json={"entities": {assignee_key(f"G{i}"): {}}},
                headers=auth,
            )
            results.append(response.json())
        assert all(r["errors"] == {} for r in results[:10])
        assert results[10]["errors"]
        found = await sim.client.get(
            f"/v2/atsEntityAclAssignees?q=criteria&assignee=urn:li:person:m1001&dataProvider=ATS&integrationContext={ORG}",
            headers=auth,
        )
        assert found.json()["paging"]["total"] == 10
