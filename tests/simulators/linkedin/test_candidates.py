"""Candidates and their notes: batch upsert, match read-back, manual match, validation, history, deletes."""

from __future__ import annotations

from typing import Any

from rsc_service.simulators.linkedin.restli import make_key

from .conftest import ORG, Sim, candidate, candidate_key, ids_v1, make_sim


def key(candidate_id: str) -> tuple[tuple[str, str], ...]:
    return make_key({"atsCandidateId": candidate_id, "dataProvider": "ATS", "integrationContext": ORG})


async def put_candidates(sim: Sim, auth: dict[str, str], records: dict[str, dict[str, Any]]) -> Any:
    url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", list(records))
    body = {"entities": {candidate_key(cid): record for cid, record in records.items()}}
    return await sim.client.put(url, json=body, headers=auth | {"X-RestLi-Method": "BATCH_UPDATE"})


class TestBatchUpdate:
    async def test_put_stores_each_candidate_and_answers_204_per_key(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        response = await put_candidates(
            sim, auth, {"C1": candidate(), "C2": candidate("Jane", "jane@example.com")}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["errors"] == {}
        assert sorted(v["status"] for v in body["results"].values()) == [204, 204]
        assert sim.world.collection("atsCandidates").get(key("C2"))["firstName"] == "Jane"

    async def test_put_replaces_the_whole_record(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_candidates(sim, auth, {"C1": candidate(currentJobTitle="QA")})
        await put_candidates(sim, auth, {"C1": candidate()})
        assert "currentJobTitle" not in sim.world.collection("atsCandidates").get(key("C1"))

    async def test_invalid_entities_fail_alone_with_linkedin_messages(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        bad_time = candidate(atsCreatedAt=0)
        no_name = {k: v for k, v in candidate().items() if k != "firstName"}
        bad_email = candidate(emailAddresses=["not-an-email"])
        later_created = candidate(atsCreatedAt=2_000_000_000_000)
        response = await put_candidates(
            sim, auth, {"OK": candidate(), "T": bad_time, "N": no_name, "E": bad_email, "L": later_created}
        )
        body = response.json()
        assert response.status_code == 200
        assert len(body["results"]) == 1
        assert {k.split("&")[0] for k in body["errors"]} == {
            "atsCandidateId=T",
            "atsCandidateId=N",
            "atsCandidateId=E",
            "atsCandidateId=L",
        }
        assert all(e["status"] == 422 for e in body["errors"].values())
        assert "/firstName" in body["errors"][next(k for k in body["errors"] if "=N&" in k)]["message"]
        assert sim.world.collection("atsCandidates").get(key("T")) is None

    async def test_more_than_one_hundred_entities_is_a_400(self) -> None:
        # 101 keys in protocol 1.0 would otherwise pass 8 KB of URL and 4 KB of query string
        sim = make_sim(max_url_bytes=1_000_000, max_query_bytes=None)
        auth = await sim.headers()
        response = await put_candidates(sim, auth, {f"C{i}": candidate() for i in range(101)})
        assert response.status_code == 400
        assert response.json()["status"] == 400
        assert sim.world.collection("atsCandidates").records == {}

    async def test_body_keys_must_match_ids(self, sim: Sim, auth: dict[str, str]) -> None:
        url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"])
        body = {"entities": {candidate_key("C2"): candidate()}}
        response = await sim.client.put(url, json=body, headers=auth)
        assert response.status_code == 400

    async def test_another_customers_context_is_forbidden(self, sim: Sim, auth: dict[str, str]) -> None:
        other = "urn:li:organization:9999"
        url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"], org=other)
        body = {"entities": {candidate_key("C1", other): candidate()}}
        response = await sim.client.put(url, json=body, headers=auth)
        assert response.status_code == 403
        assert response.json()["serviceErrorCode"] == 100

    async def test_disabled_integration_rejects_data(self, sim: Sim, auth: dict[str, str]) -> None:
        await sim.client.post("/_sim/admin/enable", json={"enabled": False})
        response = await put_candidates(sim, auth, {"C1": candidate()})
        assert response.status_code == 403

    async def test_history_keeps_every_write_in_order(self, sim: Sim, auth: dict[str, str]) -> None:
        for title in ("one", "two", "three"):
            await put_candidates(sim, auth, {"C1": candidate(currentJobTitle=title)})
        response = await sim.client.get("/_sim/history/atsCandidates", params={"key": candidate_key("C1")})
        assert [h["record"]["currentJobTitle"] for h in response.json()["history"]] == ["one", "two", "three"]
        history = sim.world.history(
            "atsCandidates", atsCandidateId="C1", dataProvider="ATS", integrationContext=ORG
        )
        assert [h.seq for h in history] == sorted(h.seq for h in history)


class TestMatching:
    async def test_email_match_and_manual_match_are_returned(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_candidates(sim, auth, {"C1": candidate(email="DAN@candidates.example")})
        url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"])
        got = (await sim.client.get(url, headers=auth)).json()
        record = next(iter(got["results"].values()))
        assert record["matchedMembers"] == ["urn:li:person:m1004"]
        assert record["manualMatchedMember"] is None
        patch = {
            "entities": {
                candidate_key("C1"): {"patch": {"$set": {"manualMatchedMember": "urn:li:person:m1005"}}}
            }
        }
        response = await sim.client.post(
            url, json=patch, headers=auth | {"x-restli-method": "batch_partial_update"}
        )
        assert response.json()["errors"] == {}
        record = next(iter((await sim.client.get(url, headers=auth)).json()["results"].values()))
        assert record["manualMatchedMember"] == "urn:li:person:m1005"
        assert record["firstName"] == "John"

    async def test_missing_keys_are_404_errors_in_batch_get(self, sim: Sim, auth: dict[str, str]) -> None:
        url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["NOPE"])
        body = (await sim.client.get(url, headers=auth)).json()
        assert body["results"] == {}
        assert next(iter(body["errors"].values()))["status"] == 404

    async def test_post_without_method_header_is_rejected(self, sim: Sim, auth: dict[str, str]) -> None:
        url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"])
        response = await sim.client.post(url, json={"entities": {}}, headers=auth)
        assert response.status_code == 400


class TestCandidateNotesAndDeletes:
    async def test_notes_live_under_the_candidate_and_go_with_it(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        await put_candidates(sim, auth, {"C1": candidate()})
        notes = f"/v2/atsCandidates/{candidate_key('C1')}/notes?ids=N1&ids=N2"
        body = {
            "entities": {
                "N1": {
                    "atsCreatedAt": 1_700_000_000_000,
                    "note": "first",
                    "author": {"firstName": "A", "lastName": "B"},
                },
                "N2": {"note": "second", "author": {"firstName": "A"}},
            }
        }
        response = await sim.client.put(notes, json=body, headers=auth | {"x-restli-method": "batch_update"})
        assert set(response.json()["results"]) == {"N1"}
        assert "/author/lastName" in response.json()["errors"]["N2"]["message"]
        assert len(sim.world.collection("candidateNotes").records) == 1
        deleted = await sim.client.delete(
            "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"]), headers=auth
        )
        assert deleted.status_code == 200
        assert next(iter(deleted.json()["results"].values())) == {"status": 204}
        assert sim.world.collection("candidateNotes").records == {}
        history = sim.world.collection("candidateNotes").history
        assert [h.op for h in next(iter(history.values()))] == ["batch_update", "cascade_delete"]

    async def test_note_for_an_unknown_candidate_is_a_404_error(self, sim: Sim, auth: dict[str, str]) -> None:
        notes = f"/v2/atsCandidates/{candidate_key('GHOST')}/notes?ids=N1"
        response = await sim.client.put(notes, json={"entities": {"N1": {"note": "x"}}}, headers=auth)
        assert response.json()["errors"]["N1"]["status"] == 404

    async def test_deleting_an_unknown_candidate_is_idempotent(self, sim: Sim, auth: dict[str, str]) -> None:
        response = await sim.client.delete(
            "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["NONE"]), headers=auth
        )
        assert next(iter(response.json()["results"].values())) == {"status": 204}

    async def test_delete_of_an_unknown_candidate_can_be_a_404(self) -> None:
        sim = make_sim(delete_missing_status=404)
        auth = await sim.headers()
        response = await sim.client.delete(
            "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["NONE"]), headers=auth
        )
        assert next(iter(response.json()["errors"].values()))["status"] == 404
