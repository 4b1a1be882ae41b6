"""Rest.li's own checks on every write: unrecognized fields, nulls in required fields, types, epoch
milliseconds; and the candidate's need of something to match by."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import ORG, Sim, application, candidate, candidate_key, ids_v1, make_sim
from .test_integrations import OCE, ids
from .test_jobs import create, job

APP_KEY = f"atsJobApplicationId=A1&dataProvider=ATS&integrationContext={ORG}"
PARTNER = ("sim-partner", "sim-partner-secret")


def unrecognized(path: str) -> str:
    return f"ERROR :: {path} :: unrecognized field found but not allowed"


def not_a_person(value: str) -> str:
    return f'ERROR :: /manualMatchedMember :: "{value}" is not a person URN (urn:li:person:{{id}})'


def refused(message: str) -> dict[str, Any]:
    return {"status": 422, "message": message}


async def put_candidates(sim: Sim, auth: dict[str, str], records: dict[str, Any]) -> dict[str, Any]:
    url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", list(records))
    body = {"entities": {candidate_key(cid): record for cid, record in records.items()}}
    response = await sim.client.put(url, json=body, headers=auth)
    assert response.status_code == 200, response.text
    return {k.split("&")[0].split("=")[1]: v for k, v in response.json()["errors"].items()}


async def put(sim: Sim, auth: dict[str, str], path: str, entities: dict[str, Any]) -> httpx.Response:
    return await sim.client.put(path, json={"entities": entities}, headers=auth)


class TestUnrecognizedFields:
    async def test_each_entity_is_refused_alone_with_rest_li_wording(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        errors = await put_candidates(
            sim,
            auth,
            {
                "OK": candidate(),
                "TOP": candidate(favouriteColour="blue"),
                "NESTED": candidate(addresses=[{"city": "Quahog", "street": "Spooner St"}]),
                "REST_NAME": candidate(externalCreatedAt=1_700_000_000_000),
            },
        )
        assert errors == {
            "TOP": {"status": 422, "message": unrecognized("/favouriteColour")},
            "NESTED": {"status": 422, "message": unrecognized("/addresses/0/street")},
            "REST_NAME": {"status": 422, "message": unrecognized("/externalCreatedAt")},
        }
        assert len(sim.world.collection("atsCandidates").records) == 1

    async def test_a_v2_name_sent_to_rest_is_unrecognized(self, sim: Sim, auth: dict[str, str]) -> None:
        key = f"(externalCandidateId:C1,integrationContext:{ORG.replace(':', '%3A')})"
        response = await sim.client.put(
            f"/rest/candidates?ids=List({key})",
            json={"entities": {key: candidate()}},
            headers=auth | {"LinkedIn-Version": "202604"},
        )
        message = response.json()["errors"][key]["message"]
        assert unrecognized("/atsCreatedAt") in message
        assert unrecognized("/atsLastModifiedAt") in message

    async def test_partial_updates_set_only_known_fields(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_candidates(sim, auth, {"C1": candidate()})
        url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"])
        patch = {"patch": {"$set": {"manualMatchedMember": "urn:li:person:m1", "linkedMember": "x"}}}
        response = await sim.client.post(
            url,
            json={"entities": {candidate_key("C1"): patch}},
            headers=auth | {"X-RestLi-Method": "batch_partial_update"},
        )
        assert next(iter(response.json()["errors"].values())) == {
            "status": 422,
            "message": unrecognized("/linkedMember"),
        }
        assert "manualMatchedMember" not in sim.world.candidates[next(iter(sim.world.candidates))]

    async def test_applications_and_their_children(self, sim: Sim, auth: dict[str, str]) -> None:
        url = "/v2/atsApplications?" + ids_v1("atsJobApplicationId", ["A1"])
        refused = await put(sim, auth, url, {APP_KEY: application(jobTitle="x")})
        assert next(iter(refused.json()["errors"].values()))["message"] == unrecognized("/jobTitle")
        await put(sim, auth, url, {APP_KEY: application()})
        base = f"/v2/atsApplications/{APP_KEY}"
        at = 1_700_000_000_000
        cases: dict[str, tuple[dict[str, Any], str]] = {
            "stages?ids=S1": ({"S1": {"atsCreatedAt": at, "stage": "New", "order": 1}}, "/order"),
            "notes?ids=N1": (
                {"N1": {"note": "n", "author": {"firstName": "A", "lastName": "B", "email": "a@b.c"}}},
                "/author/email",
            ),
            "interviewFeedback?ids=F1": (
                {"F1": {"evaluations": [{"attribute": "Verbal", "result": "4/5", "score": 4}]}},
                "/evaluations/0/score",
            ),
        }
        for path, (entities, field) in cases.items():
            response = await put(sim, auth, f"{base}/{path}", entities)
            assert next(iter(response.json()["errors"].values()))["message"] == unrecognized(field), path

    async def test_acl_entities_are_empty_records(self, sim: Sim, auth: dict[str, str]) -> None:
        acl_ids = (
            f"ids[0].atsEntityAclId=G&ids[0].dataProvider=ATS&ids[0].integrationContext={ORG}"
            "&ids[0].atsEntityType=JOB_POSTING&ids[0].atsEntityId=J1"
        )
        key = (
            "atsEntityAclId=G&atsEntityId=J1&atsEntityType=JOB_POSTING&dataProvider=ATS"
            f"&integrationContext={ORG}"
        )
        response = await put(sim, auth, f"/v2/atsEntityAcls?{acl_ids}", {key: {"atsEntityId": "J1"}})
        assert next(iter(response.json()["errors"].values()))["message"] == unrecognized("/atsEntityId")

    async def test_integrations_and_configurations(self, sim: Sim, auth: dict[str, str]) -> None:
        key = f"integrationContext={ORG}&integrationType=PROFILE_PLUGIN&tenantType=RECRUITER&dataProvider=ATS"
        named = await sim.client.post(
            "/v2/atsIntegrations?" + ids(ORG, "PROFILE_PLUGIN"),
            headers=auth | {"x-restli-method": "batch_partial_update"},
            json={"entities": {key: {"patch": {"$set": {"integrationName": "Acme", "status": "ENABLED"}}}}},
        )
        assert next(iter(named.json()["errors"].values()))["message"] == unrecognized("/status")
        configured = await put(
            sim,
            auth,
            f"/v2/atsIntegrations/{OCE}/configurations?ids=JOB_POSTING_VIEWERS",
            {"JOB_POSTING_VIEWERS": {"configurationValue": {"string": "ALL_PRODUCT_USERS"}, "scope": "all"}},
        )
        assert configured.json()["errors"]["JOB_POSTING_VIEWERS"]["message"] == unrecognized("/scope")

    async def test_job_elements_are_refused_in_place(self, sim: Sim, auth: dict[str, str]) -> None:
        response = await create(sim, auth, job("J1"), job("J2", salary="100k"))
        good, bad = response.json()["elements"]
        assert good["status"] == 201
        assert bad == {"status": 422, "error": {"status": 422, "message": unrecognized("/salary")}}
        assert len(sim.world.tasks) == 1

    async def test_provisioning_create_and_update(self, sim: Sim) -> None:
        partner = {"Authorization": f"Bearer {await sim.token(*PARTNER)}"}
        body = {"uniqueForeignId": "acme", "name": "ATS - Acme", "logoUrl": "https://x"}
        created = await sim.client.post("/v2/provisionedApplications", json=body, headers=partner)
        assert (created.status_code, created.json()["message"]) == (422, unrecognized("/logoUrl"))
        del body["logoUrl"]
        created = await sim.client.post("/v2/provisionedApplications", json=body, headers=partner)
        assert created.status_code == 201
        updated = await sim.client.post(
            f"/v2/provisionedApplications/{created.json()['key']}",
            json={"patch": {"$set": {"validJsSdkDomains": [], "redirectUrls": []}}},
            headers=partner,
        )
        assert (updated.status_code, updated.json()["message"]) == (422, unrecognized("/redirectUrls"))


class TestNulls:
    async def test_a_null_in_a_required_field_is_refused(self, sim: Sim, auth: dict[str, str]) -> None:
        errors = await put_candidates(
            sim, auth, {"N": candidate(firstName=None), "OPTIONAL": candidate(currentJobTitle=None)}
        )
        assert errors == {
            "N": {
                "status": 422,
                "message": "ERROR :: /firstName :: null is not allowed: the field is required",
            }
        }

    async def test_a_patch_cannot_null_a_required_field(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_candidates(sim, auth, {"C1": candidate()})
        response = await sim.client.post(
            "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"]),
            json={"entities": {candidate_key("C1"): {"patch": {"$set": {"atsCreatedAt": None}}}}},
            headers=auth | {"X-RestLi-Method": "batch_partial_update"},
        )
        message = next(iter(response.json()["errors"].values()))["message"]
        assert message == "ERROR :: /atsCreatedAt :: null is not allowed: the field is required"

    async def test_a_job_with_a_null_or_missing_required_field_is_refused_in_place(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        missing = job("J2")
        del missing["description"]
        response = await create(sim, auth, job("J1", title=None), missing)
        assert [e["error"]["message"] for e in response.json()["elements"]] == [
            "ERROR :: /title :: null is not allowed: the field is required",
            "ERROR :: /description :: field is required but not found and has no default value",
        ]
        assert sim.world.tasks == {}


class TestTypes:
    async def test_candidate_fields_have_rest_li_types(self, sim: Sim, auth: dict[str, str]) -> None:
        errors = await put_candidates(
            sim,
            auth,
            {
                "NUMBER": candidate(firstName=12),
                "BOOLEAN_TEXT": candidate(doNotContact="yes"),
                "URN": candidate(manualMatchedMember="not-a-urn"),
                "OTHER_URN": candidate(manualMatchedMember="urn:li:organization:1001"),
                "PHONE": candidate(phoneNumbers=[{"extension": "12"}]),
                "PHONE_NUMBER": candidate(phoneNumbers=[{"number": 5555555}]),
                "EMAIL": candidate(emailAddresses=[7]),
                "ADDRESS": candidate(addresses=[{"city": ["Quahog"]}]),
                "OK": candidate(
                    doNotContact=True,
                    manualMatchedMember="urn:li:person:m1001",
                    phoneNumbers=[{"number": "555-555-5555"}],
                ),
            },
        )
        assert errors == {
            "NUMBER": refused("ERROR :: /firstName :: 12 cannot be coerced to String"),
            "BOOLEAN_TEXT": refused('ERROR :: /doNotContact :: "yes" cannot be coerced to Boolean'),
            "URN": refused(not_a_person("not-a-urn")),
            "OTHER_URN": refused(not_a_person("urn:li:organization:1001")),
            "PHONE": refused(
                "ERROR :: /phoneNumbers/0/number :: field is required but not found and has no default value"
            ),
            "PHONE_NUMBER": refused("ERROR :: /phoneNumbers/0/number :: 5555555 cannot be coerced to String"),
            "EMAIL": refused("ERROR :: /emailAddresses/0 :: 7 cannot be coerced to String"),
            "ADDRESS": refused('ERROR :: /addresses/0/city :: ["Quahog"] cannot be coerced to String'),
        }
        assert len(sim.world.collection("atsCandidates").records) == 1

    async def test_a_patch_is_type_checked_too(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_candidates(sim, auth, {"C1": candidate()})
        response = await sim.client.post(
            "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"]),
            json={"entities": {candidate_key("C1"): {"patch": {"$set": {"manualMatchedMember": "m1001"}}}}},
            headers=auth | {"X-RestLi-Method": "batch_partial_update"},
        )
        message = next(iter(response.json()["errors"].values()))["message"]
        assert message == not_a_person("m1001")

    async def test_other_records_check_their_strings(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_candidates(sim, auth, {"C1": candidate()})
        notes = f"/v2/atsCandidates/{candidate_key('C1')}/notes?ids=N1"
        note = {
            "note": 42,
            "atsCreatedAt": 1_700_000_000_000,
            "author": {"firstName": "A", "lastName": False},
        }
        response = await put(sim, auth, notes, {"N1": note})
        assert response.json()["errors"]["N1"]["message"].split("\n") == [
            "ERROR :: /note :: 42 cannot be coerced to String",
            "ERROR :: /author/lastName :: false cannot be coerced to String",
        ]
        created = await create(sim, auth, job(title=123))
        assert created.json()["elements"][0]["error"]["message"] == (
            "ERROR :: /title :: 123 cannot be coerced to String"
        )


class TestSomethingToMatchBy:
    async def test_an_empty_email_list_needs_a_person_urn_or_a_profile_url(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        errors = await put_candidates(
            sim,
            auth,
            {
                "NOTHING": candidate(emailAddresses=[]),
                "URN": candidate(emailAddresses=[], manualMatchedMember="urn:li:person:m1001"),
                "PROFILE": candidate(emailAddresses=[], linkedInProfileUrl="https://www.linkedin.com/in/jd"),
            },
        )
        assert errors == {
            "NOTHING": refused(
                "ERROR :: /emailAddresses :: at least one is required"
                " when no person URN or profile URL is given"
            )
        }


class TestEpochMilliseconds:
    async def test_seconds_floats_and_strings_are_refused(self, sim: Sim, auth: dict[str, str]) -> None:
        errors = await put_candidates(
            sim,
            auth,
            {
                "SECONDS": candidate(atsCreatedAt=1_700_000_000, atsLastModifiedAt=1_700_000_000),
                "FLOAT": candidate(atsLastModifiedAt=1_700_000_000_000.5),
                "TEXT": candidate(atsCreatedAt="1700000000000"),
                "MS": candidate(),
            },
        )
        assert set(errors) == {"SECONDS", "FLOAT", "TEXT"}
        assert errors["SECONDS"]["message"].startswith("ERROR :: /atsCreatedAt :: 1700000000 is not an epoch")
        assert errors["FLOAT"]["message"].startswith("ERROR :: /atsLastModifiedAt :: 1700000000000.5 ")

    async def test_notes_stages_and_jobs_too(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_candidates(sim, auth, {"C1": candidate()})
        notes = f"/v2/atsCandidates/{candidate_key('C1')}/notes?ids=N1"
        response = await put(sim, auth, notes, {"N1": {"note": "n", "atsCreatedAt": 1_700_000_000}})
        assert "/atsCreatedAt" in response.json()["errors"]["N1"]["message"]
        created = await create(sim, auth, job(listedAt=1_700_000_000))
        assert created.json()["elements"][0]["status"] == 422
        assert "/listedAt" in created.json()["elements"][0]["error"]["message"]

    async def test_the_seconds_check_can_be_switched_off(self) -> None:
        sim = make_sim(min_epoch_ms=None)
        errors = await put_candidates(
            sim,
            await sim.headers(),
            {"S": candidate(atsCreatedAt=1_700_000_000, atsLastModifiedAt=1_700_000_000)},
        )
        assert errors == {}


MICROSECONDS = 1_700_000_000_000_000  # 2023-11-14 in microseconds: year ~55,800 read as milliseconds
LAST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


class TestNotMilliseconds:
    async def test_microseconds_are_refused_on_a_candidate(self, sim: Sim, auth: dict[str, str]) -> None:
        errors = await put_candidates(
            sim,
            auth,
            {
                "MICRO": candidate(atsCreatedAt=MICROSECONDS, atsLastModifiedAt=MICROSECONDS),
                "LAST": candidate(atsCreatedAt=LAST_MS, atsLastModifiedAt=LAST_MS),
                "PAST": candidate(atsCreatedAt=LAST_MS, atsLastModifiedAt=LAST_MS + 1),
            },
        )
        assert set(errors) == {"MICRO", "PAST"}
        assert errors["MICRO"]["message"].split("\n") == [
            f"ERROR :: /atsCreatedAt :: {MICROSECONDS} is not an epoch time in milliseconds"
            f" (later than {LAST_MS}: in microseconds?)",
            f"ERROR :: /atsLastModifiedAt :: {MICROSECONDS} is not an epoch time in milliseconds"
            f" (later than {LAST_MS}: in microseconds?)",
        ]
        assert errors["PAST"]["message"].startswith(f"ERROR :: /atsLastModifiedAt :: {LAST_MS + 1} is not")
        stored = sim.world.collection("atsCandidates").records
        assert [dict(k)["atsCandidateId"] for k in stored] == ["LAST"]

    async def test_microseconds_never_reach_a_job_task(self, sim: Sim, auth: dict[str, str]) -> None:
        created = await create(sim, auth, job(listedAt=MICROSECONDS))
        element = created.json()["elements"][0]
        assert element["status"] == 422
        assert element["error"]["message"].startswith(f"ERROR :: /listedAt :: {MICROSECONDS} is not an epoch")
        assert sim.world.tasks == {}

    async def test_notes_stages_rest_twins_and_patches_too(self, sim: Sim, auth: dict[str, str]) -> None:
        await put_candidates(sim, auth, {"C1": candidate()})
        notes = f"/v2/atsCandidates/{candidate_key('C1')}/notes?ids=N1"
        response = await put(sim, auth, notes, {"N1": {"note": "n", "atsCreatedAt": MICROSECONDS}})
        assert "/atsCreatedAt" in response.json()["errors"]["N1"]["message"]
        key = f"(externalCandidateId:C2,integrationContext:{ORG.replace(':', '%3A')})"
        rest = await sim.client.put(
            f"/rest/candidates?ids=List({key})",
            json={
                "entities": {
                    key: {
                        "firstName": "Jo",
                        "emailAddresses": ["jo@example.com"],
                        "addresses": [],
                        "phoneNumbers": [],
                        "externalCreatedAt": 1_700_000_000_000,
                        "externalLastModifiedAt": MICROSECONDS,
                    }
                }
            },
            headers=auth | {"LinkedIn-Version": "202604"},
        )
        assert "/externalLastModifiedAt" in rest.json()["errors"][key]["message"]
        patched = await sim.client.post(
            "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"]),
            json={
                "entities": {candidate_key("C1"): {"patch": {"$set": {"atsLastModifiedAt": MICROSECONDS}}}}
            },
            headers=auth | {"X-RestLi-Method": "batch_partial_update"},
        )
        assert "/atsLastModifiedAt" in next(iter(patched.json()["errors"].values()))["message"]

    async def test_the_upper_bound_can_be_switched_off(self) -> None:
        sim = make_sim(max_epoch_ms=None)
        errors = await put_candidates(
            sim,
            await sim.headers(),
            {"M": candidate(atsCreatedAt=MICROSECONDS, atsLastModifiedAt=MICROSECONDS)},
        )
        assert errors == {}


class TestUnions:
    async def test_the_configuration_value_is_a_union_of_one_string(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        cases: dict[str, tuple[Any, str]] = {
            "number": ({"string": 5}, "ERROR :: /configurationValue/string :: 5 cannot be coerced to String"),
            "member": (
                {"bogus": "ALL_PRODUCT_USERS"},
                'ERROR :: /configurationValue :: "bogus" is not a member type of union ["string"]',
            ),
            "null": (
                {"string": None},
                "ERROR :: /configurationValue/string :: null cannot be coerced to String",
            ),
            "two": (
                {"string": "ALL_PRODUCT_USERS", "boolean": True},
                'ERROR :: /configurationValue :: a union holds exactly one member of ["string"], not 2',
            ),
            "bare": (
                "ALL_PRODUCT_USERS",
                'ERROR :: /configurationValue :: "ALL_PRODUCT_USERS" is not a union:'
                ' it holds exactly one member of ["string"]',
            ),
        }
        path = f"/v2/atsIntegrations/{OCE}/configurations?ids=JOB_POSTING_VIEWERS"
        for case, (value, message) in cases.items():
            response = await put(sim, auth, path, {"JOB_POSTING_VIEWERS": {"configurationValue": value}})
            assert response.json()["errors"] == {"JOB_POSTING_VIEWERS": refused(message)}, case
        stored = sim.world.collection("configurations").records
        viewers = next(v for k, v in stored.items() if dict(k)["configuration"] == "JOB_POSTING_VIEWERS")
        assert viewers == {"configurationValue": {"string": "ALL_PRODUCT_USERS"}}


class TestUrls:
    async def test_candidate_links_are_absolute_http_urls(self, sim: Sim, auth: dict[str, str]) -> None:
        errors = await put_candidates(
            sim,
            auth,
            {
                "BLANK": candidate(linkedInProfileUrl=" "),
                "WORD": candidate(externalProfileUrl="x"),
                "EMAIL": candidate(linkedInProfileUrl="nope@bad"),
                "NO_HOST": candidate(externalProfileUrl="https://"),
                "FTP": candidate(externalProfileUrl="ftp://ats.example/c/1"),
                "SPACE": candidate(externalProfileUrl="https://ats.example/c 1"),
                "NUMBER": candidate(linkedInProfileUrl=7),
                "OK": candidate(
                    linkedInProfileUrl="https://www.linkedin.com/in/jd",
                    externalProfileUrl="http://localhost:5000/candidates/1",
                ),
            },
        )
        assert errors == {
            "BLANK": refused('ERROR :: /linkedInProfileUrl :: " " is not an absolute http(s) URL'),
            "WORD": refused('ERROR :: /externalProfileUrl :: "x" is not an absolute http(s) URL'),
            "EMAIL": refused('ERROR :: /linkedInProfileUrl :: "nope@bad" is not an absolute http(s) URL'),
            "NO_HOST": refused('ERROR :: /externalProfileUrl :: "https://" is not an absolute http(s) URL'),
            "FTP": refused(
                'ERROR :: /externalProfileUrl :: "ftp://ats.example/c/1" is not an absolute http(s) URL'
            ),
            "SPACE": refused(
                'ERROR :: /externalProfileUrl :: "https://ats.example/c 1" is not an absolute http(s) URL'
            ),
            "NUMBER": refused("ERROR :: /linkedInProfileUrl :: 7 cannot be coerced to String"),
        }

    async def test_a_blank_profile_url_gives_nothing_to_match_by(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        errors = await put_candidates(sim, auth, {"C": candidate(emailAddresses=[], linkedInProfileUrl="  ")})
        assert errors["C"]["message"] == (
            'ERROR :: /linkedInProfileUrl :: "  " is not an absolute http(s) URL'
        )
        assert sim.world.collection("atsCandidates").records == {}

    async def test_a_job_apply_url_too(self, sim: Sim, auth: dict[str, str]) -> None:
        created = await create(sim, auth, job("J1", companyApplyUrl="apply here"), job("J2"))
        bad, good = created.json()["elements"]
        assert bad["error"]["message"] == (
            'ERROR :: /companyApplyUrl :: "apply here" is not an absolute http(s) URL'
        )
        assert good["status"] == 201
        assert len(sim.world.tasks) == 1

    async def test_provisioned_callback_urls_too(self, sim: Sim) -> None:
        partner = {"Authorization": f"Bearer {await sim.token(*PARTNER)}"}
        body = {"uniqueForeignId": "acme", "name": "ATS - Acme", "oauth2AuthorizedCallbackUrls": ["https://"]}
        created = await sim.client.post("/v2/provisionedApplications", json=body, headers=partner)
        assert (created.status_code, created.json()["message"]) == (
            422,
            'ERROR :: /oauth2AuthorizedCallbackUrls/0 :: "https://" is not an absolute http(s) URL',
        )
        assert not [a for a in sim.world.apps.values() if a.unique_foreign_id == "acme"]
