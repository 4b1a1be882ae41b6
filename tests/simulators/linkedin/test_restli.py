"""Rest.li on the wire: protocol 1.0 and 2.0 keys, encodings, 414, and both tunnelling forms."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rsc_service.simulators.linkedin.errors import RestliError
from rsc_service.simulators.linkedin.restli import (
    PROTOCOL_1,
    PROTOCOL_2,
    Query,
    make_key,
    parse_key,
    render_key,
)

from .conftest import ORG, Sim, candidate, candidate_key, ids_v1, make_sim

V1, V2 = PROTOCOL_1, PROTOCOL_2
AWKWARD = ["plain", "with space", "a,b", "(paren)", "colon:x", "ünïcødé", "amp&eq=", "per%cent"]


def v2(value: str) -> str:
    return quote(value, safe="")


def v2_key(candidate_id: str) -> str:
    return f"(atsCandidateId:{v2(candidate_id)},dataProvider:ATS,integrationContext:{v2(ORG)})"


class TestKeyParsing:
    def test_protocol_1_keys_match_in_any_field_order_raw_or_encoded(self) -> None:
        expected = make_key({"a": "urn:li:organization:1", "b": "x y"})
        assert parse_key("a=urn:li:organization:1&b=x%20y", V1) == expected
        assert parse_key("b=x%20y&a=urn%3Ali%3Aorganization%3A1", V1) == expected
        assert parse_key(quote("b=x y&a=urn:li:organization:1", safe=""), V1) == expected

    def test_protocol_2_keys_and_rest_params(self) -> None:
        expected = make_key({"a": "urn:li:organization:1", "b": "x,y"})
        assert parse_key("(b:x%2Cy,a:urn%3Ali%3Aorganization%3A1)", V2) == expected
        assert parse_key("($params:(),a:urn%3Ali%3Aorganization%3A1,b:x%2Cy)", V2) == expected

    def test_batch_ids_in_every_form(self) -> None:
        key = make_key({"atsCandidateId": "C 1", "dataProvider": "ATS", "integrationContext": ORG})
        forms = [
            (
                V1,
                "ids[0].atsCandidateId=C%201&ids[0].dataProvider=ATS&ids[0].integrationContext=urn:li:organization:1001",
            ),
            (
                V1,
                "ids%5B0%5D.integrationContext=urn%3Ali%3Aorganization%3A1001&ids%5B0%5D.atsCandidateId=C+1"
                "&ids%5B0%5D.dataProvider=ATS",
            ),
            (
                V2,
                "ids=List((atsCandidateId:C%201,dataProvider:ATS,integrationContext:urn%3Ali%3Aorganization%3A1001))",
            ),
        ]
        for protocol, form in forms:
            assert Query.parse(form, protocol).batch_ids(compound=True) == [key]
        assert Query.parse("ids=List(N1,N%2C2)", V2).batch_ids(compound=False) == ["N1", "N,2"]
        assert Query.parse("ids=N1&ids=N2", V1).batch_ids(compound=False) == ["N1", "N2"]

    def test_malformed_values_are_400(self) -> None:
        with pytest.raises(RestliError):
            Query.parse("ids=List((a:1", V2).batch_ids(compound=True)
        with pytest.raises(RestliError):
            parse_key("novalue", V1)

    def test_rendering_round_trips(self) -> None:
        key = make_key({"atsCandidateId": "a,b (c):d", "dataProvider": "ATS", "integrationContext": ORG})
        assert parse_key(render_key(key, V1), V1) == key
        assert parse_key(render_key(key, V2), V2) == key


class TestProtocolTwoOnTheWire:
    async def test_awkward_ids_round_trip_in_protocol_2(self, sim: Sim, auth: dict[str, str]) -> None:
        ids = "List(" + ",".join(v2_key(c) for c in AWKWARD) + ")"
        body = {"entities": {v2_key(c): candidate(c) for c in AWKWARD}}
        headers = auth | {"X-Restli-Protocol-Version": "2.0.0", "X-RestLi-Method": "batch_update"}
        response = await sim.client.put(f"/v2/atsCandidates?ids={ids}", json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["errors"] == {}
        assert all(k.startswith("(atsCandidateId:") for k in response.json()["results"])
        stored = {
            dict(k)["atsCandidateId"]: r["firstName"]
            for k, r in sim.world.collection("atsCandidates").records.items()
        }
        assert stored == {c: c for c in AWKWARD}
        got = await sim.client.get(
            f"/v2/atsCandidates?ids={ids}", headers=auth | {"X-Restli-Protocol-Version": "2.0.0"}
        )
        assert {parse_key(k, V2) for k in got.json()["results"]} == set(
            sim.world.collection("atsCandidates").records
        )

    async def test_awkward_ids_in_protocol_1(self, sim: Sim, auth: dict[str, str]) -> None:
        ids = "&".join(
            f"ids[{i}].atsCandidateId={quote(c, safe='')}&ids[{i}].dataProvider=ATS"
            f"&ids[{i}].integrationContext={ORG}"
            for i, c in enumerate(AWKWARD)
        )
        body = {
            "entities": {
                f"atsCandidateId={quote(c, safe='')}&dataProvider=ATS&integrationContext={ORG}": candidate(c)
                for c in AWKWARD
            }
        }
        response = await sim.client.put(f"/v2/atsCandidates?{ids}", json=body, headers=auth)
        assert response.json()["errors"] == {}
        assert len(sim.world.collection("atsCandidates").records) == len(AWKWARD)

    async def test_protocol_2_path_key_for_notes(self, sim: Sim, auth: dict[str, str]) -> None:
        headers = auth | {"X-Restli-Protocol-Version": "2.0.0"}
        await sim.client.put(
            f"/v2/atsCandidates?ids=List({v2_key('a b')})",
            json={"entities": {v2_key("a b"): candidate()}},
            headers=headers,
        )
        response = await sim.client.put(
            f"/v2/atsCandidates/{v2_key('a b')}/notes?ids=List(N%2C1)",
            json={"entities": {"N,1": {"note": "hello"}}},
            headers=headers,
        )
        assert response.json()["results"] == {"N,1": {"status": 204}}


class TestUrlLimitsAndTunnelling:
    async def test_url_over_the_limit_is_414(self, sim: Sim, auth: dict[str, str]) -> None:
        response = await sim.client.get("/v2/atsCandidates?" + "x" * 8200, headers=auth)
        assert response.status_code == 414

    async def test_query_limit_is_a_setting(self) -> None:
        sim = make_sim(max_query_bytes=100)
        response = await sim.client.get(
            "/v2/simpleJobPostingTasks?ids=" + "t" * 101, headers=await sim.headers()
        )
        assert response.status_code == 414

    async def test_form_encoded_tunnel_for_a_get(self, sim: Sim, auth: dict[str, str]) -> None:
        many = [f"C{i}" for i in range(100)]
        response = await sim.client.post(
            "/v2/atsCandidates",
            content=ids_v1("atsCandidateId", many).encode(),
            headers=auth
            | {"X-HTTP-Method-Override": "GET", "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200
        assert len(response.json()["errors"]) == 100

    async def test_multipart_tunnel_for_a_put(self, sim: Sim, auth: dict[str, str]) -> None:
        ids = [f"C{i}" for i in range(100)]
        entity = json.dumps({"entities": {candidate_key(c): candidate() for c in ids}})
        query = ids_v1("atsCandidateId", ids)
        body = (
            "--xyz\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
            + query
            + "\r\n--xyz\r\nContent-Type: application/json\r\n\r\n"
            + entity
            + "\r\n--xyz--\r\n"
        ).encode()
        response = await sim.client.post(
            "/v2/atsCandidates",
            content=body,
            headers=auth
            | {
                "X-HTTP-Method-Override": "PUT",
                "Content-Type": "multipart/mixed; boundary=xyz",
                "X-RestLi-Method": "batch_update",
            },
        )
        assert response.status_code == 200, response.text
        assert len(response.json()["results"]) == 100
        assert len(sim.world.collection("atsCandidates").records) == 100


class TestVersionedRest:
    async def test_rest_candidates_use_external_names_and_share_storage(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        key = f"(externalCandidateId:R%201,integrationContext:{v2(ORG)})"
        record = candidate() | {
            "externalCreatedAt": 1_700_000_000_005,
            "externalLastModifiedAt": 1_700_000_000_006,
        }
        del record["atsCreatedAt"], record["atsLastModifiedAt"]
        headers = auth | {"LinkedIn-Version": "202604", "X-Restli-Protocol-Version": "2.0.0"}
        url = f"/rest/candidates?ids=List({key})"
        put = await sim.client.put(url, json={"entities": {key: record}}, headers=headers)
        assert put.json() == {"results": {key: {"status": 204}}, "errors": {}}
        stored = sim.world.collection("atsCandidates").get(
            make_key({"atsCandidateId": "R 1", "dataProvider": "ATS", "integrationContext": ORG})
        )
        assert stored is not None
        assert stored["atsCreatedAt"] == 1_700_000_000_005
        got = await sim.client.get(url, headers=headers)
        assert got.json()["results"][key]["externalLastModifiedAt"] == 1_700_000_000_006
        v1 = await sim.client.get("/v2/atsCandidates?" + ids_v1("atsCandidateId", ["R%201"]), headers=auth)
        assert next(iter(v1.json()["results"].values()))["atsCreatedAt"] == 1_700_000_000_005

    async def test_rest_candidate_notes_are_compound_keyed(self, sim: Sim, auth: dict[str, str]) -> None:
        headers = auth | {"LinkedIn-Version": "202604"}
        candidate_key_v2 = f"(externalCandidateId:C1,integrationContext:{v2(ORG)})"
        record = candidate() | {
            "externalCreatedAt": 1_700_000_000_005,
            "externalLastModifiedAt": 1_700_000_000_006,
        }
        del record["atsCreatedAt"], record["atsLastModifiedAt"]
        await sim.client.put(
            f"/rest/candidates?ids=List({candidate_key_v2})",
            json={"entities": {candidate_key_v2: record}},
            headers=headers,
        )
        note = f"(externalCandidateId:C1,externalNoteId:N1,integrationContext:{v2(ORG)})"
        put = await sim.client.put(
            f"/rest/candidateNotes?ids=List({note})",
            json={"entities": {note: {"note": "hi"}}},
            headers=headers,
        )
        assert put.json()["errors"] == {}
        assert len(sim.world.collection("candidateNotes").records) == 1
        orphan = note.replace("C1", "C2")
        put = await sim.client.put(
            f"/rest/candidateNotes?ids=List({orphan})",
            json={"entities": {orphan: {"note": "hi"}}},
            headers=headers,
        )
        assert next(iter(put.json()["errors"].values()))["status"] == 404


class TestRestParams:
    def test_empty_params_part_in_batch_ids_is_ignored(self) -> None:
        query = Query.parse(
            "ids=List(($params:(),externalCandidateId:C1,integrationContext:urn%3Ali%3Aorganization%3A1))", V2
        )
        assert query.batch_ids(compound=True) == [
            make_key({"externalCandidateId": "C1", "integrationContext": "urn:li:organization:1"})
        ]


class TestRoundTripProperty:
    @given(st.text(min_size=1, max_size=20), st.text(min_size=0, max_size=20))
    @settings(max_examples=200, deadline=None)
    def test_any_key_values_survive_rendering_in_both_protocols(self, first: str, second: str) -> None:
        key = make_key({"atsCandidateId": first, "integrationContext": second or "x"})
        assert parse_key(render_key(key, V1), V1) == key
        assert parse_key(render_key(key, V2), V2) == key
        ids = "ids=List(" + render_key(key, V2) + ")"
        assert Query.parse(ids, V2).batch_ids(compound=True) == [key]
