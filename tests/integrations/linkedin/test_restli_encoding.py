"""Rest.li key, id and query encoding in protocols 1.0 and 2.0, decoding, key matching and tunnelling."""

from __future__ import annotations

import email.parser
import email.policy
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rsc_service.integrations.linkedin import restli
from rsc_service.integrations.linkedin.restli import Protocol

V1, V2 = Protocol.V1, Protocol.V2
CANDIDATE = {"atsCandidateId": "C1", "dataProvider": "ATS", "integrationContext": "urn:li:organization:123"}


class TestEncodeKey:
    @pytest.mark.parametrize(
        ("key", "protocol", "expected"),
        [
            (
                CANDIDATE,
                V1,
                "atsCandidateId=C1&dataProvider=ATS&integrationContext=urn%3Ali%3Aorganization%3A123",
            ),
            (
                CANDIDATE,
                V2,
                "(atsCandidateId:C1,dataProvider:ATS,integrationContext:urn%3Ali%3Aorganization%3A123)",
            ),
            # fields come out sorted whatever order they were given in
            (
                {
                    "integrationContext": "urn:li:contract:9",
                    "integrationType": "CSA_API",
                    "tenantType": "RECRUITER",
                },
                V1,
                "integrationContext=urn%3Ali%3Acontract%3A9&integrationType=CSA_API&tenantType=RECRUITER",
            ),
            ({"atsCandidateId": "a b"}, V1, "atsCandidateId=a%20b"),
            ({"atsCandidateId": "a,b"}, V2, "(atsCandidateId:a%2Cb)"),
            ({"atsCandidateId": "f(x)"}, V2, "(atsCandidateId:f%28x%29)"),
            ({"atsCandidateId": "k=v&w"}, V1, "atsCandidateId=k%3Dv%26w"),
            ({"atsCandidateId": "a/b"}, V1, "atsCandidateId=a%2Fb"),
            ({"atsCandidateId": "50%"}, V2, "(atsCandidateId:50%25)"),
            ({"atsCandidateId": "José"}, V1, "atsCandidateId=Jos%C3%A9"),
            ({"atsCandidateId": "候选人"}, V2, "(atsCandidateId:%E5%80%99%E9%80%89%E4%BA%BA)"),
            ({"atsCandidateId": "it's"}, V2, "(atsCandidateId:it%27s)"),
            ({"atsCandidateId": ""}, V2, "(atsCandidateId:'')"),
            ("STAGE001", V1, "STAGE001"),
            ("urn:li:simpleJobPostingTask:7", V1, "urn%3Ali%3AsimpleJobPostingTask%3A7"),
            ("note, one", V2, "note%2C%20one"),
        ],
    )
    def test_encodes_as_restli_spells_it(self, key: restli.Key, protocol: Protocol, expected: str) -> None:
        assert restli.encode_key(key, protocol) == expected


class TestBodyKey:
    @pytest.mark.parametrize(
        ("key", "protocol", "expected"),
        [
            ("CAND NOTE 1", V1, "CAND NOTE 1"),
            ("a,b", V2, "a,b"),
            (
                CANDIDATE,
                V1,
                "atsCandidateId=C1&dataProvider=ATS&integrationContext=urn%3Ali%3Aorganization%3A123",
            ),
            (
                CANDIDATE,
                V2,
                "(atsCandidateId:C1,dataProvider:ATS,integrationContext:urn%3Ali%3Aorganization%3A123)",
            ),
        ],
    )
    def test_simple_ids_stay_verbatim_and_compound_keys_are_encoded(
        self, key: restli.Key, protocol: Protocol, expected: str
    ) -> None:
        assert restli.body_key(key, protocol) == expected


