"""Payload mapping: every ATS kind created, updated and deleted, as the LinkedIn records it is sent as."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rsc_service.integrations.ats import wire as ats
from rsc_service.integrations.linkedin import wire as li
from rsc_service.outbox.ops import Intent, Op
from rsc_service.push import candidates, notes, postings
from rsc_service.push.fields import PushContext, truncate_utf16, valid_emails, web_url
from rsc_service.push.registry import RESOURCES
from rsc_service.seats import acl

ORG = "urn:li:organization:1001"
MEMBER = "urn:li:person:abc123"
CREATED, CREATED_MS = "2026-03-02T09:15:00Z", 1772442900000
UPDATED, UPDATED_MS = "2026-03-05T10:00:00.123Z", 1772704800123
EARLY, EARLY_MS = "2024-01-10T08:00:00Z", 1704873600000
LATER, LATER_MS = "2026-03-03T12:30:00Z", 1772541000000
CTX = PushContext(integration_context=ORG)

W = TypeVar("W", bound=li.Wire)


def record(kind: str, ats_id: str, **fields: Any) -> dict[str, Any]:
    base = {"kind": kind, "id": ats_id, "version": 1, "created_at": CREATED, "updated_at": CREATED}
    return base | fields


def updated(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return data | {"version": data["version"] + 1, "updated_at": UPDATED} | fields


def tombstone(ats_id: str, **parents: str) -> dict[str, Any]:
    return {"id": ats_id, "version": 9, "deleted_at": UPDATED} | parents


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def owed(kind: str, data: dict[str, Any], *, deleted: bool = False, ctx: PushContext = CTX) -> list[Intent]:
    return RESOURCES.intents_for(kind, data, deleted=deleted, ctx=ctx)


def only(intents: list[Intent]) -> Intent:
    assert len(intents) == 1, intents
    return intents[0]


def but(model: W, **changes: Any) -> W:
    """`model` with `changes` (by field name), validated as any record is; a misspelt field fails here
    rather than being dropped and making the comparison vacuous."""
    assert changes.keys() <= type(model).model_fields.keys(), changes
    return type(model).model_validate(model.model_dump() | changes)


def refusal(intent: Intent) -> tuple[str, set[str]]:
    """The record a refused intent names ("resource key") and the wire fields it names ("/field")."""
    assert intent.payload is None and intent.refused is not None, intent
    named, _, problems = intent.refused.partition(" cannot be sent: ")
    return named, set(re.findall(r"(/\S+) :: ", problems))


def posting(job: dict[str, Any], ctx: PushContext = CTX, *, closed: bool = False) -> li.SimpleJobPosting:
    return postings.posting(ats.Job.model_validate(job), ctx, closed=closed)


def candidate_record(candidate: dict[str, Any], ctx: PushContext = CTX) -> li.AtsCandidate:
    return candidates.candidate_record(ats.Candidate.model_validate(candidate), ctx)


def application_record(application: dict[str, Any], ctx: PushContext) -> li.AtsApplication:
    return candidates.application_record(ats.Application.model_validate(application), ctx)


def note_record(note: dict[str, Any], ctx: PushContext = CTX) -> li.Note:
    return notes.note_record(ats.Note.model_validate(note), ctx)


def feedback_record(feedback: dict[str, Any], ctx: PushContext = CTX) -> li.InterviewFeedback:
    return notes.feedback_record(ats.InterviewFeedback.model_validate(feedback), ctx)


def stage(at_ms: int, name: str) -> dict[str, Any]:
    return li.ApplicationStage(ats_created_at=at_ms, stage=name).to_wire()


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
POSTING = li.SimpleJobPosting(
    integration_context=ORG,
    external_job_posting_id="job_17",
    title="Senior Robotics Engineer",
    description="Build arms.",
    location="Austin, TX",
    state="LISTED",
    company_apply_url="https://acme.ats.example/jobs/job_17",
    listed_at=CREATED_MS,
    availability="PRIVATE_TO_ATS_INTEGRATION",
)
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
CANDIDATE_RECORD = li.AtsCandidate(
    first_name="Priya",
    last_name="Raman",
    email_addresses=["priya@example.com", "p.raman@work.example"],
    phone_numbers=[li.PhoneNumber(number="+1 512 555 0100")],
    addresses=[
        li.Address(
            city="Austin",
            geographic_area="TX",
            geographic_area_type="STATE",
            postal_code="73301",
            country="us",
        )
    ],
    ats_created_at=CREATED_MS,
    ats_last_modified_at=CREATED_MS,
    current_company_name="Acme Robotics",
    current_job_title="Controls Engineer",
    linkedin_profile_url="https://www.linkedin.com/in/priya-raman",
    external_profile_url="https://acme.ats.example/candidates/cand_42",
    do_not_contact=False,
)
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
APPLICATION_RECORD = li.AtsApplication(
    ats_candidate_id="cand_42",
    ats_job_posting_id="job_17",
    ats_job_posting_name="Senior Robotics Engineer",
    ats_created_at=CREATED_MS,
    ats_last_modified_at=CREATED_MS,
    first_name="Priya",
    last_name="Raman",
    candidate_email="priya@example.com",
    source="Referral",
)
USER = record(
    "user", "u_1", email="rita@acme.example", first_name="Rita", last_name="Book", access_level="recruiter"
)
RITA = li.Actor(first_name="Rita", last_name="Book")
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
FEEDBACK_RECORD = li.InterviewFeedback(
    ats_created_at=CREATED_MS,
    interviewer=RITA,
    feedback="Great interview!",
    evaluations=[li.InterviewEvaluation(attribute="Overall Rating", result="Strong Yes")],
    interview_type="PHONE_SCREEN",
)


class TestJobs:
    def test_created_job_is_a_listed_private_posting_by_default(self) -> None:
        assert posting(JOB) == POSTING
        assert owed("job", JOB) == [Intent("simpleJobPostings", "job_17", Op.UPSERT, POSTING.to_wire())]

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
        assert posting(job, ctx) == but(POSTING, availability=availability)

    def test_unknown_availability_choice_is_refused(self) -> None:
        with pytest.raises(ValueError, match="job_availability"):
            PushContext(integration_context=ORG, job_availability="PRIVATE")

    def test_updated_and_closed_job_is_upserted_closed(self) -> None:
        job = updated(JOB, title="Staff Robotics Engineer", status="closed", closed_at=UPDATED)
        closed = but(POSTING, title="Staff Robotics Engineer", state="CLOSED")
        assert posting(job, closed=True) == closed
        assert owed("job", job) == [Intent("simpleJobPostings", "job_17", Op.UPSERT, closed.to_wire())]

    def test_deleted_job_with_its_last_record_is_closed_with_the_full_posting(self) -> None:
        intent = only(owed("job", JOB | {"deleted_at": UPDATED}, deleted=True))
        closed = but(POSTING, state="CLOSED")
        assert intent == Intent("simpleJobPostings", "job_17", Op.CLOSE, closed.to_wire())

    def test_a_job_known_only_from_its_deletion_owes_nothing(self) -> None:
        # Never seen alive, so never sent: LinkedIn holds nothing to close.
        assert owed("job", tombstone("job_17"), deleted=True) == []

    def test_title_over_200_characters_is_truncated_and_the_rest_kept(self) -> None:
        assert posting(JOB | {"title": "T" * 250}) == but(POSTING, title="T" * 200)

    def test_title_truncation_counts_utf16_units_and_keeps_surrogate_pairs_whole(self) -> None:
        title = "é" * 198 + "🤖🤖 tail"  # the robot emoji is two UTF-16 units
        # The next emoji would have taken units 201 and 202.
        assert posting(JOB | {"title": title}).title == "é" * 198 + "🤖"
        # Never half a surrogate pair.
        assert posting(JOB | {"title": "é" * 199 + "🤖"}).title == "é" * 199

    def test_a_description_over_25000_utf16_units_is_cut_to_them(self) -> None:
        paragraph = "We build robots that help people 🤖. "  # 37 UTF-16 units
        description = paragraph * 1000  # 37,000 units
        sent = posting(JOB | {"description": description}).description
        assert len(sent.encode("utf-16-le")) // 2 <= postings.DESCRIPTION_MAX
        assert description.startswith(sent) and len(sent.encode("utf-16-le")) // 2 > 24_960
        # One at the limit is sent whole.
        exact = "d" * postings.DESCRIPTION_MAX
        assert posting(JOB | {"description": exact}).description == exact

    def test_a_description_cut_inside_an_html_tag_drops_the_half_tag(self) -> None:
        description = "<p>" + "x" * 24_990 + '<a href="https://acme.example/apply">Apply</a></p>'
        assert posting(JOB | {"description": description}).description == "<p>" + "x" * 24_990
        # A cut between tags keeps what it cut to.
        plain = "<p>" + "y" * 30_000 + "</p>"
        assert posting(JOB | {"description": plain}).description == "<p>" + "y" * 24_997

    def test_unicode_is_sent_unchanged(self) -> None:
        job = JOB | {"title": "Ingénieure · Zürich 東京", "description": "Робототехника ✓"}
        expected = but(POSTING, title="Ingénieure · Zürich 東京", description="Робототехника ✓")
        assert posting(job) == expected
        assert only(owed("job", job)).payload == expected.to_wire()

    @pytest.mark.parametrize(
        ("location", "fields"),
        [
            ({"city": "Austin", "country": "US"}, {"location": "Austin, US"}),
            ({"city": "Austin"}, {"location": "Austin"}),
            ({"country": "US", "postal_code": "73301"}, {"country_code": "US", "postal_code": "73301"}),
            (None, {}),
        ],
    )
    def test_location_is_city_and_area_else_country_and_postal_code(
        self, location: dict[str, str] | None, fields: dict[str, str]
    ) -> None:
        assert posting(JOB | {"location": location}) == but(POSTING, **({"location": None} | fields))

    def test_missing_required_values_are_not_invented_so_the_posting_is_refused(self) -> None:
        intent = only(owed("job", JOB | {"description": None, "url": None}))
        assert (intent.resource, intent.key, intent.op) == ("simpleJobPostings", "job_17", Op.UPSERT)
        assert refusal(intent) == ("simpleJobPostings job_17", {"/description", "/companyApplyUrl"})

    @pytest.mark.parametrize("url", ["", "  ", "careers page", "ftp://ats.example/jobs/17", "https://"])
    def test_an_apply_url_that_is_not_a_web_url_refuses_the_posting(self, url: str) -> None:
        intent = only(owed("job", JOB | {"url": url}))
        assert refusal(intent) == ("simpleJobPostings job_17", {"/companyApplyUrl"})

    def test_restricted_job_gets_one_acl_per_hiring_team_member_and_assignees_with_seats(self) -> None:
        team = [
            {"user_id": "u_1", "role": "recruiter"},
            {"user_id": "u/2", "role": "hiring_manager"},
            {"user_id": "u_1", "role": "interviewer"},
        ]
        ctx = PushContext(integration_context=ORG, members={"u_1": MEMBER})
        intents = owed("job", JOB | {"restricted": True, "hiring_team": team}, ctx=ctx)
        after_posting = ("simpleJobPostings:job_17",)
        # u/2 has no seat: its group still guards the job, with no one in it.
        assert intents == [
            Intent("simpleJobPostings", "job_17", Op.UPSERT, POSTING.to_wire()),
            Intent(
                "atsEntityAcls",
                "user-u_1/job_17",
                Op.UPSERT,
                {},
                path_parent="job_17",
                depends_on=after_posting,
            ),
            Intent(
                "atsEntityAcls",
                "user-u%2F2/job_17",
                Op.UPSERT,
                {},
                path_parent="job_17",
                depends_on=after_posting,
            ),
            Intent("atsEntityAclAssignees", "user-u_1/urn%3Ali%3Aperson%3Aabc123", Op.UPSERT, {}),
        ]
        assert acl.acl_key(acl.acl_group("u/2"), "job_17") == intents[2].key

        group, job_id = acl.split_acl_key(intents[2].key)
        acl_wire = li.AclKey(ats_entity_acl_id=group, integration_context=ORG, ats_entity_id=job_id)
        assert acl_wire.fields() == {
            "atsEntityAclId": "user-u/2",
            "atsEntityId": "job_17",
            "atsEntityType": "JOB_POSTING",
            "dataProvider": "ATS",
            "integrationContext": ORG,
        }
        group, member = acl.split_acl_key(intents[3].key)
        assignee = li.AclAssigneeKey(ats_entity_acl_id=group, integration_context=ORG, assignee=member)
        assert assignee.fields() == {
            "atsEntityAclId": "user-u_1",
            "assignee": MEMBER,
            "atsEntityType": "JOB_POSTING",
            "dataProvider": "ATS",
            "integrationContext": ORG,
        }

    def test_deleted_restricted_job_is_closed_before_its_acls_are_written(self) -> None:
        team = [{"user_id": "u_1", "role": "recruiter"}]
        ctx = PushContext(integration_context=ORG, members={"u_1": MEMBER})
        last = JOB | {"restricted": True, "hiring_team": team, "deleted_at": UPDATED}

        intents = owed("job", last, deleted=True, ctx=ctx)

        assert [(i.resource, i.op) for i in intents] == [
            ("simpleJobPostings", Op.CLOSE),
            ("atsEntityAcls", Op.UPSERT),
            ("atsEntityAclAssignees", Op.UPSERT),
        ]

    def test_unrestricted_job_has_no_acls(self) -> None:
        job = JOB | {"hiring_team": [{"user_id": "u_1", "role": "recruiter"}]}
        ctx = PushContext(integration_context=ORG, members={"u_1": MEMBER})
        assert [i.resource for i in owed("job", job, ctx=ctx)] == ["simpleJobPostings"]


class TestCandidates:
    def test_created_candidate_carries_every_match_field(self) -> None:
        assert candidate_record(CANDIDATE) == CANDIDATE_RECORD
        intent = only(owed("candidate", CANDIDATE))
        assert intent == Intent("atsCandidates", "cand_42", Op.UPSERT, CANDIDATE_RECORD.to_wire())
        # No manual match: the field is absent, not null (Rest.li refuses nulls).
        assert intent.payload is not None
        assert "manualMatchedMember" not in intent.payload

    def test_every_put_carries_the_manual_match(self) -> None:
        ctx = PushContext(integration_context=ORG, manual_matched_member=MEMBER)
        candidate = updated(CANDIDATE, current_title="Lead Controls Engineer", do_not_contact=True)
        expected = but(
            CANDIDATE_RECORD,
            current_job_title="Lead Controls Engineer",
            do_not_contact=True,
            ats_last_modified_at=UPDATED_MS,
            manual_matched_member=MEMBER,
        )
        assert candidate_record(candidate, ctx) == expected
        assert only(owed("candidate", candidate, ctx=ctx)).payload == expected.to_wire()

    def test_sparse_candidate_sends_empty_required_lists_and_no_optional_fields(self) -> None:
        url = "https://www.linkedin.com/in/ada"
        sparse = record("candidate", "cand_1", first_name="Ada", last_name="Lovelace", linkedin_url=url)
        expected = li.AtsCandidate(
            first_name="Ada",
            last_name="Lovelace",
            linkedin_profile_url=url,
            ats_created_at=CREATED_MS,
            ats_last_modified_at=CREATED_MS,
            do_not_contact=False,
        )
        assert candidate_record(sparse) == expected
        payload = only(owed("candidate", sparse)).payload
        assert payload == expected.to_wire()
        assert {name: payload[name] for name in ("emailAddresses", "phoneNumbers", "addresses")} == {
            "emailAddresses": [],
            "phoneNumbers": [],
            "addresses": [],
        }

    @pytest.mark.parametrize(
        ("emails", "linkedin_url", "member", "sendable"),
        [
            ([], None, None, False),
            ([{"address": "not-an-email"}], None, None, False),
            ([], "https://www.linkedin.com/in/ada", None, True),
            ([], None, MEMBER, True),
            ([{"address": "ada@example.com"}], None, None, True),
            ([], " ", None, False),
            ([], "x", None, False),
            ([], "nope@bad", None, False),
            ([], "javascript:alert(1)", None, False),
        ],
        ids=[
            "nothing",
            "only a malformed email",
            "a profile URL",
            "a link",
            "an email",
            "a blank profile URL",
            "a profile URL that is a word",
            "a profile URL that is an email",
            "a profile URL of another scheme",
        ],
    )
    def test_a_candidate_with_nothing_to_match_by_is_refused_before_sending(
        self, emails: list[dict[str, str]], linkedin_url: str | None, member: str | None, sendable: bool
    ) -> None:
        data = record(
            "candidate", "cand_1", first_name="Ada", last_name="L", emails=emails, linkedin_url=linkedin_url
        )
        intent = only(
            owed("candidate", data, ctx=PushContext(integration_context=ORG, manual_matched_member=member))
        )

        if sendable:
            assert intent.payload is not None and intent.refused is None
        else:
            assert intent.payload is None
            assert intent.refused is not None and "/emailAddresses" in intent.refused

    def test_urls_that_are_not_web_urls_are_left_out_so_the_candidate_still_lands(self) -> None:
        candidate = CANDIDATE | {"url": "see ATS", "linkedin_url": " https://www.linkedin.com/in/ada "}
        sent = candidate_record(candidate)
        assert (sent.external_profile_url, sent.linkedin_profile_url) == (
            None,
            "https://www.linkedin.com/in/ada",
        )

    def test_malformed_email_is_left_out_so_the_candidate_still_lands(self) -> None:
        candidate = CANDIDATE | {"emails": [{"address": "not-an-email"}, {"address": "ok@example.com"}]}
        assert candidate_record(candidate).email_addresses == ["ok@example.com"]

    def test_modified_time_is_never_before_created_time(self) -> None:
        sent = candidate_record(CANDIDATE | {"updated_at": EARLY})
        assert sent.ats_last_modified_at == sent.ats_created_at == CREATED_MS

    def test_unicode_names_are_sent_unchanged(self) -> None:
        candidate = CANDIDATE | {"first_name": "Zoë", "last_name": "Ñúñez-渡辺 🚀"}
        assert candidate_record(candidate) == but(
            CANDIDATE_RECORD, first_name="Zoë", last_name="Ñúñez-渡辺 🚀"
        )

    def test_deleted_candidate_is_deleted(self) -> None:
        intents = owed("candidate", tombstone("cand_42"), deleted=True)
        assert intents == [Intent("atsCandidates", "cand_42", Op.DELETE, None)]


class TestApplications:
    def test_created_application_follows_its_job_and_candidate_and_brings_its_stages(self) -> None:
        assert application_record(APPLICATION, APP_CTX) == APPLICATION_RECORD
        parent = ("atsApplications:app_7",)
        assert owed("application", APPLICATION, ctx=APP_CTX) == [
            Intent(
                "atsApplications",
                "app_7",
                Op.UPSERT,
                APPLICATION_RECORD.to_wire(),
                depends_on=("simpleJobPostings:job_17", "atsCandidates:cand_42"),
            ),
            Intent("atsApplications/stages", "app_7-0", Op.UPSERT, stage(EARLY_MS, "New"),
                   path_parent="app_7", depends_on=parent),
            Intent("atsApplications/stages", "app_7-1", Op.UPSERT, stage(LATER_MS, "Phone Interview"),
                   path_parent="app_7", depends_on=parent),
        ]  # fmt: skip

    @pytest.mark.parametrize(("status", "reason"), [("rejected", "Rejected"), ("withdrawn", "Withdrawn")])
    def test_updated_application_adds_a_stage_and_a_disposition(self, status: str, reason: str) -> None:
        history = [*APPLICATION["stage_history"], {"stage": "Rejected", "entered_at": UPDATED}]
        application = updated(APPLICATION, stage="Rejected", status=status, stage_history=history)
        expected = but(APPLICATION_RECORD, ats_last_modified_at=UPDATED_MS, disposition_reason=reason)
        assert application_record(application, APP_CTX) == expected
        intents = owed("application", application, ctx=APP_CTX)
        assert intents[0].payload == expected.to_wire()
        assert [(i.key, i.payload) for i in intents[1:]] == [
            ("app_7-0", stage(EARLY_MS, "New")),
            ("app_7-1", stage(LATER_MS, "Phone Interview")),
            ("app_7-2", stage(UPDATED_MS, "Rejected")),
        ]

    def test_hired_application_has_no_disposition(self) -> None:
        hired = updated(APPLICATION, status="hired")
        assert application_record(hired, APP_CTX).disposition_reason is None

    def test_application_without_history_shows_its_current_stage_since_applied(self) -> None:
        intents = owed("application", APPLICATION | {"stage_history": []}, ctx=APP_CTX)
        assert [(i.resource, i.key, i.payload) for i in intents[1:]] == [
            ("atsApplications/stages", "app_7-0", stage(EARLY_MS, "Phone Interview"))
        ]

    def test_stage_names_linkedin_refuses_are_not_sent(self) -> None:
        history = [
            {"stage": "Not Available", "entered_at": EARLY},
            {"stage": "  ", "entered_at": EARLY},
            {"stage": "Onsite", "entered_at": LATER},
        ]
        intents = owed("application", APPLICATION | {"stage_history": history}, ctx=APP_CTX)
        # The index stays the change's place in the history, so a stage's key never moves.
        assert [(i.key, i.payload) for i in intents[1:]] == [("app_7-2", stage(LATER_MS, "Onsite"))]

    @pytest.mark.parametrize(
        "ctx",
        [
            pytest.param(CTX, id="neither"),
            pytest.param(PushContext(integration_context=ORG, candidate=CANDIDATE), id="no-job"),
            pytest.param(PushContext(integration_context=ORG, job=JOB), id="no-candidate"),
        ],
    )
    def test_before_its_job_and_candidate_arrive_the_application_waits_with_nothing_to_send(
        self, ctx: PushContext
    ) -> None:
        intents = owed("application", APPLICATION, ctx=ctx)
        # Not refused: it is built again, with the embedded names, once both parents have arrived.
        assert intents[0] == Intent(
            "atsApplications",
            "app_7",
            Op.UPSERT,
            None,
            depends_on=("simpleJobPostings:job_17", "atsCandidates:cand_42"),
        )
        assert [i.key for i in intents[1:]] == ["app_7-0", "app_7-1"]

    @pytest.mark.parametrize(
        "ctx",
        [
            pytest.param(
                PushContext(integration_context=ORG, job=tombstone("job_17"), candidate=tombstone("cand_42")),
                id="both",
            ),
            pytest.param(
                PushContext(integration_context=ORG, job=tombstone("job_17"), candidate=CANDIDATE), id="job"
            ),
        ],
    )
    def test_with_its_job_known_only_as_a_tombstone_the_application_is_refused_not_sent_nameless(
        self, ctx: PushContext
    ) -> None:
        intents = owed("application", APPLICATION, ctx=ctx)
        refused = intents[0]
        assert (refused.resource, refused.key, refused.op, refused.depends_on) == (
            "atsApplications",
            "app_7",
            Op.UPSERT,
            ("simpleJobPostings:job_17", "atsCandidates:cand_42"),
        )
        assert refusal(refused) == ("atsApplications app_7", {"/atsJobPostingName"})
        assert [i.key for i in intents[1:]] == ["app_7-0", "app_7-1"]

    def test_deleted_application_from_a_tombstone_is_deleted(self) -> None:
        data = tombstone("app_7", candidate_id="cand_42", job_id="job_17")
        intents = owed("application", data, deleted=True)
        assert intents == [Intent("atsApplications", "app_7", Op.DELETE, None)]

    def test_deleted_application_with_its_last_record_deletes_its_stages_first(self) -> None:
        intents = owed("application", APPLICATION | {"deleted_at": UPDATED}, deleted=True)
        assert intents == [
            Intent("atsApplications/stages", "app_7-0", Op.DELETE, None, path_parent="app_7"),
            Intent("atsApplications/stages", "app_7-1", Op.DELETE, None, path_parent="app_7"),
            Intent("atsApplications", "app_7", Op.DELETE, None),
        ]


class TestNotes:
    def test_candidate_note_lives_under_its_candidate(self) -> None:
        note = NOTE | {"author_name": "Angela Smith"}
        expected = li.Note(
            ats_created_at=LATER_MS,
            note="Strong controls background.",
            author=li.Actor(first_name="Angela", last_name="Smith"),
        )
        assert note_record(note) == expected
        assert owed("note", note) == [
            Intent(
                "atsCandidates/notes",
                "note_3",
                Op.UPSERT,
                expected.to_wire(),
                path_parent="cand_42",
                depends_on=("atsCandidates:cand_42",),
            )
        ]

    def test_application_note_lives_under_its_application_with_the_author_user(self) -> None:
        note = updated(APP_NOTE, body="Updated: résumé reviewed ✓")
        expected = li.Note(ats_created_at=LATER_MS, note="Updated: résumé reviewed ✓", author=RITA)
        assert note_record(note, APP_CTX) == expected
        assert owed("note", note, ctx=APP_CTX) == [
            Intent(
                "atsApplications/notes",
                "note_4",
                Op.UPSERT,
                expected.to_wire(),
                path_parent="app_7",
                depends_on=("atsApplications:app_7",),
            )
        ]

    @pytest.mark.parametrize("author_name", [None, "Cher", "  "])
    def test_author_without_a_first_and_last_name_is_left_out(self, author_name: str | None) -> None:
        note = NOTE | {"author_name": author_name}
        expected = li.Note(ats_created_at=LATER_MS, note="Strong controls background.")
        assert note_record(note) == expected
        assert only(owed("note", note)).payload == expected.to_wire()

    def test_note_written_from_linkedin_is_not_sent_back(self) -> None:
        note = NOTE | {"external_id": "li-note-1", "visibility": {"linkedin_contract": "urn:li:contract:1"}}
        assert owed("note", note) == []
        assert owed("note", note | {"deleted_at": UPDATED}, deleted=True) == []

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
        intents = owed("note", tombstone("note_3", **parents), deleted=True)
        assert intents == [Intent(resource, "note_3", Op.DELETE, None, path_parent=parent)]


class TestInterviewFeedback:
    def test_created_feedback_lives_under_its_application(self) -> None:
        assert feedback_record(FEEDBACK, APP_CTX) == FEEDBACK_RECORD
        assert owed("interview_feedback", FEEDBACK, ctx=APP_CTX) == [
            Intent(
                "atsApplications/interviewFeedback",
                "fb_5",
                Op.UPSERT,
                FEEDBACK_RECORD.to_wire(),
                path_parent="app_7",
                depends_on=("atsApplications:app_7",),
            )
        ]

    @pytest.mark.parametrize(
        ("rating", "result"),
        [("strong_no", "Strong No"), ("no", "No"), ("yes", "Yes"), ("strong_yes", "Strong Yes")],
    )
    def test_updated_feedback_of_a_type_linkedin_lacks_is_sent_without_one(
        self, rating: str, result: str
    ) -> None:
        feedback = updated(FEEDBACK, interview_type="video", rating=rating, summary="Changed my mind.")
        expected = li.InterviewFeedback(
            ats_created_at=CREATED_MS,
            interviewer=RITA,
            feedback="Changed my mind.",
            evaluations=[li.InterviewEvaluation(attribute="Overall Rating", result=result)],
        )
        assert feedback_record(feedback, APP_CTX) == expected
        assert only(owed("interview_feedback", feedback, ctx=APP_CTX)).payload == expected.to_wire()

    def test_onsite_feedback_without_rating_or_known_interviewer(self) -> None:
        feedback = FEEDBACK | {"interview_type": "onsite", "rating": None, "summary": None}
        expected = li.InterviewFeedback(ats_created_at=CREATED_MS, interview_type="ONSITE")
        assert feedback_record(feedback) == expected
        assert only(owed("interview_feedback", feedback)).payload == expected.to_wire()

    def test_deleted_feedback_is_deleted_under_its_application(self) -> None:
        data = tombstone("fb_5", candidate_id="cand_42", job_id="job_17", application_id="app_7")
        intents = owed("interview_feedback", data, deleted=True)
        assert intents == [
            Intent("atsApplications/interviewFeedback", "fb_5", Op.DELETE, None, path_parent="app_7")
        ]


class TestKindsAndResources:
    @pytest.mark.parametrize("deleted", [False, True])
    def test_users_map_to_seats_not_records(self, deleted: bool) -> None:
        assert owed("user", USER, deleted=deleted) == []

    @pytest.mark.parametrize("deleted", [False, True])
    def test_a_kind_no_resource_is_fed_by_owes_nothing(self, deleted: bool) -> None:
        assert owed("email", {"id": "e_1"}, deleted=deleted) == []
        assert owed("email", {}, deleted=deleted) == []  # not even read

    def test_every_emitted_resource_is_declared_and_ordered_parents_first(self) -> None:
        restricted = JOB | {"restricted": True, "hiring_team": [{"user_id": "u_1", "role": "recruiter"}]}
        ctx = PushContext(integration_context=ORG, members={"u_1": MEMBER}, job=JOB, candidate=CANDIDATE)
        sources = [
            ("job", restricted),
            ("candidate", CANDIDATE),
            ("application", APPLICATION),
            ("note", NOTE),
            ("note", APP_NOTE),
            ("interview_feedback", FEEDBACK),
        ]
        emitted = [(kind, data, intent) for kind, data in sources for intent in owed(kind, data, ctx=ctx)]
        assert {intent.resource for _, _, intent in emitted} == {resource.name for resource in RESOURCES}
        for kind, data, intent in emitted:
            assert intent.refused is None, intent
            declared = RESOURCES[intent.resource]
            for dependency in intent.depends_on:
                assert RESOURCES.tier(dependency.split(":", 1)[0]) < declared.tier
            # A sub-collection row sits under its parent's key, and waits for that parent to land; a job's ACL
            # is filed under its job, which is not in its URL.
            assert (intent.path_parent is None) == (
                declared.parent is None and intent.resource != postings.ACLS.name
            )
            if declared.parent is not None and intent.path_parent is not None:
                assert declared.parent.ref(intent.path_parent) in intent.depends_on
            # Every row leads back to the record that owes it, except an assignee, which many jobs share.
            origin = None if intent.resource == "atsEntityAclAssignees" else (kind, data["id"])
            assert RESOURCES.origin(intent.resource, intent.key, intent.path_parent) == origin

    def test_resource_order(self) -> None:
        assert {resource.name: resource.tier for resource in RESOURCES} == {
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
        tiers = [resource.tier for resource in RESOURCES]
        assert tiers == sorted(tiers)
        assert all(RESOURCES.tier(resource.name) == resource.tier for resource in RESOURCES)
        with pytest.raises(ValueError, match="unknown resource"):
            RESOURCES.tier("atsIntegrations")

    def test_sub_collections_are_named_and_ordered_after_their_parent(self) -> None:
        parents = {resource.name: resource.parent.name for resource in RESOURCES if resource.parent}
        assert parents == {
            "atsCandidates/notes": "atsCandidates",
            "atsApplications/notes": "atsApplications",
            "atsApplications/interviewFeedback": "atsApplications",
            "atsApplications/stages": "atsApplications",
        }
        for resource in RESOURCES:
            if resource.parent is not None:
                assert resource.name.startswith(f"{resource.parent.name}/")
                assert resource.parent.tier < resource.tier
                assert RESOURCES[resource.parent.name] is resource.parent

    def test_linkedin_keys_of_records_and_sub_collections(self) -> None:
        candidate = candidates.candidate_key("cand_42", ORG)
        assert candidate == li.CandidateKey(ats_candidate_id="cand_42", integration_context=ORG)
        assert candidate.fields() == {
            "atsCandidateId": "cand_42",
            "dataProvider": "ATS",
            "integrationContext": ORG,
        }
        application = candidates.application_key("app_7", ORG)
        assert application == li.ApplicationKey(ats_job_application_id="app_7", integration_context=ORG)
        assert application.fields() == {
            "atsJobApplicationId": "app_7",
            "dataProvider": "ATS",
            "integrationContext": ORG,
        }
        # A stage is addressed by its own id under its application's key.
        assert candidates.stage_key("app_7", 0) == "app_7-0"
        assert RESOURCES.origin("atsApplications/stages", "app_7-0", "app_7") == ("application", "app_7")
        with pytest.raises(ValueError, match="unknown resource"):
            RESOURCES["seats"]


# ---- properties -------------------------------------------------------------------------------------

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
text = st.text(min_size=1, max_size=40)
optional_text = st.none() | text
ats_candidates = st.builds(
    ats.Candidate,
    id=st.text(min_size=1, max_size=20),
    version=st.integers(min_value=1, max_value=10**6),
    created_at=moments,
    updated_at=moments,
    first_name=text,
    last_name=text,
    emails=st.lists(
        st.builds(ats.EmailAddress, address=st.emails() | st.text(min_size=3, max_size=20)), max_size=3
    ),
    phones=st.lists(st.builds(ats.PhoneNumber, number=st.text(min_size=3, max_size=20)), max_size=3),
    linkedin_url=optional_text | st.from_regex(r"\Ahttps://www\.linkedin\.com/in/[a-z0-9-]{1,20}\Z"),
    current_company=optional_text,
    current_title=optional_text,
    location=st.none()
    | st.builds(ats.Location, city=optional_text, region=optional_text, country=optional_text),
    do_not_contact=st.booleans(),
    url=optional_text,
)


class TestProperties:
    @settings(max_examples=150, deadline=None)
    @given(candidate=ats_candidates, member=st.none() | st.just(MEMBER))
    def test_any_valid_candidate_has_every_required_field(
        self, candidate: ats.Candidate, member: str | None
    ) -> None:
        ctx = PushContext(integration_context=ORG, manual_matched_member=member)
        intent = only(owed("candidate", candidate.model_dump(mode="json"), ctx=ctx))
        matchable = (
            member or web_url(candidate.linkedin_url) or valid_emails([e.address for e in candidate.emails])
        )
        if not matchable:  # nothing to match it by: refused as built, never sent
            assert intent.payload is None and intent.refused is not None
            return
        assert (intent.resource, intent.key, intent.op, intent.refused) == (
            "atsCandidates",
            candidate.id,
            Op.UPSERT,
            None,
        )
        sent = candidates.candidate_record(candidate, ctx)
        assert intent.payload == sent.to_wire()
        assert (sent.first_name, sent.last_name) == (candidate.first_name, candidate.last_name)
        assert isinstance(sent.addresses, list)
        assert isinstance(sent.phone_numbers, list)
        assert all(EMAIL.match(email) for email in sent.email_addresses)
        assert sent.ats_created_at > 0
        assert sent.ats_last_modified_at >= sent.ats_created_at
        assert sent.manual_matched_member == member
        assert sent.do_not_contact is candidate.do_not_contact
        # What LinkedIn requires is on the wire even when empty; nothing on the wire is null.
        assert {"emailAddresses", "phoneNumbers", "addresses", "atsCreatedAt", "atsLastModifiedAt"} <= set(
            intent.payload
        )
        assert all(value is not None for value in intent.payload.values())
        assert ("manualMatchedMember" in intent.payload) == (member is not None)

    @settings(max_examples=200, deadline=None)
    @given(value=st.text(max_size=300), limit=st.integers(min_value=1, max_value=250))
    def test_truncation_is_a_prefix_within_the_utf16_limit(self, value: str, limit: int) -> None:
        cut = truncate_utf16(value, limit)
        assert value.startswith(cut)
        assert utf16_len(cut) <= limit
        assert utf16_len(cut) >= min(utf16_len(value), limit - 1)
