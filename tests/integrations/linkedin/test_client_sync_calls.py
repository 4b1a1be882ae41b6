"""What each sync call sends (method, URL, headers, body) and what it makes of LinkedIn's answer."""

from __future__ import annotations

import email.parser
import email.policy
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx

from rsc_service.integrations.linkedin import BatchResult, Category, EntityError, LinkedInApp, wire
from rsc_service.integrations.linkedin.sync_calls import SyncCalls

ORG = "urn:li:organization:1001"
ORG_ENC = "urn%3Ali%3Aorganization%3A1001"
CANDIDATE = wire.CandidateKey(ats_candidate_id="C 1", integration_context=ORG)
CANDIDATE_V1 = f"atsCandidateId=C%201&dataProvider=ATS&integrationContext={ORG_ENC}"
CANDIDATE_IDS = f"ids[0].atsCandidateId=C%201&ids[0].dataProvider=ATS&ids[0].integrationContext={ORG_ENC}"
APPLICATION = wire.ApplicationKey(ats_job_application_id="A,1", integration_context=ORG)
APPLICATION_V1 = f"atsJobApplicationId=A%2C1&dataProvider=ATS&integrationContext={ORG_ENC}"
APPLICATION_IDS = (
    f"ids[0].atsJobApplicationId=A%2C1&ids[0].dataProvider=ATS&ids[0].integrationContext={ORG_ENC}"
)
ACL = wire.AclKey(ats_entity_acl_id="eng managers", integration_context=ORG, ats_entity_id="JOB 1")
ACL_V1 = (
    "atsEntityAclId=eng%20managers&atsEntityId=JOB%201&atsEntityType=JOB_POSTING"
    f"&dataProvider=ATS&integrationContext={ORG_ENC}"
)
ACL_IDS = (
    "ids[0].atsEntityAclId=eng%20managers&ids[0].atsEntityId=JOB%201&ids[0].atsEntityType=JOB_POSTING"
    f"&ids[0].dataProvider=ATS&ids[0].integrationContext={ORG_ENC}"
)
ASSIGNEE = wire.AclAssigneeKey(ats_entity_acl_id="eng", integration_context=ORG, assignee="urn:li:person:abc")
ASSIGNEE_V1 = (
    "assignee=urn%3Ali%3Aperson%3Aabc&atsEntityAclId=eng&atsEntityType=JOB_POSTING"
    f"&dataProvider=ATS&integrationContext={ORG_ENC}"
)
ASSIGNEE_IDS = (
    "ids[0].assignee=urn%3Ali%3Aperson%3Aabc&ids[0].atsEntityAclId=eng&ids[0].atsEntityType=JOB_POSTING"
    f"&ids[0].dataProvider=ATS&ids[0].integrationContext={ORG_ENC}"
)

JOB = wire.SimpleJobPosting(
    integration_context=ORG,
    external_job_posting_id="J1",
    title="Senior Software Engineer",
    description="Build things.",
    location="San Francisco, CA",
    availability="PRIVATE_TO_ATS_INTEGRATION",
    state="LISTED",
    company_apply_url="https://ats.example.com/jobs/J1",
    listed_at=1_700_000_000_000,
)
CANDIDATE_RECORD = wire.AtsCandidate(
    ats_created_at=1_700_000_000_000,
    ats_last_modified_at=1_700_000_000_001,
    first_name="John",
    last_name="Doe",
    email_addresses=["john@example.com"],
    phone_numbers=[wire.PhoneNumber(number="555-555-5555", extension="12")],
    addresses=[wire.Address(city="Quahog", geographic_area="RI", geographic_area_type="STATE", country="us")],
    current_company_name="Acme",
    current_job_title="QA",
    external_profile_url="https://ats.example.com/c/1",
    linkedin_profile_url="https://www.linkedin.com/in/johndoe",
    do_not_contact=False,
    manual_matched_member="urn:li:person:abc",
)
APPLICATION_RECORD = wire.AtsApplication(
    ats_candidate_id="C 1",
    ats_created_at=1_700_000_000_000,
    ats_last_modified_at=1_700_000_000_000,
    ats_job_posting_id="J1",
    ats_job_posting_name="Senior Software Engineer",
    candidate_email="john@example.com",
    first_name="John",
    last_name="Doe",
    source="Referral",
    disposition_reason="",
)
NOTE = wire.Note(
    ats_created_at=1_484_864_187_000, note="Lorem.", author=wire.Actor(first_name="Angela", last_name="Smith")
)
FEEDBACK = wire.InterviewFeedback(
    ats_created_at=1_700_000_000_000,
    evaluations=[wire.InterviewEvaluation(attribute="Verbal Communication", result="4/5")],
    feedback="Great interview!",
    interviewer=wire.Actor(first_name="Rita", last_name="Book"),
    interview_type="ONSITE",
)
STAGE = wire.ApplicationStage(ats_created_at=1_484_864_187_000, stage="Offer Extended")
DONE = {"status": 204}


