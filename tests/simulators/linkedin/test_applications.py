"""Applications and their notes, interview feedback and stages; deleting an application cascades."""

from __future__ import annotations

from typing import Any

from .conftest import Sim, application, ids_v1

APP_KEY = "atsJobApplicationId=A1&dataProvider=ATS&integrationContext=urn:li:organization:1001"


async def put_application(sim: Sim, auth: dict[str, str], record: dict[str, Any]) -> Any:
    url = "/v2/atsApplications?" + ids_v1("atsJobApplicationId", ["A1"])
    return await sim.client.put(url, json={"entities": {APP_KEY: record}}, headers=auth)


async def put_children(sim: Sim, auth: dict[str, str]) -> None:
    base = f"/v2/atsApplications/{APP_KEY}"
    author = {"firstName": "Rita", "lastName": "Book"}
    puts = {
        "notes?ids=AN1": {"AN1": {"atsCreatedAt": 1_700_000_000_000, "note": "n", "author": author}},
        "interviewFeedback?ids=IF1": {
            "IF1": {
                "feedback": "good",
                "interviewer": author,
                "interviewType": "ONSITE",
                "evaluations": [{"attribute": "Verbal", "result": "4/5"}],
            }
        },
        "stages?ids=S1&ids=S2": {
            "S1": {"atsCreatedAt": 1_700_000_000_001, "stage": "New"},
            "S2": {"atsCreatedAt": 1_700_000_000_002, "stage": "Offer"},
        },
    }
    for path, entities in puts.items():
        response = await sim.client.put(f"{base}/{path}", json={"entities": entities}, headers=auth)
        assert response.json()["errors"] == {}, response.text


class TestApplications:
    async def test_application_is_validated_per_field(self, sim: Sim, auth: dict[str, str]) -> None:
        response = await put_application(sim, auth, application(atsJobPostingName="", atsLastModifiedAt=-1))
        message = next(iter(response.json()["errors"].values()))["message"]
        assert "/atsJobPostingName" in message
        assert "/atsLastModifiedAt" in message

    async def test_children_are_validated(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_application(sim, auth, application())
        base = f"/v2/atsApplications/{APP_KEY}"
        stage = await sim.client.put(
            f"{base}/stages?ids=S1&ids=S2",
            headers=auth,
            json={
                "entities": {
                    "S1": {"atsCreatedAt": 1_700_000_000_000, "stage": "Not Available"},
                    "S2": {"stage": "New"},
                }
            },
        )
        assert set(stage.json()["errors"]) == {"S1", "S2"}
        feedback = await sim.client.put(
            f"{base}/interviewFeedback?ids=F1",
            headers=auth,
            json={"entities": {"F1": {"interviewType": "LUNCH"}}},
        )
        assert "/interviewType" in feedback.json()["errors"]["F1"]["message"]

    async def test_deleting_an_application_removes_notes_feedback_and_stages(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        await put_application(sim, auth, application())
        await put_children(sim, auth)
        counts = {
            n: len(sim.world.collection(n).records)
            for n in ("applicationNotes", "interviewFeedback", "stages")
        }
        assert counts == {"applicationNotes": 1, "interviewFeedback": 1, "stages": 2}
        response = await sim.client.delete(
            "/v2/atsApplications?" + ids_v1("atsJobApplicationId", ["A1"]), headers=auth
        )
        assert response.status_code == 200
        assert all(not sim.world.collection(n).records for n in counts)

    async def test_children_can_be_deleted_one_by_one(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_application(sim, auth, application())
        await put_children(sim, auth)
        response = await sim.client.delete(
            f"/v2/atsApplications/{APP_KEY}/stages?ids=S1&ids=S2", headers=auth
        )
        assert response.json()["results"] == {"S1": {"status": 204}, "S2": {"status": 204}}
        assert not sim.world.collection("stages").records
        assert sim.world.collection("applicationNotes").records

    async def test_deleting_a_candidate_keeps_its_applications(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_application(sim, auth, application())
        await sim.client.delete("/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"]), headers=auth)
        assert len(sim.world.collection("atsApplications").records) == 1


class TestRecruiterView:
    async def test_indicator_shows_what_was_synced_for_a_linked_member(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        candidate_url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"])
        record = {
            "addresses": [],
            "phoneNumbers": [],
            "atsCreatedAt": 1_700_000_000_000,
            "atsLastModifiedAt": 1_700_000_000_000,
            "firstName": "Dan",
            "emailAddresses": ["dan@candidates.example"],
        }
        key = "atsCandidateId=C1&dataProvider=ATS&integrationContext=urn:li:organization:1001"
        await sim.client.put(candidate_url, json={"entities": {key: record}}, headers=auth)
        await put_application(sim, auth, application())
        await put_children(sim, auth)
        view = (
            await sim.client.get("/_sim/recruiter/indicator", params={"member": "urn:li:person:m1004"})
        ).json()
        assert view["inAts"] is True
        shown = view["candidates"][0]
        assert shown["atsCandidateId"] == "C1"
        assert [s["stage"] for s in shown["applications"][0]["stages"]] == ["New", "Offer"]
        assert shown["applications"][0]["interviewFeedback"][0]["feedback"] == "good"
        await sim.client.delete(candidate_url, headers=auth)
        view = (
            await sim.client.get("/_sim/recruiter/indicator", params={"member": "urn:li:person:m1004"})
        ).json()
        assert view["inAts"] is False
