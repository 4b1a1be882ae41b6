"""Rest.li routing: each resource offers only its documented methods, X-RestLi-Method agrees with the HTTP
verb, and keys, lists and records are parsed in the protocol the call names."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from .conftest import CONTRACT, ORG, Sim, application, candidate, candidate_key, ids_v1, refused_as_restli

V2 = {"X-RestLi-Protocol-Version": "2.0.0"}
REST = {"LinkedIn-Version": "202604"}
INTEGRATION_IDS = (
    f"ids[0].integrationContext={ORG}&ids[0].integrationType=IN_ATS_INDICATOR"
    "&ids[0].tenantType=RECRUITER&ids[0].dataProvider=ATS"
)
INTEGRATION_KEY = (
    f"integrationContext={ORG}&integrationType=IN_ATS_INDICATOR&tenantType=RECRUITER&dataProvider=ATS"
)
REST_INTEGRATION = (
    "(integrationContext:urn%3Ali%3Aorganization%3A1001"
    ",integrationType:IN_ATS_INDICATOR,tenantType:RECRUITER)"
)
CANDIDATE_IDS = ids_v1("atsCandidateId", ["C1"])
APPLICATION_IDS = ids_v1("atsJobApplicationId", ["A1"])
APPLICATION_KEY = f"atsJobApplicationId=A1&dataProvider=ATS&integrationContext={ORG}"


def v2(value: str) -> str:
    return quote(value, safe="")


def v2_candidate_key(candidate_id: str = "C1") -> str:
    return f"(atsCandidateId:{candidate_id},dataProvider:ATS,integrationContext:{v2(ORG)})"


async def put_candidate(sim: Sim, auth: dict[str, str], first: str = "John") -> None:
    response = await sim.client.put(
        f"/v2/atsCandidates?{CANDIDATE_IDS}",
        headers=auth | {"X-RestLi-Method": "batch_update"},
        json={"entities": {candidate_key("C1"): candidate(first)}},
    )
    assert response.json()["errors"] == {}, response.text


def stored_candidate(sim: Sim) -> dict[str, Any] | None:
    records = list(sim.world.collection("atsCandidates").records.values())
    return records[0] if records else None


class TestMethodsEachResourceOffers:
    async def test_a_put_on_ats_integrations_is_refused_and_never_disables_the_integration(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        response = await sim.client.put(
            f"/v2/atsIntegrations?{INTEGRATION_IDS}",
            headers=auth | {"X-RestLi-Method": "batch_update"},
            content=json.dumps({"entities": {INTEGRATION_KEY: {"integrationName": "Acme"}}}),
        )
        got = await sim.client.get(f"/v2/atsIntegrations?{INTEGRATION_IDS}", headers=auth)

        refused_as_restli(response)
        (record,) = got.json()["results"].values()
        assert record["status"] == "ENABLED"  # as the customer enabled it in Recruiter

    async def test_a_delete_on_ats_integrations_is_refused_and_removes_nothing(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        response = await sim.client.delete(f"/v2/atsIntegrations?{INTEGRATION_IDS}", headers=auth)
        got = await sim.client.get(f"/v2/atsIntegrations?{INTEGRATION_IDS}", headers=auth)

        refused_as_restli(response)
        (record,) = got.json()["results"].values()
        assert record["status"] == "ENABLED"

    @pytest.mark.parametrize(
        ("verb", "path", "headers", "body"),
        [
            (
                "PUT",
                f"/rest/integrations?ids=List({REST_INTEGRATION})",
                REST,
                {"entities": {REST_INTEGRATION: {"integrationName": "Acme"}}},
            ),
            ("GET", f"/v2/atsApplications?{APPLICATION_IDS}", {}, None),
            (
                "POST",
                f"/v2/atsApplications?{APPLICATION_IDS}",
                {"X-RestLi-Method": "batch_partial_update"},
                {"entities": {APPLICATION_KEY: {"patch": {"$set": {"firstName": "Zed"}}}}},
            ),
            ("GET", f"/v2/atsCandidates/{candidate_key('C1')}/notes?ids=N1", {}, None),
            (
                "POST",
                f"/rest/candidates?ids=List({v2_candidate_key()})",
                REST | {"X-RestLi-Method": "batch_partial_update"},
                {"entities": {v2_candidate_key(): {"patch": {"$set": {"firstName": "Zed"}}}}},
            ),
            ("DELETE", "/v2/simpleJobPostingTasks?ids=urn%3Ali%3AsimpleJobPostingTask%3A1", {}, None),
            ("POST", "/v2/simpleJobPostingTasks", {"X-RestLi-Method": "batch_create"}, {"elements": [{}]}),
            ("DELETE", f"/v2/seatsV2?ids={v2(CONTRACT)}", {}, None),
            (
                "POST",
                f"/v2/prospectNotes?ids={v2(CONTRACT)}",
                {"X-RestLi-Method": "batch_create"},
                {"elements": []},
            ),
            (
                "GET",
                f"/v2/atsEntityAcls?ids[0].atsEntityAclId=G&ids[0].dataProvider=ATS&ids[0].integrationContext={ORG}"
                "&ids[0].atsEntityId=J1&ids[0].atsEntityType=JOB_POSTING",
                {},
                None,
            ),
        ],
        ids=[
            "rest integrations update",
            "applications read",
            "applications patch",
            "candidate notes read",
            "rest candidates patch",
            "job tasks delete",
            "job tasks create",
            "seats delete",
            "prospect notes create",
            "acls read",
        ],
    )
    async def test_a_method_the_resource_does_not_offer_is_a_400(
        self, sim: Sim, auth: dict[str, str], verb: str, path: str, headers: dict[str, str], body: Any
    ) -> None:
        response = await sim.client.request(
            verb, path, headers=auth | headers, content=json.dumps(body) if body is not None else None
        )

        refused_as_restli(response)
        (integration,) = [
            r
            for k, r in sim.world.collection("atsIntegrations").records.items()
            if dict(k)["integrationType"] == "IN_ATS_INDICATOR"
        ]
        assert integration["status"] == "ENABLED"
        assert sim.world.collection("atsApplications").records == {}
        assert sim.world.tasks == {}

    async def test_a_finder_only_resource_refuses_a_post_that_names_its_finder(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        response = await sim.client.post(
            f"/v2/seatsV2?q=attributes&contracts={CONTRACT}&start=0", headers=auth, content=b"{}"
        )

        refused_as_restli(response)


class TestMethodHeaderAgreesWithTheVerb:
    async def test_a_post_never_updates_or_deletes_and_a_put_never_patches(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        await put_candidate(sim, auth)
        url = f"/v2/atsCandidates?{CANDIDATE_IDS}"
        full = json.dumps({"entities": {candidate_key("C1"): candidate(first="Zed")}})
        patch = json.dumps({"entities": {candidate_key("C1"): {"patch": {"$set": {"firstName": "Pat"}}}}})

        post_update = await sim.client.post(
            url, headers=auth | {"X-RestLi-Method": "batch_update"}, content=full
        )
        put_patch = await sim.client.put(
            url, headers=auth | {"X-RestLi-Method": "batch_partial_update"}, content=patch
        )
        post_delete = await sim.client.post(url, headers=auth | {"X-RestLi-Method": "batch_delete"})
        get_update = await sim.client.get(url, headers=auth | {"X-RestLi-Method": "batch_update"})
        delete_get = await sim.client.delete(url, headers=auth | {"X-RestLi-Method": "batch_get"})

        for response in (post_update, put_patch, post_delete, get_update, delete_get):
            refused_as_restli(response)
        record = stored_candidate(sim)
        assert record is not None and record["firstName"] == "John"

    async def test_the_header_must_fit_the_call_it_names(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_candidate(sim, auth)
        # batch_update without ids, a POST overload without its header, a finder header without `q`
        no_ids = await sim.client.put(
            "/v2/atsCandidates",
            headers=auth | {"X-RestLi-Method": "batch_update"},
            content=json.dumps({"entities": {candidate_key("C1"): candidate(first="Zed")}}),
        )
        no_header = await sim.client.post(
            f"/v2/atsCandidates?{CANDIDATE_IDS}",
            content=json.dumps(
                {"entities": {candidate_key("C1"): {"patch": {"$set": {"firstName": "Pat"}}}}}
            ),
            headers=auth,
        )
        no_finder = await sim.client.get("/v2/atsEntityAcls", headers=auth | {"X-RestLi-Method": "finder"})

        for response in (no_ids, no_header, no_finder):
            refused_as_restli(response)
        record = stored_candidate(sim)
        assert record is not None and record["firstName"] == "John"

    async def test_the_documented_combinations_still_work(self, sim: Sim, auth: dict[str, str]) -> None:
        url = f"/v2/atsCandidates?{CANDIDATE_IDS}"
        # Interview feedback goes as a bare PUT in LinkedIn's examples; the header may be in any case.
        put = await sim.client.put(
            url,
            headers=auth | {"X-RestLi-Method": "BATCH_UPDATE"},
            content=json.dumps({"entities": {candidate_key("C1"): candidate()}}),
        )
        bare_put = await sim.client.put(
            url, headers=auth, content=json.dumps({"entities": {candidate_key("C1"): candidate("Jo")}})
        )
        patched = await sim.client.post(
            url,
            headers=auth | {"x-restli-method": "batch_partial_update"},
            content=json.dumps({"entities": {candidate_key("C1"): {"patch": {"$set": {"lastName": "Roe"}}}}}),
        )
        read = await sim.client.get(url, headers=auth | {"X-RestLi-Method": "batch_get"})

        assert [r.status_code for r in (put, bare_put, patched, read)] == [200, 200, 200, 200]
        (record,) = read.json()["results"].values()
        assert (record["firstName"], record["lastName"]) == ("Jo", "Roe")
        deleted = await sim.client.delete(url, headers=auth | {"X-RestLi-Method": "batch_delete"})
        assert deleted.json()["results"] and stored_candidate(sim) is None


class TestSyntaxFollowsTheProtocol:
    async def test_protocol_2_ids_without_the_protocol_header_are_refused(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        key = v2_candidate_key()

        response = await sim.client.put(
            f"/v2/atsCandidates?ids=List({key})",
            headers=auth | {"X-RestLi-Method": "batch_update"},
            content=json.dumps({"entities": {key: candidate()}}),
        )

        refused_as_restli(response)
        assert stored_candidate(sim) is None

    async def test_protocol_1_ids_under_the_protocol_2_header_are_refused(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        response = await sim.client.put(
            f"/v2/atsCandidates?{CANDIDATE_IDS}",
            headers=auth | V2 | {"X-RestLi-Method": "batch_update"},
            content=json.dumps({"entities": {candidate_key("C1"): candidate()}}),
        )

        refused_as_restli(response)
        assert stored_candidate(sim) is None

    async def test_body_keys_are_read_in_the_calls_protocol(self, sim: Sim, auth: dict[str, str]) -> None:
        v1_body_under_v2 = await sim.client.put(
            f"/v2/atsCandidates?ids=List({v2_candidate_key()})",
            headers=auth | V2,
            content=json.dumps({"entities": {candidate_key("C1"): candidate()}}),
        )
        v2_body_under_v1 = await sim.client.put(
            f"/v2/atsCandidates?{CANDIDATE_IDS}",
            headers=auth,
            content=json.dumps({"entities": {v2_candidate_key(): candidate()}}),
        )

        refused_as_restli(v1_body_under_v2)
        refused_as_restli(v2_body_under_v1)
        assert stored_candidate(sim) is None

    async def test_path_keys_and_simple_ids_are_read_in_the_calls_protocol(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        await put_candidate(sim, auth)
        note = json.dumps({"entities": {"N1": {"note": "hi"}}})
        forms = {
            "2.0 path key in 1.0": (f"/v2/atsCandidates/{v2_candidate_key()}/notes?ids=N1", {}),
            "1.0 path key in 2.0": (f"/v2/atsCandidates/{candidate_key('C1')}/notes?ids=List(N1)", V2),
            "2.0 simple ids in 1.0": (f"/v2/atsCandidates/{candidate_key('C1')}/notes?ids=List(N1)", {}),
            "1.0 simple ids in 2.0": (f"/v2/atsCandidates/{v2_candidate_key()}/notes?ids=N1", V2),
        }
        for case, (url, protocol) in forms.items():
            response = await sim.client.put(url, headers=auth | protocol, content=note)
            assert response.status_code == 400, case
        assert sim.world.collection("candidateNotes").records == {}
        # The same call in one protocol throughout is taken.
        for url, protocol in (
            (f"/v2/atsCandidates/{candidate_key('C1')}/notes?ids=N1", {}),
            (f"/v2/atsCandidates/{v2_candidate_key()}/notes?ids=List(N1)", V2),
        ):
            response = await sim.client.put(url, headers=auth | protocol, content=note)
            assert response.json()["results"] == {"N1": {"status": 204}}

    async def test_lists_and_records_in_parameters_follow_the_protocol(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        now = sim.world.clock.now_ms()
        window = f"start:{now - 3_600_000},end:{now}"
        refused = {
            "2.0 list in 1.0": (f"/v2/seatsV2?q=attributes&contracts=List({v2(CONTRACT)})&start=0", {}),
            "2.0 record in 1.0": (
                f"/v2/conversationEvents?q=criteria&viewer=urn%3Ali%3Aseat%3A3001&timeRange=({window})",
                {},
            ),
            "1.0 record in 2.0": (
                "/v2/conversationEvents?q=criteria&viewer=urn%3Ali%3Aseat%3A3001"
                f"&timeRange.start={now - 3_600_000}&timeRange.end={now}",
                V2,
            ),
        }
        for case, (url, protocol) in refused.items():
            response = await sim.client.get(url, headers=auth | protocol)
            assert response.status_code == 400, case
            assert "protocol" in response.json()["message"], case
        taken = {
            "1.0 list": (f"/v2/seatsV2?q=attributes&contracts={v2(CONTRACT)}&start=0", {}),
            "2.0 list": (f"/v2/seatsV2?q=attributes&contracts=List({v2(CONTRACT)})&start=0", V2),
            "2.0 record": (
                f"/v2/conversationEvents?q=criteria&viewer=urn%3Ali%3Aseat%3A3001&timeRange=({window})",
                V2,
            ),
        }
        for case, (url, protocol) in taken.items():
            response = await sim.client.get(url, headers=auth | protocol)
            assert response.status_code == 200, (case, response.text)

    async def test_an_application_in_protocol_2_is_taken_whole(self, sim: Sim, auth: dict[str, str]) -> None:
        key = f"(atsJobApplicationId:A1,dataProvider:ATS,integrationContext:{v2(ORG)})"

        response = await sim.client.put(
            f"/v2/atsApplications?ids=List({key})",
            headers=auth | V2,
            content=json.dumps({"entities": {key: application()}}),
        )

        assert response.json() == {"results": {key: {"status": 204}}, "errors": {}}