@dataclass(frozen=True)
class Case:
    call: Callable[[LinkedInApp], Awaitable[object]]
    method: str
    target: str  # raw path and query as sent
    restli_method: str | None
    body: Any
    answer: Any
    result: object


CASES = {
    "create_jobs": Case(
        lambda app: app.create_jobs([JOB]),
        "POST",
        "/v2/simpleJobPostings",
        "batch_create",
        {
            "elements": [
                {
                    "integrationContext": ORG,
                    "externalJobPostingId": "J1",
                    "title": "Senior Software Engineer",
                    "description": "Build things.",
                    "state": "LISTED",
                    "companyApplyUrl": "https://ats.example.com/jobs/J1",
                    "listedAt": 1_700_000_000_000,
                    "location": "San Francisco, CA",
                    "availability": "PRIVATE_TO_ATS_INTEGRATION",
                }
            ]
        },
        {"elements": [{"status": 201, "id": "urn:li:simpleJobPostingTask:1"}]},
        BatchResult(ok={"J1": "urn:li:simpleJobPostingTask:1"}),
    ),
    "get_job_tasks": Case(
        lambda app: app.get_job_tasks(["urn:li:simpleJobPostingTask:1"]),
        "GET",
        "/v2/simpleJobPostingTasks?ids=urn%3Ali%3AsimpleJobPostingTask%3A1",
        None,
        None,
        {
            "results": {
                "urn:li:simpleJobPostingTask:1": {"status": "SUCCEEDED", "jobPosting": "urn:li:jobPosting:9"}
            }
        },
        BatchResult(
            ok={
                "urn:li:simpleJobPostingTask:1": wire.SimpleJobPostingTask(
                    status="SUCCEEDED", job_posting="urn:li:jobPosting:9"
                )
            }
        ),
    ),
    "upsert_candidates": Case(
        lambda app: app.upsert_candidates({CANDIDATE: CANDIDATE_RECORD}),
        "PUT",
        f"/v2/atsCandidates?{CANDIDATE_IDS}",
        "batch_update",
        {
            "entities": {
                CANDIDATE_V1: {
                    "atsCreatedAt": 1_700_000_000_000,
                    "atsLastModifiedAt": 1_700_000_000_001,
                    "firstName": "John",
                    "lastName": "Doe",
                    "emailAddresses": ["john@example.com"],
                    "phoneNumbers": [{"number": "555-555-5555", "extension": "12"}],
                    "addresses": [
                        {
                            "city": "Quahog",
                            "geographicArea": "RI",
                            "geographicAreaType": "STATE",
                            "country": "us",
                        }
                    ],
                    "currentCompanyName": "Acme",
                    "currentJobTitle": "QA",
                    "externalProfileUrl": "https://ats.example.com/c/1",
                    "linkedInProfileUrl": "https://www.linkedin.com/in/johndoe",
                    "doNotContact": False,
                    "manualMatchedMember": "urn:li:person:abc",
                }
            }
        },
        {"results": {CANDIDATE_V1: DONE}, "errors": {}},
        BatchResult(ok={CANDIDATE: 204}),
    ),
    "get_candidates": Case(
        lambda app: app.get_candidates([CANDIDATE]),
        "GET",
        f"/v2/atsCandidates?{CANDIDATE_IDS}",
        None,
        None,
        # keys echoed the way LinkedIn's collection writes them: raw colons, its own field order
        {
            "results": {
                f"integrationContext={ORG}&atsCandidateId=C%201&dataProvider=ATS": {
                    "firstName": "John",
                    "matchedMembers": ["urn:li:person:xyz"],
                    "manualMatchedMember": "urn:li:person:abc",
                }
            },
            "statuses": {},
            "errors": {},
        },
        BatchResult(
            ok={
                CANDIDATE: wire.CandidateMatch(
                    first_name="John",
                    matched_members=["urn:li:person:xyz"],
                    manual_matched_member="urn:li:person:abc",
                )
            }
        ),
    ),
    "set_manual_matches": Case(
        lambda app: app.set_manual_matches({CANDIDATE: "urn:li:person:abc"}),
        "POST",
        f"/v2/atsCandidates?{CANDIDATE_IDS}",
        "batch_partial_update",
        {"entities": {CANDIDATE_V1: {"patch": {"$set": {"manualMatchedMember": "urn:li:person:abc"}}}}},
        {"results": {CANDIDATE_V1: DONE}, "errors": {}},
        BatchResult(ok={CANDIDATE: 204}),
    ),
    "patch_candidates": Case(
        lambda app: app.patch_candidates(
            {CANDIDATE: wire.PartialUpdate.setting({"currentJobTitle": "CTO", "doNotContact": True})}
        ),
        "POST",
        f"/v2/atsCandidates?{CANDIDATE_IDS}",
        "batch_partial_update",
        {"entities": {CANDIDATE_V1: {"patch": {"$set": {"currentJobTitle": "CTO", "doNotContact": True}}}}},
        {"results": {CANDIDATE_V1: DONE}, "errors": {}},
        BatchResult(ok={CANDIDATE: 204}),
    ),
    "delete_candidates": Case(
        lambda app: app.delete_candidates([CANDIDATE]),
        "DELETE",
        f"/v2/atsCandidates?{CANDIDATE_IDS}",
        None,
        None,
        {"results": {CANDIDATE_V1: DONE}, "errors": {}},
        BatchResult(ok={CANDIDATE: 204}),
    ),
    "upsert_candidate_notes": Case(
        lambda app: app.upsert_candidate_notes(CANDIDATE, {"CAND NOTE 1": NOTE}),
        "PUT",
        f"/v2/atsCandidates/{CANDIDATE_V1}/notes?ids=CAND%20NOTE%201",
        "batch_update",
        {
            "entities": {
                "CAND NOTE 1": {
                    "atsCreatedAt": 1_484_864_187_000,
                    "note": "Lorem.",
                    "author": {"firstName": "Angela", "lastName": "Smith"},
                }
            }
        },
        {"errors": {}, "results": {"CAND NOTE 1": DONE}},
        BatchResult(ok={"CAND NOTE 1": 204}),
    ),
    "delete_candidate_notes": Case(
        lambda app: app.delete_candidate_notes(CANDIDATE, ["N1"]),
        "DELETE",
        f"/v2/atsCandidates/{CANDIDATE_V1}/notes?ids=N1",
        None,
        None,
        {"results": {"N1": DONE}},
        BatchResult(ok={"N1": 204}),
    ),
    "upsert_applications": Case(
        lambda app: app.upsert_applications({APPLICATION: APPLICATION_RECORD}),
        "PUT",
        f"/v2/atsApplications?{APPLICATION_IDS}",
        "batch_update",
        {
            "entities": {
                APPLICATION_V1: {
                    "atsCandidateId": "C 1",
                    "atsCreatedAt": 1_700_000_000_000,
                    "atsLastModifiedAt": 1_700_000_000_000,
                    "atsJobPostingId": "J1",
                    "atsJobPostingName": "Senior Software Engineer",
                    "candidateEmail": "john@example.com",
                    "firstName": "John",
                    "lastName": "Doe",
                    "source": "Referral",
                    "dispositionReason": "",
                }
            }
        },
        {"results": {APPLICATION_V1: DONE}},
        BatchResult(ok={APPLICATION: 204}),
    ),
    "delete_applications": Case(
        lambda app: app.delete_applications([APPLICATION]),
        "DELETE",
        f"/v2/atsApplications?{APPLICATION_IDS}",
        None,
        None,
        {"results": {APPLICATION_V1: DONE}},
        BatchResult(ok={APPLICATION: 204}),
    ),
    "upsert_application_notes": Case(
        lambda app: app.upsert_application_notes(APPLICATION, {"APPL_NOTE_0001": NOTE}),
        "PUT",
        f"/v2/atsApplications/{APPLICATION_V1}/notes?ids=APPL_NOTE_0001",
        "batch_update",
        {"entities": {"APPL_NOTE_0001": NOTE.to_wire()}},
        {"results": {"APPL_NOTE_0001": DONE}},
        BatchResult(ok={"APPL_NOTE_0001": 204}),
    ),
    "delete_application_notes": Case(
        lambda app: app.delete_application_notes(APPLICATION, ["APPL_NOTE_0001"]),
        "DELETE",
        f"/v2/atsApplications/{APPLICATION_V1}/notes?ids=APPL_NOTE_0001",
        None,
        None,
        {"results": {"APPL_NOTE_0001": DONE}},
        BatchResult(ok={"APPL_NOTE_0001": 204}),
    ),
    "upsert_interview_feedback": Case(
        lambda app: app.upsert_interview_feedback(APPLICATION, {"INTFB123": FEEDBACK}),
        "PUT",
        f"/v2/atsApplications/{APPLICATION_V1}/interviewFeedback?ids=INTFB123",
        "batch_update",
        {
            "entities": {
                "INTFB123": {
                    "atsCreatedAt": 1_700_000_000_000,
                    "interviewer": {"firstName": "Rita", "lastName": "Book"},
                    "evaluations": [{"attribute": "Verbal Communication", "result": "4/5"}],
                    "feedback": "Great interview!",
                    "interviewType": "ONSITE",
                }
            }
        },
        {"results": {"INTFB123": DONE}},
        BatchResult(ok={"INTFB123": 204}),
    ),
    "delete_interview_feedback": Case(
        lambda app: app.delete_interview_feedback(APPLICATION, ["INTFB123"]),
        "DELETE",
        f"/v2/atsApplications/{APPLICATION_V1}/interviewFeedback?ids=INTFB123",
        None,
        None,
        {"results": {"INTFB123": DONE}},
        BatchResult(ok={"INTFB123": 204}),
    ),
    "upsert_stages": Case(
        lambda app: app.upsert_stages(APPLICATION, {"STAGE001": STAGE, "STAGE002": STAGE}),
        "PUT",
        f"/v2/atsApplications/{APPLICATION_V1}/stages?ids=STAGE001&ids=STAGE002",
        "batch_update",
        {
            "entities": {
                "STAGE001": {"atsCreatedAt": 1_484_864_187_000, "stage": "Offer Extended"},
                "STAGE002": {"atsCreatedAt": 1_484_864_187_000, "stage": "Offer Extended"},
            }
        },
        {"results": {"STAGE002": DONE, "STAGE001": DONE}},
        BatchResult(ok={"STAGE001": 204, "STAGE002": 204}),
    ),
    "delete_stages": Case(
        lambda app: app.delete_stages(APPLICATION, ["STAGE001", "STAGE002"]),
        "DELETE",
        f"/v2/atsApplications/{APPLICATION_V1}/stages?ids=STAGE001&ids=STAGE002",
        None,
        None,
        {"results": {"STAGE001": DONE, "STAGE002": DONE}},
        BatchResult(ok={"STAGE001": 204, "STAGE002": 204}),
    ),
    "upsert_acls": Case(
        lambda app: app.upsert_acls([ACL]),
        "PUT",
        f"/v2/atsEntityAcls?{ACL_IDS}",
        "batch_update",
        {"entities": {ACL_V1: {}}},
        {"results": {ACL_V1: DONE}},
        BatchResult(ok={ACL: 204}),
    ),
    "delete_acls": Case(
        lambda app: app.delete_acls([ACL]),
        "DELETE",
        f"/v2/atsEntityAcls?{ACL_IDS}",
        None,
        None,
        {"results": {ACL_V1: DONE}},
        BatchResult(ok={ACL: 204}),
    ),
    "upsert_acl_assignees": Case(
        lambda app: app.upsert_acl_assignees([ASSIGNEE]),
        "PUT",
        f"/v2/atsEntityAclAssignees?{ASSIGNEE_IDS}",
        "batch_update",
        {"entities": {ASSIGNEE_V1: {}}},
        {"results": {ASSIGNEE_V1: DONE}},
        BatchResult(ok={ASSIGNEE: 204}),
    ),
    "delete_acl_assignees": Case(
        lambda app: app.delete_acl_assignees([ASSIGNEE]),
        "DELETE",
        f"/v2/atsEntityAclAssignees?{ASSIGNEE_IDS}",
        None,
        None,
        {"results": {ASSIGNEE_V1: DONE}},
        BatchResult(ok={ASSIGNEE: 204}),
    ),
    "find_acls": Case(
        lambda app: app.find_acls(ORG, ats_entity_id="JOB 1"),
        "GET",
        f"/v2/atsEntityAcls?q=criteria&atsEntityId=JOB%201&atsEntityType=JOB_POSTING&dataProvider=ATS"
        f"&integrationContext={ORG_ENC}&start=0&count=100",
        None,
        None,
        {"elements": [ACL.fields()], "paging": {"start": 0, "count": 100, "total": 1, "links": []}},
        wire.Page[wire.AclKey](elements=[ACL], paging=wire.Paging(start=0, count=100, total=1)),
    ),
    "find_acl_assignees": Case(
        lambda app: app.find_acl_assignees(ORG, assignee="urn:li:person:abc", count=10),
        "GET",
        f"/v2/atsEntityAclAssignees?q=criteria&assignee=urn%3Ali%3Aperson%3Aabc&dataProvider=ATS"
        f"&integrationContext={ORG_ENC}&start=0&count=10",
        None,
        None,
        {"elements": [ASSIGNEE.fields()], "paging": {"start": 0, "count": 10, "total": 1}},
        wire.Page[wire.AclAssigneeKey](elements=[ASSIGNEE], paging=wire.Paging(start=0, count=10, total=1)),
    ),
}