class TestBatchIds:
    def test_v1_compound_ids_are_indexed_fields(self) -> None:
        second = {**CANDIDATE, "atsCandidateId": "C 2"}

        query = restli.query_string(restli.batch_ids([CANDIDATE, second], V1))

        assert query == (
            "ids[0].atsCandidateId=C1&ids[0].dataProvider=ATS&ids[0].integrationContext=urn%3Ali%3Aorganization%3A123"
            "&ids[1].atsCandidateId=C%202&ids[1].dataProvider=ATS&ids[1].integrationContext=urn%3Ali%3Aorganization%3A123"
        )

    def test_v1_simple_ids_repeat(self) -> None:
        assert restli.query_string(restli.batch_ids(["N1", "N 2"], V1)) == "ids=N1&ids=N%202"

    def test_v2_compound_ids_are_a_list_of_records(self) -> None:
        query = restli.query_string(restli.batch_ids([CANDIDATE, {"atsCandidateId": "x,y"}], V2))

        assert query == (
            "ids=List((atsCandidateId:C1,dataProvider:ATS,integrationContext:urn%3Ali%3Aorganization%3A123),"
            "(atsCandidateId:x%2Cy))"
        )

    def test_v2_simple_ids_are_a_list(self) -> None:
        assert restli.query_string(restli.batch_ids(["N1", "a:b"], V2)) == "ids=List(N1,a%3Ab)"

    def test_v1_ids_decode_with_a_standard_query_parser(self) -> None:
        key = {"atsCandidateId": "a&b=c d", "integrationContext": "urn:li:organization:1"}

        pairs = parse_qsl(restli.query_string(restli.batch_ids([key], V1)))

        assert dict(pairs) == {
            "ids[0].atsCandidateId": "a&b=c d",
            "ids[0].integrationContext": "urn:li:organization:1",
        }


class TestParams:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ([restli.param("contract", "urn:li:contract:1")], "contract=urn%3Ali%3Acontract%3A1"),
            ([restli.param("start", 0)], "start=0"),
            (
                restli.list_param("owners", ["urn:li:seat:1", "urn:li:seat:2"]),
                "owners=urn%3Ali%3Aseat%3A1&owners=urn%3Ali%3Aseat%3A2",
            ),
            (
                restli.list_param("owners", ["urn:li:seat:1", "s,2"], V2),
                "owners=List(urn%3Ali%3Aseat%3A1,s%2C2)",
            ),
            (restli.record_param("timeRange", {"start": 1, "end": 2}), "timeRange.start=1&timeRange.end=2"),
            (restli.record_param("timeRange", {"start": 1, "end": 2}, V2), "timeRange=(start:1,end:2)"),
        ],
    )
    def test_params_encode(self, query: restli.Query, expected: str) -> None:
        assert restli.query_string(query) == expected


class TestDecodeKey:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            # the collection writes keys in its own field order with raw URN colons
            (
                "integrationContext=urn:li:organization:1&integrationType=ONE_CLICK_EXPORT&tenantType=RECRUITER&dataProvider=ATS",
                {
                    "integrationContext": "urn:li:organization:1",
                    "integrationType": "ONE_CLICK_EXPORT",
                    "tenantType": "RECRUITER",
                    "dataProvider": "ATS",
                },
            ),
            ("atsCandidateId=a%26b&dataProvider=ATS", {"atsCandidateId": "a&b", "dataProvider": "ATS"}),
            ("(atsCandidateId:a%2Cb,dataProvider:ATS)", {"atsCandidateId": "a,b", "dataProvider": "ATS"}),
            ("(atsCandidateId:'')", {"atsCandidateId": ""}),
            (
                "($params:(),atsJobApplicationId:A1,integrationContext:urn%3Ali%3Aorganization%3A1)",
                {"atsJobApplicationId": "A1", "integrationContext": "urn:li:organization:1"},
            ),
            ("STAGE001", "STAGE001"),
            ("urn%3Ali%3AsimpleJobPostingTask%3A7", "urn:li:simpleJobPostingTask:7"),
        ],
    )
    def test_decodes_either_protocol(self, text: str, expected: restli.Key) -> None:
        assert restli.decode_key(text) == expected

    @pytest.mark.parametrize("text", ["(a:b,)", "(a:b))", "(a)", "a=b&c", "(a:(b:c))"])
    def test_malformed_keys_are_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match=r"Rest\.li|expected|unterminated|trailing|nested"):
            restli.decode_key(text)


