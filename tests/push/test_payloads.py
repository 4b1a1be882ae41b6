"""Payload mapping: every ATS kind created, updated and deleted, against LinkedIn's documented field names."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rsc_service.integrations.ats.records import Candidate, EmailAddress, Location, PhoneNumber
from rsc_service.mirror.payloads import (
    PARENT_RESOURCE,
    RESOURCES,
    PushContext,
    intents_for,
    linkedin_key,
    resource_order,
)
from rsc_service.mirror.payloads_fields import truncate_utf16
from rsc_service.outbox.ops import Intent, Op

ORG = "urn:li:organization:1001"
MEMBER = "urn:li:person:abc123"
CREATED, CREATED_MS = "2026-03-02T09:15:00Z", 1772442900000
UPDATED, UPDATED_MS = "2026-03-05T10:00:00.123Z", 1772704800123
EARLY, EARLY_MS = "2024-01-10T08:00:00Z", 1704873600000
LATER, LATER_MS = "2026-03-03T12:30:00Z", 1772541000000
CTX = PushContext(integration_context=ORG)


def record(kind: str, ats_id: str, **fields: Any) -> dict[str, Any]:
    base = {"kind": kind, "id": ats_id, "version": 1, "created_at": CREATED, "updated_at": CREATED}
    return base | fields


def updated(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return data | {"version": data["version"] + 1, "updated_at": UPDATED} | fields


def tombstone(ats_id: str, **parents: str) -> dict[str, Any]:
    return {"id": ats_id, "version": 9, "deleted_at": UPDATED} | parents


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


JOB = record(
    "job",
    "job_17",
    title="Senior Robotics Engineer",
    description="Build arms.",
    location={"city": "Austin", "region": "TX", "country": "US", "postal_code": "73301"},
    employment_type="full_time",
    status="open",
    privacy="public",
    listed=True,
    url="https://acme.ats.example/jobs/job_17",
)
POSTING = {
    "integrationContext": ORG,
    "externalJobPostingId": "job_17",
    "title": "Senior Robotics Engineer",
    "description": "Build arms.",
    "location": "Austin, TX",
    "state": "LISTED",
    "companyApplyUrl": "https://acme.ats.example/jobs/job_17",
    "listedAt": CREATED_MS,
    "availability": "PRIVATE_TO_ATS_INTEGRATION",
}
CANDIDATE = record(
    "candidate",
    "cand_42",
    first_name="Priya",
    last_name="Raman",
    emails=[{"address": "priya@example.com", "type": "home"}, {"address": "p.raman@work.example"}],
    phones=[{"number": "+1 512 555 0100", "type": "mobile"}],
    linkedin_url="https://www.linkedin.com/in/priya-raman",
    current_company="Acme Robotics",
    current_title="Controls Engineer",
    location={"city": "Austin", "region": "TX", "country": "us", "postal_code": "73301"},
    url="https://acme.ats.example/candidates/cand_42",
)
CANDIDATE_PAYLOAD = {
    "firstName": "Priya",
    "lastName": "Raman",
    "emailAddresses": ["priya@example.com", "p.raman@work.example"],
    "phoneNumbers": [{"number": "+1 512 555 0100"}],
    "addresses": [
        {
            "city": "Austin",
            "geographicArea": "TX",
            "geographicAreaType": "STATE",
            "postalCode": "73301",
            "country": "us",
        }
    ],
    "atsCreatedAt": CREATED_MS,
    "atsLastModifiedAt": CREATED_MS,
    "currentCompanyName": "Acme Robotics",
    "currentJobTitle": "Controls Engineer",
    "linkedInProfileUrl": "https://www.linkedin.com/in/priya-raman",
    "externalProfileUrl": "https://acme.ats.example/candidates/cand_42",
    "doNotContact": False,
    "manualMatchedMember": None,
}
APPLICATION = record(
    "application",
    "app_7",
    candidate_id="cand_42",
    job_id="job_17",
    stage="Phone Interview",
    status="active",
    stage_history=[
        {"stage": "New", "entered_at": EARLY},
        {"stage": "Phone Interview", "entered_at": LATER, "changed_by_user_id": "u_1"},
    ],
    source="Referral",
    applied_at=EARLY,
)
USER = record(
    "user", "u_1", email="rita@acme.example", first_name="Rita", last_name="Book", access_level="recruiter"
)
APP_CTX = PushContext(integration_context=ORG, job=JOB, candidate=CANDIDATE, users={"u_1": USER})
NOTE = record("note", "note_3", candidate_id="cand_42", body="Strong controls background.", written_at=LATER)
APP_NOTE = NOTE | {"id": "note_4", "application_id": "app_7", "job_id": "job_17", "author_user_id": "u_1"}
FEEDBACK = record(
    "interview_feedback",
    "fb_5",
    candidate_id="cand_42",
    job_id="job_17",
    application_id="app_7",
    interviewer_user_id="u_1",
    interview_type="phone",
    interviewed_at=LATER,
    rating="strong_yes",
    summary="Great interview!",
)


def only(intents: list[Intent]) -> Intent:
    assert len(intents) == 1, intents
    return intents[0]


class TestJobs:
    def test_created_job_is_a_listed_private_posting_by_default(self) -> None:
        assert intents_for("job", JOB, deleted=False, ctx=CTX) == [
            Intent("simpleJobPostings", "job_17", Op.UPSERT, POSTING)
        ]

    @pytest.mark.parametrize(
        ("choice", "privacy", "listed", "availability"),
        [
            ("PUBLIC", "public", True, "PUBLIC"),
            ("PUBLIC", "private", True, "PRIVATE_TO_ATS_INTEGRATION"),
            ("PUBLIC", "public", False, "PRIVATE_TO_ATS_INTEGRATION"),
            ("PRIVATE_TO_ATS_INTEGRATION", "public", True, "PRIVATE_TO_ATS_INTEGRATION"),
        ],
    )
    def test_availability_follows_the_customer_choice_only_for_public_listed_jobs(
        self, choice: str, privacy: str, listed: bool, availability: str
    ) -> None:
        ctx = PushContext(integration_context=ORG, job_availability=choice)
        job = JOB | {"privacy": privacy, "listed": listed}
        assert only(intents_for("job", job, deleted=False, ctx=ctx)).payload == POSTING | {
            "availability": availability
        }

    def test_unknown_availability_choice_is_refused(self) -> None:
        with pytest.raises(ValueError, match="job_availability"):
            PushContext(integration_context=ORG, job_availability="PRIVATE")

    def test_updated_and_closed_job_is_upserted_closed(self) -> None:
        job = updated(JOB, title="Staff Robotics Engineer", status="closed", closed_at=UPDATED)
        intent = only(intents_for("job", job, deleted=False, ctx=CTX))
        assert intent == Intent(
            "simpleJobPostings",
            "job_17",
            Op.UPSERT,
            POSTING | {"title": "Staff Robotics Engineer", "state": "CLOSED"},
        )

    def test_deleted_job_with_its_last_record_is_closed_with_the_full_posting(self) -> None:
        intent = only(intents_for("job", JOB | {"deleted_at": UPDATED}, deleted=True, ctx=CTX))
        assert intent == Intent("simpleJobPostings", "job_17", Op.CLOSE, POSTING | {"state": "CLOSED"})

    def test_deleted_job_from_a_bare_tombstone_is_closed_by_id(self) -> None:
        intent = only(intents_for("job", tombstone("job_17"), deleted=True, ctx=CTX))
        assert intent == Intent(
            "simpleJobPostings",
            "job_17",
            Op.CLOSE,
            {
                "integrationContext": ORG,
                "externalJobPostingId": "job_17",
                "jobPostingOperationType": "CLOSE",
                "state": "CLOSED",
            },
        )

    def test_title_over_200_characters_is_truncated_and_the_rest_kept(self) -> None:
        payload = only(intents_for("job", JOB | {"title": "T" * 250}, deleted=False, ctx=CTX)).payload
        assert payload == POSTING | {"title": "T" * 200}

    def test_title_truncation_counts_utf16_units_and_keeps_surrogate_pairs_whole(self) -> None:
        title = "é" * 198 + "🤖🤖 tail"  # the robot emoji is two UTF-16 units
        payload = only(intents_for("job", JOB | {"title": title}, deleted=False, ctx=CTX)).payload
        assert payload is not None
        assert payload["title"] == "é" * 198 + "🤖"  # the next emoji would have taken units 201 and 202
        short = only(intents_for("job", JOB | {"title": "é" * 199 + "🤖"}, deleted=False, ctx=CTX)).payload
        assert short is not None
        assert short["title"] == "é" * 199  # never half a surrogate pair

    def test_unicode_is_sent_unchanged(self) -> None:
        job = JOB | {"title": "Ingénieure · Zürich 東京", "description": "Робототехника ✓"}
        payload = only(intents_for("job", job, deleted=False, ctx=CTX)).payload
        assert payload == POSTING | {"title": "Ingénieure · Zürich 東京", "description": "Робототехника ✓"}

    @pytest.mark.parametrize(
        ("location", "fields"),
        [
            ({"city": "Austin", "country": "US"}, {"location": "Austin, US"}),
            ({"city": "Austin"}, {"location": "Austin"}),
            ({"country": "US", "postal_code": "73301"}, {"countryCode": "US", "postalCode": "73301"}),
            (None, {}),
        ],
    )
    def test_location_is_city_and_area_else_country_and_postal_code(
        self, location: dict[str, str] | None, fields: dict[str, str]
    ) -> None:
        payload = only(intents_for("job", JOB | {"location": location}, deleted=False, ctx=CTX)).payload
        expected = {k: v for k, v in POSTING.items() if k != "location"} | fields
        assert payload == expected

    def test_missing_required_values_are_left_out_not_invented(self) -> None:
        job = JOB | {"description": None, "url": None}
        payload = only(intents_for("job", job, deleted=False, ctx=CTX)).payload
        assert payload is not None
        assert "description" not in payload
        assert "companyApplyUrl" not in payload
        assert payload["title"] == "Senior Robotics Engineer"

    def test_restricted_job_gets_one_acl_per_hiring_team_member_and_assignees_with_seats(self) -> None:
        team = [
            {"user_id": "u_1", "role": "recruiter"},
            {"user_id": "u/2", "role": "hiring_manager"},
            {"user_id": "u_1", "role": "interviewer"},
        ]
        ctx = PushContext(integration_context=ORG, members={"u_1": MEMBER})
        intents = intents_for("job", JOB | {"restricted": True, "hiring_team": team}, deleted=False, ctx=ctx)
        assert intents == [
            Intent("simpleJobPostings", "job_17", Op.UPSERT, POSTING),
            Intent(
                "atsEntityAcls", "user-u_1/job_17", Op.UPSERT, {}, depends_on=("simpleJobPostings:job_17",)
            ),
            Intent("atsEntityAclAssignees", "user-u_1/urn%3Ali%3Aperson%3Aabc123", Op.UPSERT, {}),
            Intent(
                "atsEntityAcls", "user-u%2F2/job_17", Op.UPSERT, {}, depends_on=("simpleJobPostings:job_17",)
            ),
        ]
        assert linkedin_key("atsEntityAcls", intents[3].key, ORG) == {
            "atsEntityAclId": "user-u/2",
            "atsEntityId": "job_17",
            "atsEntityType": "JOB_POSTING",
            "dataProvider": "ATS",
            "integrationContext": ORG,
        }
        assert linkedin_key("atsEntityAclAssignees", intents[2].key, ORG) == {
            "atsEntityAclId": "user-u_1",
            "assignee": MEMBER,
            "atsEntityType": "JOB_POSTING",
            "dataProvider": "ATS",
            "integrationContext": ORG,
        }

    def test_unrestricted_job_has_no_acls(self) -> None:
        job = JOB | {"hiring_team": [{"user_id": "u_1", "role": "recruiter"}]}
        ctx = PushContext(integration_context=ORG, members={"u_1": MEMBER})
        assert [i.resource for i in intents_for("job", job, deleted=False, ctx=ctx)] == ["simpleJobPostings"]


class TestCandidates:
    def test_created_candidate_carries_every_match_field(self) -> None:
        intent = only(intents_for("candidate", CANDIDATE, deleted=False, ctx=CTX))
        assert intent == Intent("atsCandidates", "cand_42", Op.UPSERT, CANDIDATE_PAYLOAD)

    def test_every_put_carries_the_manual_match(self) -> None:
        ctx = PushContext(integration_context=ORG, manual_matched_member=MEMBER)
        candidate = updated(CANDIDATE, current_title="Lead Controls Engineer", do_not_contact=True)
        intent = only(intents_for("candidate", candidate, deleted=False, ctx=ctx))
        assert intent.payload == CANDIDATE_PAYLOAD | {
            "currentJobTitle": "Lead Controls Engineer",
            "doNotContact": True,
            "atsLastModifiedAt": UPDATED_MS,
            "manualMatchedMember": MEMBER,
        }

    def test_sparse_candidate_sends_empty_required_lists_and_no_optional_fields(self) -> None:
        sparse = record("candidate", "cand_1", first_name="Ada", last_name="Lovelace")
        assert only(intents_for("candidate", sparse, deleted=False, ctx=CTX)).payload == {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "emailAddresses": [],
            "phoneNumbers": [],
            "addresses": [],
            "atsCreatedAt": CREATED_MS,
            "atsLastModifiedAt": CREATED_MS,
            "doNotContact": False,
            "manualMatchedMember": None,
        }

    def test_malformed_email_is_left_out_so_the_candidate_still_lands(self) -> None:
        candidate = CANDIDATE | {"emails": [{"address": "not-an-email"}, {"address": "ok@example.com"}]}
        payload = only(intents_for("candidate", candidate, deleted=False, ctx=CTX)).payload
        assert payload is not None
        assert payload["emailAddresses"] == ["ok@example.com"]

    def test_modified_time_is_never_before_created_time(self) -> None:
        candidate = CANDIDATE | {"updated_at": EARLY}
        payload = only(intents_for("candidate", candidate, deleted=False, ctx=CTX)).payload
        assert payload is not None
        assert payload["atsLastModifiedAt"] == payload["atsCreatedAt"] == CREATED_MS

    def test_unicode_names_are_sent_unchanged(self) -> None:
        candidate = CANDIDATE | {"first_name": "Zoë", "last_name": "Ñúñez-渡辺 🚀"}
        payload = only(intents_for("candidate", candidate, deleted=False, ctx=CTX)).payload
        assert payload == CANDIDATE_PAYLOAD | {"firstName": "Zoë", "lastName": "Ñúñez-渡辺 🚀"}

    def test_deleted_candidate_is_deleted(self) -> None:
        intents = intents_for("candidate", tombstone("cand_42"), deleted=True, ctx=CTX)
        assert intents == [Intent("atsCandidates", "cand_42", Op.DELETE, None)]


class TestApplications:
    APPLICATION_PAYLOAD = {
        "atsCandidateId": "cand_42",
        "atsJobPostingId": "job_17",
        "atsJobPostingName": "Senior Robotics Engineer",
        "atsCreatedAt": CREATED_MS,
        "atsLastModifiedAt": CREATED_MS,
        "firstName": "Priya",
        "lastName": "Raman",
        "candidateEmail": "priya@example.com",
        "source": "Referral",
    }

    def test_created_application_follows_its_job_and_candidate_and_brings_its_stages(self) -> None:
        parent = ("atsApplications:app_7",)
        assert intents_for("application", APPLICATION, deleted=False, ctx=APP_CTX) == [
            Intent(
                "atsApplications",
                "app_7",
                Op.UPSERT,
                self.APPLICATION_PAYLOAD,
                depends_on=("simpleJobPostings:job_17", "atsCandidates:cand_42"),
            ),
            Intent("atsApplications/stages", "app_7-0", Op.UPSERT, {"atsCreatedAt": EARLY_MS, "stage": "New"},
                   path_parent="app_7", depends_on=parent),
            Intent("atsApplications/stages", "app_7-1", Op.UPSERT,
                   {"atsCreatedAt": LATER_MS, "stage": "Phone Interview"},
                   path_parent="app_7", depends_on=parent),
        ]  # fmt: skip

    def test_updated_application_adds_a_stage_and_a_disposition(self) -> None:
        history = [*APPLICATION["stage_history"], {"stage": "Rejected", "entered_at": UPDATED}]
        application = updated(APPLICATION, stage="Rejected", status="rejected", stage_history=history)
        intents = intents_for("application", application, deleted=False, ctx=APP_CTX)
        assert intents[0].payload == self.APPLICATION_PAYLOAD | {
            "atsLastModifiedAt": UPDATED_MS,
            "dispositionReason": "Rejected",
        }
        assert [(i.key, i.payload) for i in intents[1:]] == [
            ("app_7-0", {"atsCreatedAt": EARLY_MS, "stage": "New"}),
            ("app_7-1", {"atsCreatedAt": LATER_MS, "stage": "Phone Interview"}),
            ("app_7-2", {"atsCreatedAt": UPDATED_MS, "stage": "Rejected"}),
        ]

    def test_application_without_history_shows_its_current_stage_since_applied(self) -> None:
        intents = intents_for("application", APPLICATION | {"stage_history": []}, deleted=False, ctx=APP_CTX)
        assert [(i.resource, i.key, i.payload) for i in intents[1:]] == [
            ("atsApplications/stages", "app_7-0", {"atsCreatedAt": EARLY_MS, "stage": "Phone Interview"})
        ]

    def test_stage_names_linkedin_refuses_are_not_sent(self) -> None:
        history = [{"stage": "Not Available", "entered_at": EARLY}, {"stage": "Onsite", "entered_at": LATER}]
        intents = intents_for(
            "application", APPLICATION | {"stage_history": history}, deleted=False, ctx=APP_CTX
        )
        assert [(i.key, i.payload) for i in intents[1:]] == [
            ("app_7-1", {"atsCreatedAt": LATER_MS, "stage": "Onsite"})
        ]

    def test_without_its_job_and_candidate_the_embedded_names_are_left_out(self) -> None:
        payload = intents_for("application", APPLICATION, deleted=False, ctx=CTX)[0].payload
        assert payload == {
            "atsCandidateId": "cand_42",
            "atsJobPostingId": "job_17",
            "atsCreatedAt": CREATED_MS,
            "atsLastModifiedAt": CREATED_MS,
            "source": "Referral",
        }

    def test_deleted_application_from_a_tombstone_is_deleted(self) -> None:
        data = tombstone("app_7", candidate_id="cand_42", job_id="job_17")
        intents = intents_for("application", data, deleted=True, ctx=CTX)
        assert intents == [Intent("atsApplications", "app_7", Op.DELETE, None)]

    def test_deleted_application_with_its_last_record_deletes_its_stages_first(self) -> None:
        intents = intents_for("application", APPLICATION | {"deleted_at": UPDATED}, deleted=True, ctx=CTX)
        assert intents == [
            Intent("atsApplications/stages", "app_7-0", Op.DELETE, None, path_parent="app_7"),
            Intent("atsApplications/stages", "app_7-1", Op.DELETE, None, path_parent="app_7"),
            Intent("atsApplications", "app_7", Op.DELETE, None),
        ]


class TestNotes:
    def test_candidate_note_lives_under_its_candidate(self) -> None:
        note = NOTE | {"author_name": "Angela Smith"}
        assert intents_for("note", note, deleted=False, ctx=CTX) == [
            Intent(
                "atsCandidates/notes",
                "note_3",
                Op.UPSERT,
                {
                    "atsCreatedAt": LATER_MS,
                    "note": "Strong controls background.",
                    "author": {"firstName": "Angela", "lastName": "Smith"},
                },
                path_parent="cand_42",
                depends_on=("atsCandidates:cand_42",),
            )
        ]

    def test_application_note_lives_under_its_application_with_the_author_user(self) -> None:
        note = updated(APP_NOTE, body="Updated: résumé reviewed ✓")
        assert intents_for("note", note, deleted=False, ctx=APP_CTX) == [
            Intent(
                "atsApplications/notes",
                "note_4",
                Op.UPSERT,
                {
                    "atsCreatedAt": LATER_MS,
                    "note": "Updated: résumé reviewed ✓",
                    "author": {"firstName": "Rita", "lastName": "Book"},
                },
                path_parent="app_7",
                depends_on=("atsApplications:app_7",),
            )
        ]

    @pytest.mark.parametrize("author_name", [None, "Cher", "  "])
    def test_author_without_a_first_and_last_name_is_left_out(self, author_name: str | None) -> None:
        payload = only(
            intents_for("note", NOTE | {"author_name": author_name}, deleted=False, ctx=CTX)
        ).payload
        assert payload == {"atsCreatedAt": LATER_MS, "note": "Strong controls background."}

    def test_note_written_from_linkedin_is_not_sent_back(self) -> None:
        note = NOTE | {"external_id": "li-note-1", "visibility": {"linkedin_contract": "urn:li:contract:1"}}
        assert intents_for("note", note, deleted=False, ctx=CTX) == []
        assert intents_for("note", note | {"deleted_at": UPDATED}, deleted=True, ctx=CTX) == []

    @pytest.mark.parametrize(
        ("parents", "resource", "parent"),
        [
            ({"candidate_id": "cand_42"}, "atsCandidates/notes", "cand_42"),
            ({"candidate_id": "cand_42", "application_id": "app_7"}, "atsApplications/notes", "app_7"),
        ],
    )
    def test_deleted_note_is_deleted_under_its_parent(
        self, parents: dict[str, str], resource: str, parent: str
    ) -> None:
        intents = intents_for("note", tombstone("note_3", **parents), deleted=True, ctx=CTX)
        assert intents == [Intent(resource, "note_3", Op.DELETE, None, path_parent=parent)]


class TestInterviewFeedback:
    FEEDBACK_PAYLOAD = {
        "atsCreatedAt": CREATED_MS,
        "interviewer": {"firstName": "Rita", "lastName": "Book"},
        "feedback": "Great interview!",
        "evaluations": [{"attribute": "Overall Rating", "result": "Strong Yes"}],
        "interviewType": "PHONE_SCREEN",
    }

    def test_created_feedback_lives_under_its_application(self) -> None:
        assert intents_for("interview_feedback", FEEDBACK, deleted=False, ctx=APP_CTX) == [
            Intent(
                "atsApplications/interviewFeedback",
                "fb_5",
                Op.UPSERT,
                self.FEEDBACK_PAYLOAD,
                path_parent="app_7",
                depends_on=("atsApplications:app_7",),
            )
        ]

    def test_updated_feedback_of_a_type_linkedin_lacks_is_sent_without_one(self) -> None:
        feedback = updated(FEEDBACK, interview_type="video", rating="no", summary="Changed my mind.")
        payload = only(intents_for("interview_feedback", feedback, deleted=False, ctx=APP_CTX)).payload
        assert payload == {
            "atsCreatedAt": CREATED_MS,
            "interviewer": {"firstName": "Rita", "lastName": "Book"},
            "feedback": "Changed my mind.",
            "evaluations": [{"attribute": "Overall Rating", "result": "No"}],
        }

    def test_onsite_feedback_without_rating_or_known_interviewer(self) -> None:
        feedback = FEEDBACK | {"interview_type": "onsite", "rating": None, "summary": None}
        payload = only(intents_for("interview_feedback", feedback, deleted=False, ctx=CTX)).payload
        assert payload == {"atsCreatedAt": CREATED_MS, "interviewType": "ONSITE"}

    def test_deleted_feedback_is_deleted_under_its_application(self) -> None:
        data = tombstone("fb_5", candidate_id="cand_42", job_id="job_17", application_id="app_7")
        intents = intents_for("interview_feedback", data, deleted=True, ctx=CTX)
        assert intents == [
            Intent("atsApplications/interviewFeedback", "fb_5", Op.DELETE, None, path_parent="app_7")
        ]


class TestKindsAndResources:
    @pytest.mark.parametrize("deleted", [False, True])
    def test_users_map_to_seats_not_records(self, deleted: bool) -> None:
        assert intents_for("user", USER, deleted=deleted, ctx=CTX) == []

    def test_unknown_kind_is_refused(self) -> None:
        with pytest.raises(ValueError, match="email"):
            intents_for("email", {"id": "e_1"}, deleted=False, ctx=CTX)

    def test_every_emitted_resource_is_declared_and_ordered_parents_first(self) -> None:
        restricted = JOB | {"restricted": True, "hiring_team": [{"user_id": "u_1", "role": "recruiter"}]}
        ctx = PushContext(integration_context=ORG, members={"u_1": MEMBER}, job=JOB, candidate=CANDIDATE)
        emitted = [
            *intents_for("job", restricted, deleted=False, ctx=ctx),
            *intents_for("candidate", CANDIDATE, deleted=False, ctx=ctx),
            *intents_for("application", APPLICATION, deleted=False, ctx=ctx),
            *intents_for("note", NOTE, deleted=False, ctx=ctx),
            *intents_for("note", APP_NOTE, deleted=False, ctx=ctx),
            *intents_for("interview_feedback", FEEDBACK, deleted=False, ctx=ctx),
        ]
        assert {i.resource for i in emitted} == RESOURCES
        for intent in emitted:
            for dependency in intent.depends_on:
                assert resource_order(dependency.split(":", 1)[0]) < resource_order(intent.resource)
            if intent.path_parent is not None:
                assert f"{PARENT_RESOURCE[intent.resource]}:{intent.path_parent}" in intent.depends_on

    def test_resource_order(self) -> None:
        ranks = {r: resource_order(r) for r in RESOURCES}
        assert ranks == {
            "simpleJobPostings": 0,
            "atsCandidates": 1,
            "atsApplications": 2,
            "atsCandidates/notes": 3,
            "atsApplications/notes": 3,
            "atsApplications/interviewFeedback": 3,
            "atsApplications/stages": 3,
            "atsEntityAcls": 3,
            "atsEntityAclAssignees": 3,
        }
        with pytest.raises(ValueError, match="unknown resource"):
            resource_order("atsIntegrations")

    def test_linkedin_keys_of_records_and_sub_collections(self) -> None:
        assert linkedin_key("atsCandidates", "cand_42", ORG) == {
            "atsCandidateId": "cand_42",
            "dataProvider": "ATS",
            "integrationContext": ORG,
        }
        assert linkedin_key("atsApplications", "app_7", ORG) == {
            "atsJobApplicationId": "app_7",
            "dataProvider": "ATS",
            "integrationContext": ORG,
        }
        assert linkedin_key("atsApplications/stages", "app_7-0", ORG) == "app_7-0"
        with pytest.raises(ValueError, match="unknown resource"):
            linkedin_key("seats", "1", ORG)


# ---- properties -------------------------------------------------------------------------------------

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
text = st.text(min_size=1, max_size=40)
optional_text = st.none() | text
candidates = st.builds(
    Candidate,
    id=st.text(min_size=1, max_size=20),
    version=st.integers(min_value=1, max_value=10**6),
    created_at=moments,
    updated_at=moments,
    first_name=text,
    last_name=text,
    emails=st.lists(
        st.builds(EmailAddress, address=st.emails() | st.text(min_size=3, max_size=20)), max_size=3
    ),
    phones=st.lists(st.builds(PhoneNumber, number=st.text(min_size=3, max_size=20)), max_size=3),
    linkedin_url=optional_text,
    current_company=optional_text,
    current_title=optional_text,
    location=st.none() | st.builds(Location, city=optional_text, region=optional_text, country=optional_text),
    do_not_contact=st.booleans(),
    url=optional_text,
)


class TestProperties:
    @settings(max_examples=150, deadline=None)
    @given(candidate=candidates, member=st.none() | st.just(MEMBER))
    def test_any_valid_candidate_has_every_required_field(
        self, candidate: Candidate, member: str | None
    ) -> None:
        ctx = PushContext(integration_context=ORG, manual_matched_member=member)
        intent = only(intents_for("candidate", candidate.model_dump(mode="json"), deleted=False, ctx=ctx))
        payload = intent.payload
        assert payload is not None
        assert (intent.resource, intent.key, intent.op) == ("atsCandidates", candidate.id, Op.UPSERT)
        assert payload["firstName"] == candidate.first_name
        assert payload["lastName"] == candidate.last_name
        assert isinstance(payload["addresses"], list)
        assert isinstance(payload["phoneNumbers"], list)
        assert all(EMAIL.match(email) for email in payload["emailAddresses"])
        assert payload["atsCreatedAt"] > 0
        assert payload["atsLastModifiedAt"] >= payload["atsCreatedAt"]
        assert payload["manualMatchedMember"] == member
        assert payload["doNotContact"] is candidate.do_not_contact
        assert all(value is not None for name, value in payload.items() if name != "manualMatchedMember")

    @settings(max_examples=200, deadline=None)
    @given(value=st.text(max_size=300), limit=st.integers(min_value=1, max_value=250))
    def test_truncation_is_a_prefix_within_the_utf16_limit(self, value: str, limit: int) -> None:
        cut = truncate_utf16(value, limit)
        assert value.startswith(cut)
        assert utf16_len(cut) <= limit
        assert utf16_len(cut) >= min(utf16_len(value), limit - 1)