def target(request: httpx.Request) -> str:
    return request.url.raw_path.decode()


def json_body(request: httpx.Request) -> Any:
    """The JSON body of a request, tunnelled (multipart/mixed, JSON part last) or not."""
    if not request.headers["Content-Type"].startswith("multipart/"):
        return json.loads(request.content)
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    return json.loads(list(message.iter_parts())[-1].get_payload())


class TestSyncCalls:
    @pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
    async def test_request_and_result(self, linkedin: respx.MockRouter, app: LinkedInApp, case: Case) -> None:
        route = linkedin.route(method=case.method).respond(200, json=case.answer)

        result = await case.call(app)

        request = route.calls.last.request
        assert target(request) == case.target
        assert request.headers["Authorization"] == "Bearer t1"
        assert request.headers.get("X-RestLi-Method") == case.restli_method
        if case.body is None:
            assert request.content == b""
        else:
            assert request.headers["Content-Type"] == "application/json"
            assert json.loads(request.content) == case.body
        assert result == case.result

    def test_every_sync_method_is_covered(self) -> None:
        assert {name for name in vars(SyncCalls) if not name.startswith("_")} == set(CASES)


class TestBatches:
    async def test_hundred_candidates_with_three_refused_settle_per_key(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        keys = [wire.CandidateKey(ats_candidate_id=f"C{i}", integration_context=ORG) for i in range(100)]
        refused = {keys[7], keys[42], keys[99]}

        def answer(request: httpx.Request) -> httpx.Response:
            results, errors = {}, {}
            # answered in reverse order and in 2.0 spelling: only parsing the keys can match them
            for text in reversed(list(json_body(request)["entities"])):
                fields = dict(part.split("=", 1) for part in text.split("&"))
                candidate_id = fields["atsCandidateId"]
                key_2 = f"(atsCandidateId:{candidate_id},dataProvider:ATS,integrationContext:{ORG_ENC})"
                if fields["atsCandidateId"] in {"C7", "C42", "C99"}:
                    errors[key_2] = {
                        "status": 422,
                        "message": "emailAddresses[0] is not an email",
                        "serviceErrorCode": 100,
                    }
                else:
                    results[key_2] = {"status": 204}
            return httpx.Response(200, json={"results": results, "errors": errors})

        route = linkedin.route(path="/v2/atsCandidates").mock(side_effect=answer)

        result = await app.upsert_candidates(dict.fromkeys(keys, CANDIDATE_RECORD))

        assert len(result.ok) == 97
        assert set(result.ok) == set(keys) - refused
        assert result.errors == {
            key: EntityError(422, Category.REJECTED, "emailAddresses[0] is not an email", 100)
            for key in refused
        }
        # a hundred compound ids pass 8 KB of URL, so the batch went out tunnelled
        assert route.calls.last.request.headers["X-HTTP-Method-Override"] == "PUT"

    async def test_more_than_a_hundred_is_refused_before_sending(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        route = linkedin.route()
        keys = [wire.CandidateKey(ats_candidate_id=f"C{i}", integration_context=ORG) for i in range(101)]

        with pytest.raises(ValueError, match="at most 100"):
            await app.upsert_candidates(dict.fromkeys(keys, CANDIDATE_RECORD))
        with pytest.raises(ValueError, match="at most 100"):
            await app.delete_stages(APPLICATION, [f"S{i}" for i in range(101)])
        with pytest.raises(ValueError, match="at most 100"):
            await app.create_jobs(
                [JOB.model_copy(update={"external_job_posting_id": f"J{i}"}) for i in range(101)]
            )

        assert not route.called

    async def test_a_job_named_twice_in_one_call_is_refused(self, app: LinkedInApp) -> None:
        with pytest.raises(ValueError, match="twice"):
            await app.create_jobs([JOB, JOB])

    async def test_empty_batches_send_nothing(self, linkedin: respx.MockRouter, app: LinkedInApp) -> None:
        route = linkedin.route()

        assert await app.upsert_candidates({}) == BatchResult()
        assert await app.get_job_tasks([]) == BatchResult()
        assert await app.create_jobs([]) == BatchResult()
        assert not route.called

    async def test_failed_job_element_keeps_linkedins_message(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.post("/v2/simpleJobPostings").respond(
            200,
            json={
                "elements": [
                    {"status": 201, "id": "urn:li:simpleJobPostingTask:1"},
                    {"status": 400, "error": {"message": "title is longer than 200", "status": 400}},
                ]
            },
        )
        second = JOB.model_copy(update={"external_job_posting_id": "J2"})

        result = await app.create_jobs([JOB, second])

        assert result.ok == {"J1": "urn:li:simpleJobPostingTask:1"}
        assert result.errors == {"J2": EntityError(400, Category.REJECTED, "title is longer than 200")}

    async def test_keys_missing_from_the_answer_are_retriable(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.delete("/v2/atsApplications/" + APPLICATION_V1 + "/stages").respond(
            200, json={"results": {"S1": DONE}}
        )

        result = await app.delete_stages(APPLICATION, ["S1", "S2"])

        assert result.ok == {"S1": 204}
        assert result.errors["S2"].category is Category.RETRIABLE

    async def test_unknown_task_is_not_found(self, linkedin: respx.MockRouter, app: LinkedInApp) -> None:
        linkedin.get("/v2/simpleJobPostingTasks").respond(
            200, json={"results": {}, "statuses": {"T2": 404}, "errors": {"T2": {"message": "expired"}}}
        )

        result = await app.get_job_tasks(["T1", "T2"])

        assert result.errors == {
            "T1": EntityError(404, Category.REJECTED, "not found"),
            "T2": EntityError(404, Category.REJECTED, "expired"),
        }

    async def test_a_failure_reported_inside_results_is_an_error(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.put("/v2/atsEntityAcls").respond(
            200, json={"results": {ACL_V1: {"status": 400, "message": "more than 10 ACLs for this user"}}}
        )

        result = await app.upsert_acls([ACL])

        assert result.errors == {ACL: EntityError(400, Category.REJECTED, "more than 10 ACLs for this user")}
        assert not result.all_ok

    async def test_sync_calls_spend_the_sync_budget_by_records(
        self, linkedin: respx.MockRouter, app: LinkedInApp, throttle: Any
    ) -> None:
        linkedin.route().respond(200, json={"results": {}})

        await app.delete_stages(APPLICATION, ["S1", "S2", "S3"])
        await app.get_job_tasks(["T1"])

        assert throttle.acquired == [("sync", 3), ("job_tasks", 1)]

    async def test_acl_calls_spend_the_acls_own_budget(
        self, linkedin: respx.MockRouter, app: LinkedInApp, throttle: Any
    ) -> None:
        linkedin.route().respond(200, json={"results": {}, "elements": []})

        await app.upsert_acls([ACL])
        await app.delete_acl_assignees([ASSIGNEE])
        await app.find_acls(ORG, ats_entity_id="JOB 1")
        await app.upsert_candidates({})

        # LinkedIn keeps atsEntityAcls and atsEntityAclAssignees on a budget apart from the sync group's.
        assert [group for group, _ in throttle.acquired] == ["acls", "acls", "acls"]
