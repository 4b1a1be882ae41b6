"""Rest.li partial updates: `$set`, `$delete` and nested field patches, each checked against the schema."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from rsc_service.simulators.linkedin import schemas
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.simulators.linkedin.patches import apply_patch, check_patch

from .conftest import ORG, Sim, candidate, candidate_key, ids_v1
from .test_provisioning_and_acls import APP, partner
from .test_schemas import put_candidates

APP_KEY = f"atsJobApplicationId=A1&dataProvider=ATS&integrationContext={ORG}"


async def patch_candidate(sim: Sim, auth: dict[str, str], patch: Any) -> httpx.Response:
    response = await sim.client.post(
        "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"]),
        json={"entities": {candidate_key("C1"): {"patch": patch}}},
        headers=auth | {"X-RestLi-Method": "batch_partial_update"},
    )
    assert response.status_code == 200, response.text
    return response


def stored_candidate(sim: Sim) -> dict[str, Any]:
    record: dict[str, Any] = next(iter(sim.world.collection("atsCandidates").records.values()))
    return record


def refusal(response: httpx.Response) -> str:
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    error = next(iter(errors.values()))
    assert error["status"] == 422, error
    return str(error["message"])


class TestPatchShape:
    async def test_every_part_of_a_patch_is_checked(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_candidates(sim, auth, {"C1": candidate(currentJobTitle="QA")})
        before = stored_candidate(sim)
        cases: dict[str, tuple[Any, str]] = {
            "field patch on an unknown field": (
                {"bogusField": {"$set": {"a": 1}}},
                "ERROR :: /bogusField :: unrecognized field found but not allowed",
            ),
            "misspelt operation": (
                {"$sett": {"firstName": "Jo"}},
                "ERROR :: /$sett :: unknown patch operation (a patch takes $set, $delete and record field"
                " patches)",
            ),
            "delete of an unknown field": (
                {"$delete": ["bogusField"]},
                "ERROR :: /bogusField :: unrecognized field found but not allowed",
            ),
            "delete of a required field": (
                {"$delete": ["firstName"]},
                "ERROR :: /firstName :: cannot delete a required field",
            ),
            "delete that is not a list of names": (
                {"$delete": "currentJobTitle"},
                "ERROR :: /$delete :: must be an array of field names",
            ),
            "set that is not a map": (
                {"$set": ["firstName"]},
                "ERROR :: /$set :: must be a map of field names to values",
            ),
            "set and delete of one field": (
                {"$set": {"currentJobTitle": "Dev"}, "$delete": ["currentJobTitle"]},
                "ERROR :: /currentJobTitle :: cannot be both in $set and in $delete",
            ),
            "field patch on a string field": (
                {"firstName": {"$set": {"x": "y"}}},
                "ERROR :: /firstName :: a field patch applies to a record field only; set this one with $set",
            ),
            "value where a field patch belongs": (
                {"firstName": "Jo"},
                'ERROR :: /firstName :: "Jo" is not a patch: a value is set with $set',
            ),
        }
        for case, (patch, message) in cases.items():
            assert refusal(await patch_candidate(sim, auth, patch)) == message, case
        assert stored_candidate(sim) == before

    async def test_deleting_an_optional_field_clears_it(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_candidates(
            sim, auth, {"C1": candidate(currentJobTitle="QA", manualMatchedMember="urn:li:person:m1004")}
        )
        response = await patch_candidate(
            sim, auth, {"$set": {"currentCompanyName": "Acme"}, "$delete": ["manualMatchedMember"]}
        )
        assert response.json()["errors"] == {}
        record = stored_candidate(sim)
        assert "manualMatchedMember" not in record
        assert (record["currentCompanyName"], record["currentJobTitle"]) == ("Acme", "QA")


class TestFieldPatches:
    """Rest.li's record-field patches. Notes, the resources with a record field (`author`), are upserted and
    deleted but never patched over HTTP, so the patch rules are checked on the note schema itself."""

    NOTE = {"note": "n", "atsCreatedAt": 1_700_000_000_000, "author": {"firstName": "A", "lastName": "B"}}

    def test_a_record_field_takes_a_nested_patch(self) -> None:
        note = copy.deepcopy(self.NOTE)
        patch = {"author": {"$set": {"lastName": "C"}}}

        assert check_patch(patch, schemas.NOTE, SimConfig().times) == []
        apply_patch(note, patch, lambda field: field)

        assert note["author"] == {"firstName": "A", "lastName": "C"}

    def test_a_nested_patch_is_checked_against_the_nested_schema(self) -> None:
        cases: dict[str, tuple[Any, str]] = {
            "unknown": (
                {"author": {"$set": {"email": "a@b.c"}}},
                "ERROR :: /author/email :: unrecognized field found but not allowed",
            ),
            "required": (
                {"author": {"$delete": ["lastName"]}},
                "ERROR :: /author/lastName :: cannot delete a required field",
            ),
            "type": (
                {"author": {"$set": {"firstName": 3}}},
                "ERROR :: /author/firstName :: 3 cannot be coerced to String",
            ),
            "operation": (
                {"author": {"$unset": ["firstName"]}},
                "ERROR :: /author/$unset :: unknown patch operation (a patch takes $set, $delete and record"
                " field patches)",
            ),
        }
        for case, (patch, message) in cases.items():
            assert check_patch(patch, schemas.NOTE, SimConfig().times) == [message], case

    async def test_a_note_is_never_patched_over_http(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_candidates(sim, auth, {"C1": candidate()})
        url = f"/v2/atsCandidates/{candidate_key('C1')}/notes?ids=N1"
        put = await sim.client.put(url, json={"entities": {"N1": self.NOTE}}, headers=auth)
        assert put.json()["errors"] == {}

        response = await sim.client.post(
            url,
            json={"entities": {"N1": {"patch": {"author": {"$set": {"lastName": "C"}}}}}},
            headers=auth | {"X-RestLi-Method": "batch_partial_update"},
        )

        assert response.status_code == 400, response.text
        assert response.headers["X-RestLi-Error-Response"] == "true"
        note = next(iter(sim.world.collection("candidateNotes").records.values()))
        assert note["author"] == {"firstName": "A", "lastName": "B"}


class TestProvisioningPatches:
    async def test_the_update_of_a_child_app_is_checked_and_may_delete(self, sim: Sim) -> None:
        auth = await partner(sim)
        created = (await sim.client.post("/v2/provisionedApplications", json=APP, headers=auth)).json()
        url = f"/v2/provisionedApplications/{created['key']}"
        refused = {
            "misspelt": {"$sett": {"validJsSdkDomains": []}},
            "unknown delete": {"$delete": ["logoUrl"]},
            "required delete": {"$delete": ["name"]},
        }
        messages = {}
        for case, patch in refused.items():
            response = await sim.client.post(url, json={"patch": patch}, headers=auth)
            assert response.status_code == 422, case
            messages[case] = response.json()["message"]
        assert messages == {
            "misspelt": "ERROR :: /$sett :: unknown patch operation (a patch takes $set, $delete and record"
            " field patches)",
            "unknown delete": "ERROR :: /logoUrl :: unrecognized field found but not allowed",
            "required delete": "ERROR :: /name :: cannot delete a required field",
        }
        app = sim.world.apps[created["credentials"]["clientId"]]
        assert app.js_domains == ["http://localhost:5000"]
        deleted = await sim.client.post(url, json={"patch": {"$delete": ["validJsSdkDomains"]}}, headers=auth)
        assert deleted.status_code == 204
        assert app.js_domains == []