keys = st.dictionaries(
    st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12),
    st.text(max_size=20),
    min_size=1,
    max_size=5,
)


class TestRoundTrips:
    @given(key=keys, protocol=st.sampled_from(Protocol))
    def test_compound_keys_survive_encode_then_decode(self, key: dict[str, str], protocol: Protocol) -> None:
        assert restli.decode_key(restli.encode_key(key, protocol)) == key

    @given(value=st.text(min_size=1), protocol=st.sampled_from(Protocol))
    def test_simple_keys_are_found_again(self, value: str, protocol: Protocol) -> None:
        index = restli.KeyIndex([(value, "sent")])

        assert index.find(restli.encode_key(value, protocol)) == "sent"
        assert index.find(value) == "sent"

    @given(key=keys, protocol=st.sampled_from(Protocol))
    def test_v2_batch_ids_parse_back_to_the_keys(self, key: dict[str, str], protocol: Protocol) -> None:
        ((name, value),) = restli.batch_ids([key, key], V2)

        assert name == "ids"
        assert value == f"List({restli.encode_key(key, V2)},{restli.encode_key(key, V2)})"


class TestKeyIndex:
    def test_matches_keys_by_content_not_spelling_or_position(self) -> None:
        first = {"atsCandidateId": "C1", "dataProvider": "ATS", "integrationContext": "urn:li:organization:1"}
        second = {**first, "atsCandidateId": "C,2"}
        index = restli.KeyIndex([(first, "first"), (second, "second")])

        assert (
            index.find("dataProvider=ATS&integrationContext=urn:li:organization:1&atsCandidateId=C%2C2")
            == "second"
        )
        assert (
            index.find("(atsCandidateId:C1,dataProvider:ATS,integrationContext:urn%3Ali%3Aorganization%3A1)")
            == "first"
        )
        assert (
            index.find("atsCandidateId=C3&dataProvider=ATS&integrationContext=urn:li:organization:1") is None
        )
        assert index.find("(broken") is None

    def test_simple_key_with_an_equals_sign_is_matched_verbatim(self) -> None:
        index = restli.KeyIndex([("a=b", 1)])

        assert index.find("a=b") == 1
        assert index.find("a%3Db") == 1


class TestUrns:
    def test_builds_and_reads_urns(self) -> None:
        assert restli.urn("organization", 1001) == "urn:li:organization:1001"
        assert restli.urn_id("urn:li:seat:77", "seat") == "77"

    @pytest.mark.parametrize("value", ["urn:li:person:1", "urn:li:seat:", "seat:1"])
    def test_refuses_other_urns(self, value: str) -> None:
        with pytest.raises(ValueError, match="not a urn:li:seat"):
            restli.urn_id(value, "seat")


class TestTunnel:
    def test_short_urls_stay_and_long_ones_exceed(self) -> None:
        assert not restli.exceeds("https://x/" + "a" * 100, 8192)
        assert restli.exceeds("https://x/" + "é" * 4100, 8192)  # bytes count, not characters

    def test_a_get_moves_its_query_into_a_form_body(self) -> None:
        tunnelled = restli.tunnel("GET", "ids=A&ids=B", body=None, boundary="b")

        assert tunnelled.method == "POST"
        assert tunnelled.headers == {
            "X-HTTP-Method-Override": "GET",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        assert tunnelled.content == b"ids=A&ids=B"

    def test_a_put_sends_multipart_mixed_with_the_query_part_first(self) -> None:
        tunnelled = restli.tunnel("PUT", "ids=A", body=b'{"entities":{}}', boundary="xyz")

        assert tunnelled.headers["X-HTTP-Method-Override"] == "PUT"
        head = f"Content-Type: {tunnelled.headers['Content-Type']}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + tunnelled.content)
        parts = list(message.iter_parts())
        assert [part.get_content_type() for part in parts] == [
            "application/x-www-form-urlencoded",
            "application/json",
        ]
        assert parts[0].get_payload() == "ids=A"
        assert parts[1].get_payload() == '{"entities":{}}'
