"""Every client method against the bundled LinkedIn simulator, in process through ASGI."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rsc_service.integrations.linkedin import (
    AppCredentials,
    AuthFailed,
    Category,
    Forbidden,
    LinkedInApp,
    LinkedInClient,
    Rejected,
    Retriable,
    Throttled,
    wire,
)
from rsc_service.simulators.linkedin.app import create_app
from rsc_service.simulators.linkedin.config import SimConfig

SIM = "http://linkedin.test"
ORG = "urn:li:organization:1001"
CONTRACT = "urn:li:contract:2001"
SEAT = "urn:li:seat:3001"
CUSTOMER = AppCredentials("sim-customer", "sim-customer-secret")
PARTNER = AppCredentials("sim-partner", "sim-partner-secret")
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NOW_MS = int(START.timestamp() * 1000)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Sim:
    """The simulator, the traffic the client sent it, and its `/_sim` controls."""

    def __init__(self, app: FastAPI, http: httpx.AsyncClient, sent: list[httpx.Request]) -> None:
        self.app = app
        self.http = http
        self.sent = sent

    async def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self.http.request(method, f"{SIM}/_sim{path}", json=body)
        assert response.is_success, response.text
        return response.json() if response.content else None

    async def advance(self, seconds: float) -> None:
        await self.control("POST", "/clock", {"advanceSeconds": seconds})

    async def fault(self, **rule: Any) -> None:
        await self.control("POST", "/faults", rule)


@contextlib.asynccontextmanager
async def running(config: SimConfig | None = None) -> AsyncIterator[Sim]:
    # push notifications are not what these tests look at; the customer's callback always says 200
    callbacks = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    app = create_app(config, clock=Clock(), http=callbacks)
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with (
        callbacks,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), event_hooks={"request": [record]}, timeout=5
        ) as http,
    ):
        yield Sim(app, http, sent)


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    async with running() as started:
        yield started


def make_client(sim: Sim, **options: Any) -> LinkedInClient:
    return LinkedInClient(sim.http, api_url=SIM, oauth_url=f"{SIM}/oauth/v2", clock=Clock(), **options)


@pytest.fixture
def customer(sim: Sim) -> LinkedInApp:
    return make_client(sim).for_app(CUSTOMER)


@pytest.fixture
def partner(sim: Sim) -> LinkedInApp:
    return make_client(sim).for_app(PARTNER)


def candidate_key(candidate_id: str) -> wire.CandidateKey:
    return wire.CandidateKey(ats_candidate_id=candidate_id, integration_context=ORG)


def candidate(email: str = "dan@candidates.example", first_name: str | None = "Dan") -> wire.AtsCandidate:
    return wire.AtsCandidate(
        ats_created_at=NOW_MS - 1000,
        ats_last_modified_at=NOW_MS,
        first_name=first_name,
        last_name="Candidate",
        email_addresses=[email],
        phone_numbers=[wire.PhoneNumber(number="+1 555 0100")],
        addresses=[],
    )


def job(job_id: str, title: str = "Senior Software Engineer") -> wire.SimpleJobPosting:
    return wire.SimpleJobPosting(
        integration_context=ORG,
        external_job_posting_id=job_id,
        title=title,
        description="Build things.",
        location="San Francisco, CA",
        availability="PRIVATE_TO_ATS_INTEGRATION",
        state="LISTED",
        company_apply_url=f"https://ats.example.com/jobs/{job_id}",
        listed_at=NOW_MS - 1000,
    )


APPLICATION = wire.ApplicationKey(ats_job_application_id="A 1", integration_context=ORG)
APPLICATION_RECORD = wire.AtsApplication(
    ats_candidate_id="C 1",
    ats_created_at=NOW_MS - 1000,
    ats_last_modified_at=NOW_MS,
    ats_job_posting_id="J1",
    ats_job_posting_name="Senior Software Engineer",
    candidate_email="dan@candidates.example",
    first_name="Dan",
    last_name="Candidate",
    source="Referral",
)
NOTE = wire.Note(
    ats_created_at=NOW_MS, note="Great resume.", author=wire.Actor(first_name="Rita", last_name="Book")
)


async def synced_job(sim: Sim, customer: LinkedInApp, job_id: str = "J1") -> None:
    created = await customer.create_jobs([job(job_id)])
    await sim.advance(10)
    tasks = await customer.get_job_tasks(list(created.ok.values()))
    assert [task.status for task in tasks.ok.values()] == ["SUCCEEDED"]


class TestJobs:
    async def test_jobs_are_created_as_tasks_that_finish_later(self, sim: Sim, customer: LinkedInApp) -> None:
        created = await customer.create_jobs([job("J1"), job("J2", title="x" * 201)])
        task_ids = [created.ok["J1"], created.ok["J2"]]

        early = await customer.get_job_tasks(task_ids)
        await sim.advance(10)
        late = await customer.get_job_tasks(task_ids)

        assert {task.status for task in early.ok.values()} == {"IN_PROGRESS"}
        good, bad = late.ok[task_ids[0]], late.ok[task_ids[1]]
        assert good.status == "SUCCEEDED"
        assert good.job_posting is not None
        assert good.job_posting.startswith("urn:li:jobPosting:")
        assert bad.status == "FAILED"
        assert bad.message is not None
        assert "title" in bad.message

    async def test_unknown_task_is_a_per_key_not_found(self, customer: LinkedInApp) -> None:
        result = await customer.get_job_tasks(["urn:li:simpleJobPostingTask:nope"])

        assert result.errors["urn:li:simpleJobPostingTask:nope"].status == 404


class TestCandidates:
    async def test_hundred_candidates_with_three_invalid(self, sim: Sim, customer: LinkedInApp) -> None:
        keys = [candidate_key(f"candidate {i:03d} (ü, ½)") for i in range(100)]
        bad = {
            keys[3]: candidate(first_name=None),
            keys[50]: candidate(email="not-an-email"),
            keys[99]: candidate(),
        }
        bad[keys[99]] = bad[keys[99]].model_copy(update={"ats_last_modified_at": NOW_MS - 5000})
        records = {key: bad.get(key, candidate(email=f"c{i}@example.com")) for i, key in enumerate(keys)}

        result = await customer.upsert_candidates(records)

        assert len(result.ok) == 97
        assert set(result.errors) == set(bad)
        assert all(error.category is Category.REJECTED and error.message for error in result.errors.values())
        assert "firstName" in result.errors[keys[3]].message
        # a hundred such keys pass 8 KB of URL: the batch went tunnelled and the simulator took it
        assert sim.sent[-1].headers["X-HTTP-Method-Override"] == "PUT"

    async def test_match_read_back_and_manual_match(self, customer: LinkedInApp) -> None:
        key = candidate_key("C 1")
        await customer.upsert_candidates({key: candidate()})

        matched = await customer.get_candidates([key])
        linked = await customer.set_manual_matches({key: "urn:li:person:m1005"})
        after = await customer.get_candidates([key, candidate_key("never synced")])

        assert matched.ok[key].matched_members == ["urn:li:person:m1004"]
        assert matched.ok[key].first_name == "Dan"
        assert linked.ok == {key: 204}
        assert after.ok[key].manual_matched_member == "urn:li:person:m1005"
        assert after.errors[candidate_key("never synced")].status == 404

    async def test_a_put_replaces_the_whole_record(self, customer: LinkedInApp) -> None:
        key = candidate_key("C 1")
        full = candidate().model_copy(
            update={"current_job_title": "QA", "manual_matched_member": "urn:li:person:m1005"}
        )
        await customer.upsert_candidates({key: full})

        await customer.upsert_candidates({key: candidate()})

        record = (await customer.get_candidates([key])).ok[key]
        assert (record.current_job_title, record.manual_matched_member) == (None, None)

    async def test_notes_and_delete(self, customer: LinkedInApp) -> None:
        key = candidate_key("C 1")
        await customer.upsert_candidates({key: candidate()})

        upserted = await customer.upsert_candidate_notes(key, {"NOTE 1": NOTE, "NOTE,2": NOTE})
        deleted_note = await customer.delete_candidate_notes(key, ["NOTE 1"])
        deleted = await customer.delete_candidates([key])
        gone = await customer.get_candidates([key])

        assert upserted.ok == {"NOTE 1": 204, "NOTE,2": 204}
        assert deleted_note.ok == {"NOTE 1": 204}
        assert deleted.ok == {key: 204}
        assert gone.errors[key].status == 404

    async def test_note_under_an_unknown_candidate_is_refused_per_key(self, customer: LinkedInApp) -> None:
        result = await customer.upsert_candidate_notes(candidate_key("ghost"), {"N1": NOTE})

        assert result.errors["N1"].status == 404


class TestApplications:
    async def test_application_and_its_parts(self, sim: Sim, customer: LinkedInApp) -> None:
        await synced_job(sim, customer)
        await customer.upsert_candidates({candidate_key("C 1"): candidate()})

        application = await customer.upsert_applications({APPLICATION: APPLICATION_RECORD})
        notes = await customer.upsert_application_notes(APPLICATION, {"APPL_NOTE_0001": NOTE})
        feedback = await customer.upsert_interview_feedback(
            APPLICATION,
            {
                "INTFB 1": wire.InterviewFeedback(
                    ats_created_at=NOW_MS,
                    evaluations=[wire.InterviewEvaluation(attribute="Verbal Communication", result="4/5")],
                    feedback="Great interview!",
                    interviewer=wire.Actor(first_name="Rita", last_name="Book"),
                    interview_type="PHONE_SCREEN",
                )
            },
        )
        stages = await customer.upsert_stages(
            APPLICATION,
            {
                "STAGE001": wire.ApplicationStage(ats_created_at=NOW_MS, stage="New"),
                "STAGE002": wire.ApplicationStage(ats_created_at=NOW_MS, stage="Not Available"),
            },
        )

        assert application.ok == {APPLICATION: 204}
        assert notes.ok == {"APPL_NOTE_0001": 204}
        assert feedback.ok == {"INTFB 1": 204}
        assert stages.ok == {"STAGE001": 204}
        assert stages.errors["STAGE002"].category is Category.REJECTED

        removed = [
            await customer.delete_application_notes(APPLICATION, ["APPL_NOTE_0001"]),
            await customer.delete_interview_feedback(APPLICATION, ["INTFB 1"]),
            await customer.delete_stages(APPLICATION, ["STAGE001"]),
            await customer.delete_applications([APPLICATION]),
        ]
        assert all(result.all_ok for result in removed)


class TestAcls:
    async def test_acls_and_assignees(self, customer: LinkedInApp) -> None:
        acl = wire.AclKey(ats_entity_acl_id="eng managers", integration_context=ORG, ats_entity_id="J1")
        assignee = wire.AclAssigneeKey(
            ats_entity_acl_id="eng managers", integration_context=ORG, assignee="urn:li:person:m1001"
        )

        assert (await customer.upsert_acls([acl])).ok == {acl: 204}
        assert (await customer.upsert_acl_assignees([assignee])).ok == {assignee: 204}
        found_acls = await customer.find_acls(ORG, ats_entity_id="J1")
        found_assignees = await customer.find_acl_assignees(ORG, assignee="urn:li:person:m1001")
        assert (await customer.delete_acl_assignees([assignee])).ok == {assignee: 204}
        assert (await customer.delete_acls([acl])).ok == {acl: 204}

        assert found_acls.elements == [acl]
        assert found_assignees.elements == [assignee]
        assert (await customer.find_acls(ORG, ats_entity_id="J1")).elements == []


class TestSetup:
    async def test_provisioning_with_the_partner_app(self, partner: LinkedInApp, sim: Sim) -> None:
        created = await partner.provision_application(
            wire.ProvisionedApplicationCreate(
                name="Sim ATS - Globex",
                unique_foreign_id="globex-1",
                valid_js_sdk_domains=["https://ats.example.com"],
            )
        )
        assert created.key is not None
        assert created.credentials is not None

        await partner.update_provisioned_application(
            created.key, oauth2_authorized_callback_urls=["https://ats.example.com/li/oauth"]
        )
        found = await partner.find_provisioned_application("globex-1")

        assert found is not None
        assert found.key == created.key
        assert found.oauth2_authorized_callback_urls == ["https://ats.example.com/li/oauth"]
        assert await partner.find_provisioned_application("nobody") is None
        with pytest.raises(Rejected) as duplicate:
            await partner.provision_application(
                wire.ProvisionedApplicationCreate(name="Again", unique_foreign_id="globex-1")
            )
        assert duplicate.value.status == 409
        child = make_client(sim).for_app(
            AppCredentials(created.credentials.client_id, created.credentials.client_secret)
        )
        with pytest.raises(Forbidden):  # a child app's token cannot provision
            await child.find_provisioned_application("globex-1")

    async def test_integrations_and_configurations(self, sim: Sim, customer: LinkedInApp) -> None:
        keys = [
            wire.IntegrationKey(integration_context=ORG, integration_type=kind)
            for kind in ("ONE_CLICK_EXPORT", "IN_ATS_INDICATOR", "PROFILE_PLUGIN")
        ] + [wire.IntegrationKey(integration_context=CONTRACT, integration_type="CSA_API")]
        export = keys[0]

        named = await customer.name_integrations(
            {key: f"Sim Customer {key.integration_type}" for key in keys}
        )
        read = await customer.get_integrations(keys)
        put = await customer.put_configurations(
            export,
            {
                "CALLBACK_URL": "https://ats.example.com/li/sim-customer",
                "JOB_POSTING_VIEWERS": "ALL_PRODUCT_USERS",
            },
        )
        got = await customer.get_configurations(export, ["CALLBACK_URL"])
        deleted = await customer.delete_configurations(export, ["JOB_POSTING_VIEWERS"])
        bad = await customer.put_configurations(export, {"CALLBACK_URL": "ftp://nowhere"})

        assert named.ok == dict.fromkeys(keys, 204)
        assert read.ok[export].integration_name == "Sim Customer ONE_CLICK_EXPORT"
        assert put.all_ok
        assert got.ok["CALLBACK_URL"].configuration_value.string == "https://ats.example.com/li/sim-customer"
        assert deleted.ok == {"JOB_POSTING_VIEWERS": 204}
        assert bad.errors["CALLBACK_URL"].category is Category.REJECTED

    async def test_integration_status_change(self, sim: Sim, customer: LinkedInApp) -> None:
        change = await sim.control("POST", "/admin/enable", {"clientId": "sim-customer", "enabled": False})

        page = await customer.get_integration_status(change["requestId"])

        assert page.elements
        assert {element.integration_context for element in page.elements} <= {ORG, CONTRACT}
        with pytest.raises(Forbidden, match="not enabled"):  # a disabled integration refuses whole requests
            await customer.upsert_candidates({candidate_key("C 1"): candidate()})


class TestRetrieval:
    async def test_one_click_export_and_closed_profiles(self, sim: Sim, customer: LinkedInApp) -> None:
        export = await sim.control("POST", "/exports", {"seat": 3001, "member": "m1004"})

        page = await customer.get_exported_candidates(export["requestId"])
        before = await customer.list_purged_exported_candidates()
        await sim.control("POST", "/members/m1004/close")
        after = await customer.list_purged_exported_candidates()

        (exported,) = page.elements
        assert exported.integration_context == ORG
        assert exported.candidate.member == "urn:li:person:m1004"
        assert exported.candidate.email_address == ["dan@candidates.example"]
        assert before.elements == []
        assert [element.member for element in after.elements] == ["urn:li:person:m1004"]
        assert sim.sent[-1].headers["LinkedIn-Version"] == "202604"

    async def test_seats(self, customer: LinkedInApp) -> None:
        page = await customer.list_seats([CONTRACT])

        assert sorted(str(seat.id) for seat in page.elements) == ["3001", "3002", "3003"]
        assert {seat.member for seat in page.elements} >= {"urn:li:person:m1001"}

    async def test_inmails_stubs_and_prospect_notes(self, sim: Sim, customer: LinkedInApp) -> None:
        to_eve = await sim.control("POST", "/inmails", {"seat": 3001, "member": "m1005", "subject": "Hi Eve"})
        to_dan = await sim.control("POST", "/inmails", {"seat": 3001, "member": "m1004", "subject": "Hi Dan"})
        await sim.control("POST", f"/inmails/{to_eve['id']}/reply", {"shareEmail": True})
        await sim.control("POST", f"/inmails/{to_dan['id']}/reply", {"sharePhone": True})
        note = await sim.control(
            "POST", "/prospect-notes", {"seat": 3001, "member": "m1005", "note": "call back"}
        )
        await sim.advance(1)
        now = NOW_MS + 1_000

        events = await customer.list_conversation_events(SEAT, window_start=now - 3_600_000, window_end=now)
        stubs = await customer.list_mail_stubs(CONTRACT, owners=[SEAT], created_start=NOW_MS, created_end=now)
        notes = await customer.list_prospect_notes(
            CONTRACT, owners=[SEAT], cutoff_date=note["lastModified"] - 1, before_date=now
        )

        assert sorted(event.subject or "" for event in events.elements) == [
            "Hi Dan",
            "Hi Eve",
            "Re: Hi Dan",
            "Re: Hi Eve",
        ]
        shared = {stub.member: (stub.email_address, stub.phone_numbers) for stub in stubs.elements}
        assert shared == {
            "urn:li:person:m1005": (["eve@candidates.example"], []),
            "urn:li:person:m1004": ([], [wire.PhoneNumber(number="+1 555 0100")]),
        }
        assert [(n.note, n.active) for n in notes.elements] == [("call back", True)]


class TestFailures:
    async def test_429_with_and_without_retry_after(self, sim: Sim, customer: LinkedInApp) -> None:
        await sim.fault(kind="throttle", retryAfter=7, count=1)
        with pytest.raises(Throttled) as with_header:
            await customer.list_seats([CONTRACT])
        await sim.fault(kind="throttle", count=1)
        with pytest.raises(Throttled) as without_header:
            await customer.list_seats([CONTRACT])

        assert with_header.value.retry_after == 7.0
        assert without_header.value.retry_after is None
        assert without_header.value.service_error_code == 101
        assert (await customer.list_seats([CONTRACT])).elements

    async def test_server_errors_resets_and_hangs_are_retriable(
        self, sim: Sim, customer: LinkedInApp
    ) -> None:
        await customer.list_seats([CONTRACT])  # token fetched before faults start
        for rule in (
            {"kind": "error", "status": 503},
            {"kind": "reset"},
            {"kind": "hang_before", "hangSeconds": 0.01},
        ):
            await sim.fault(count=1, pathPrefix="/v2/", **rule)
            with pytest.raises(Retriable):
                await customer.list_seats([CONTRACT])

    async def test_expired_token_is_refreshed_on_401(self, sim: Sim, customer: LinkedInApp) -> None:
        await customer.list_seats([CONTRACT])
        await sim.advance(1801)  # only LinkedIn's clock moves: the client still trusts its token

        page = await customer.list_seats([CONTRACT])

        assert page.elements
        token_requests = [request for request in sim.sent if request.url.path == "/oauth/v2/accessToken"]
        assert len(token_requests) == 2

    async def test_bad_credentials(self, sim: Sim) -> None:
        app = make_client(sim).for_app(AppCredentials("sim-customer", "wrong"))

        with pytest.raises(AuthFailed):
            await app.list_seats([CONTRACT])

    async def test_another_customers_context_is_forbidden(self, customer: LinkedInApp) -> None:
        with pytest.raises(Forbidden):
            await customer.upsert_candidates(
                {
                    wire.CandidateKey(
                        ats_candidate_id="C1", integration_context="urn:li:organization:9999"
                    ): candidate()
                }
            )

    async def test_long_urls_are_tunnelled_and_would_otherwise_get_414(self, sim: Sim) -> None:
        keys = [candidate_key(f"candidate {i:03d} " + "x" * 60) for i in range(100)]
        tunnelling = make_client(sim).for_app(CUSTOMER)

        result = await tunnelling.get_candidates(keys)
        assert len(result.errors) == 100  # never synced: 404 per key, but the request itself went through
        tunnelled = sim.sent[-1]
        assert tunnelled.headers["X-HTTP-Method-Override"] == "GET"
        # The same query in the URL of a GET:
        direct = await sim.http.get(
            f"{tunnelled.url}?{tunnelled.content.decode()}",
            headers={"Authorization": tunnelled.headers["Authorization"]},
        )
        assert direct.status_code == 414

    async def test_queries_over_4_kb_are_tunnelled_though_the_url_is_under_its_limit(self) -> None:
        # 100 task URNs are a 7.5 KB query in a URL under 8 KB; LinkedIn answers such a query 414.
        task_ids = [f"urn:li:simpleJobPostingTask:{i:036d}" for i in range(100)]
        async with running(SimConfig(max_query_bytes=4096)) as strict:
            result = await make_client(strict).for_app(CUSTOMER).get_job_tasks(task_ids)

            assert len(result.errors) == 100  # unknown tasks: 404 per id, but the read itself went through
            assert strict.sent[-1].headers["X-HTTP-Method-Override"] == "GET"

    async def test_sync_budget_counts_records_not_requests(self) -> None:
        records = {candidate_key(f"C{i}"): candidate(email=f"c{i}@example.com") for i in range(100)}
        async with running(SimConfig(sync_records_per_window=150)) as small:
            customer = make_client(small).for_app(CUSTOMER)

            assert (await customer.upsert_candidates(records)).all_ok
            with pytest.raises(Throttled) as raised:
                await customer.upsert_candidates(records)

        assert raised.value.status == 429
