"""The `/_sim` control API: seeding (inline and from a file), inspection, and Recruiter visibility."""

from __future__ import annotations

import json
from pathlib import Path

from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.simulators.linkedin.standalone import build

from .conftest import CONTRACT, ORG, Sim, candidate, candidate_key, ids_v1, make_sim
from .test_jobs import create, job

SEED = {
    "members": [
        {"id": "p1", "firstName": "Pat", "lastName": "Lee", "email": "pat@example.com", "phone": "+1 1"}
    ],
    "seats": [{"id": 9001, "contract": CONTRACT, "member": "p1"}],
    "inmails": [
        {
            "seat": 9001,
            "member": "p1",
            "subject": "Hi",
            "at": 1000,
            "reply": {"body": "Yes", "shareEmail": True, "at": 2000},
        }
    ],
    "prospectNotes": [{"id": "PN1", "seat": 9001, "member": "p1", "note": "great", "at": 1500}],
}


class TestSeeding:
    async def test_seed_replaces_the_world_with_recruiter_activity(self, sim: Sim) -> None:
        response = await sim.client.post("/_sim/seed", json=SEED)
        assert response.status_code == 200
        world = sim.world
        assert set(world.seats) == {9001}
        assert [e.at for e in world.conversation_events] == [1000, 2000]
        assert [(s.email, s.phone, s.created_at) for s in world.mail_stubs] == [
            ("pat@example.com", None, 2000)
        ]
        assert world.prospect_notes["PN1"].last_modified == 1500
        assert "sim-customer" in world.apps

    async def test_seed_file_and_standalone_config(self, tmp_path: Path) -> None:
        path = tmp_path / "world.json"
        path.write_text(json.dumps(SEED), encoding="utf-8")
        sim = make_sim(seed_file=str(path))
        assert set(sim.world.seats) == {9001}
        config = build(path, True, hang_seconds=1.0)
        app = config.app
        assert app.state.faults.server_mode is True
        assert isinstance(app.state.config, SimConfig)
        assert app.state.config.allow_insecure_local is True
        assert set(app.state.world.seats) == {9001}


class TestInspection:
    async def test_records_requests_and_state(self, sim: Sim, auth: dict[str, str]) -> None:
        url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"])
        await sim.client.put(url, json={"entities": {candidate_key("C1"): candidate()}}, headers=auth)
        records = (
            await sim.client.get("/_sim/records/atsCandidates", params={"integrationContext": ORG})
        ).json()
        element = records["elements"][0]
        assert element["fields"]["atsCandidateId"] == "C1"
        assert element["history"][0]["op"] == "batch_update"
        assert element["history"][0]["app"] == "sim-customer"
        log = (await sim.client.get("/_sim/requests", params={"pathPrefix": "/v2/atsCandidates"})).json()[
            "elements"
        ]
        assert log[-1]["method"] == "PUT"
        assert "authorization" not in log[-1]["headers"]
        state = (await sim.client.get("/_sim/state")).json()
        assert state["counts"]["atsCandidates"] == 1
        assert (await sim.client.get("/_sim/records/nothing")).status_code == 404


class TestVisibility:
    async def test_jobs_without_acls_are_hidden_unless_viewers_are_all_users(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        await create(sim, auth, job("J1"))
        sim.clock.advance(seconds=6)
        viewer = {"viewer": "urn:li:person:m1002"}
        assert len((await sim.client.get("/_sim/recruiter/jobs", params=viewer)).json()["elements"]) == 1
        oce = (
            f"integrationContext={ORG}&integrationType=ONE_CLICK_EXPORT&tenantType=RECRUITER&dataProvider=ATS"
        )
        await sim.client.delete(
            f"/v2/atsIntegrations/{oce}/configurations?ids=JOB_POSTING_VIEWERS", headers=auth
        )
        assert (await sim.client.get("/_sim/recruiter/jobs", params=viewer)).json()["elements"] == []
        acl = f"dataProvider=ATS&integrationContext={ORG}&atsEntityType=JOB_POSTING&atsEntityId=J1"
        acl += "&atsEntityAclId=G"
        acl_ids = (
            f"ids[0].atsEntityAclId=G&ids[0].dataProvider=ATS&ids[0].integrationContext={ORG}"
            "&ids[0].atsEntityType=JOB_POSTING&ids[0].atsEntityId=J1"
        )
        await sim.client.put(f"/v2/atsEntityAcls?{acl_ids}", json={"entities": {acl: {}}}, headers=auth)
        member = (
            f"ids[0].atsEntityAclId=G&ids[0].dataProvider=ATS&ids[0].integrationContext={ORG}"
            "&ids[0].atsEntityType=JOB_POSTING&ids[0].assignee=urn:li:person:m1002"
        )
        member_key = (
            f"atsEntityAclId=G&dataProvider=ATS&integrationContext={ORG}&atsEntityType=JOB_POSTING"
            "&assignee=urn:li:person:m1002"
        )
        await sim.client.put(
            f"/v2/atsEntityAclAssignees?{member}", json={"entities": {member_key: {}}}, headers=auth
        )
        shown = (await sim.client.get("/_sim/recruiter/jobs", params=viewer)).json()["elements"]
        assert [j["externalJobPostingId"] for j in shown] == ["J1"]
        other = {"viewer": "urn:li:person:m1003"}
        assert (await sim.client.get("/_sim/recruiter/jobs", params=other)).json()["elements"] == []
