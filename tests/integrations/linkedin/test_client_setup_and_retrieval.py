"""What the provisioning, integration and retrieval calls send, and what they make of LinkedIn's answers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx

from rsc_service.integrations.linkedin import BatchResult, LinkedInApp, Retriable, wire
from rsc_service.integrations.linkedin.retrieval_calls import RetrievalCalls
from rsc_service.integrations.linkedin.setup_calls import SetupCalls

ORG = "urn:li:organization:1001"
ORG_ENC = "urn%3Ali%3Aorganization%3A1001"
CONTRACT = "urn:li:contract:2001"
CONTRACT_ENC = "urn%3Ali%3Acontract%3A2001"
SEAT = "urn:li:seat:7"
SEAT_ENC = "urn%3Ali%3Aseat%3A7"
EXPORT = wire.IntegrationKey(integration_context=ORG, integration_type=wire.IntegrationType.ONE_CLICK_EXPORT)
EXPORT_V1 = (
    f"dataProvider=ATS&integrationContext={ORG_ENC}&integrationType=ONE_CLICK_EXPORT&tenantType=RECRUITER"
)
EXPORT_IDS = (
    f"ids[0].dataProvider=ATS&ids[0].integrationContext={ORG_ENC}"
    "&ids[0].integrationType=ONE_CLICK_EXPORT&ids[0].tenantType=RECRUITER"
)
CSA = wire.IntegrationKey(integration_context=CONTRACT, integration_type=wire.IntegrationType.CSA_API)
CSA_V1 = f"dataProvider=ATS&integrationContext={CONTRACT_ENC}&integrationType=CSA_API&tenantType=RECRUITER"
PAGE = {"paging": {"start": 0, "count": 10, "total": 1, "links": []}}
PAGING = wire.Paging(start=0, count=10, total=1)
APP_URN = "urn:li:developerApplication:42"


@dataclass(frozen=True)
class Case:
    call: Callable[[LinkedInApp], Awaitable[object]]
    method: str
    target: str
    headers: dict[str, str | None]
    body: Any
    answer: Any
    result: object
    status: int = 200


CASES = {
    "provision_application": Case(
        lambda app: app.provision_application(
            wire.ProvisionedApplicationCreate(
                name="Acme ATS - Globex",
                unique_foreign_id="globex-1",
                description="Globex on Acme ATS",
                valid_js_sdk_domains=["https://ats.example.com"],
                oauth2_authorized_callback_urls=["https://ats.example.com/li/callback"],
            )
        ),
        "POST",
        "/v2/provisionedApplications",
        {"X-RestLi-Method": None},
        {
            "name": "Acme ATS - Globex",
            "uniqueForeignId": "globex-1",
            "description": "Globex on Acme ATS",
            "validJsSdkDomains": ["https://ats.example.com"],
            "oauth2AuthorizedCallbackUrls": ["https://ats.example.com/li/callback"],
        },
        {
            "key": APP_URN,
            "uniqueForeignId": "globex-1",
            "credentials": {"clientId": "cid", "clientSecret": "csecret"},
        },
        wire.ProvisionedApplication(
            key=APP_URN,
            unique_foreign_id="globex-1",
            credentials=wire.ProvisionedCredentials(client_id="cid", client_secret="csecret"),
        ),
        status=201,
    ),
    "update_provisioned_application": Case(
        lambda app: app.update_provisioned_application(
            APP_URN, valid_js_sdk_domains=["https://ats.example.com"]
        ),
        "POST",
        "/v2/provisionedApplications/urn%3Ali%3AdeveloperApplication%3A42",
        {"X-RestLi-Method": None},
        {"patch": {"$set": {"validJsSdkDomains": ["https://ats.example.com"]}}},
        None,
        None,
        status=204,
    ),
    "find_provisioned_application": Case(
        lambda app: app.find_provisioned_application("globex 1"),
        "GET",
        "/v2/provisionedApplications?q=credentialsByUniqueForeignId&uniqueForeignId=globex%201",
        {},
        None,
        {"elements": [{"key": APP_URN, "uniqueForeignId": "globex 1"}], **PAGE},
        wire.ProvisionedApplication(key=APP_URN, unique_foreign_id="globex 1"),
    ),
    "name_integrations": Case(
        lambda app: app.name_integrations({EXPORT: "Globex One-Click Export"}),
        "POST",
        f"/v2/atsIntegrations?{EXPORT_IDS}",
        {"X-RestLi-Method": "batch_partial_update"},
        {"entities": {EXPORT_V1: {"patch": {"$set": {"integrationName": "Globex One-Click Export"}}}}},
        {"results": {EXPORT_V1: {"status": 204}}, "errors": {}},
        BatchResult(ok={EXPORT: 204}),
    ),
    "get_integrations": Case(
        lambda app: app.get_integrations([CSA]),
        "GET",
        "/v2/atsIntegrations?"
        f"ids[0].dataProvider=ATS&ids[0].integrationContext={CONTRACT_ENC}&ids[0].integrationType=CSA_API"
        "&ids[0].tenantType=RECRUITER",
        {"X-RestLi-Method": None},
        None,
        {
            "results": {
                CSA_V1: {"integrationContext": CONTRACT, "integrationType": "CSA_API", "enabled": True}
            }
        },
        BatchResult(
            ok={
                CSA: wire.AtsIntegration(
                    integration_context=CONTRACT, integration_type="CSA_API", enabled=True
                )
            }
        ),
    ),
    "get_integration_status": Case(
        lambda app: app.get_integration_status("urn:li:request:9"),
        "GET",
        "/v2/atsIntegrations?q=request&requestId=urn%3Ali%3Arequest%3A9",
        {},
        None,
        {"elements": [{"integrationContext": ORG, "integrationType": "IN_ATS_INDICATOR"}], **PAGE},
        wire.Page[wire.AtsIntegration](
            elements=[wire.AtsIntegration(integration_context=ORG, integration_type="IN_ATS_INDICATOR")],
            paging=PAGING,
        ),
    ),
    "put_configurations": Case(
        lambda app: app.put_configurations(
            EXPORT,
            {"CALLBACK_URL": "https://ats.example.com/li/globex", "JOB_POSTING_VIEWERS": "ALL_PRODUCT_USERS"},
        ),
        "PUT",
        f"/v2/atsIntegrations/{EXPORT_V1}/configurations?ids=CALLBACK_URL&ids=JOB_POSTING_VIEWERS",
        {"X-RestLi-Method": "batch_update"},
        {
            "entities": {
                "CALLBACK_URL": {"configurationValue": {"string": "https://ats.example.com/li/globex"}},
                "JOB_POSTING_VIEWERS": {"configurationValue": {"string": "ALL_PRODUCT_USERS"}},
            }
        },
        {"results": {"CALLBACK_URL": {"status": 204}, "JOB_POSTING_VIEWERS": {"status": 204}}},
        BatchResult(ok={"CALLBACK_URL": 204, "JOB_POSTING_VIEWERS": 204}),
    ),
    "get_configurations": Case(
        lambda app: app.get_configurations(EXPORT, ["CALLBACK_URL"]),
        "GET",
        f"/v2/atsIntegrations/{EXPORT_V1}/configurations?ids=CALLBACK_URL",
        {},
        None,
        {
            "results": {"CALLBACK_URL": {"configurationValue": {"string": "https://x"}}},
            "statuses": {},
            "errors": {},
        },
        BatchResult(ok={"CALLBACK_URL": wire.IntegrationConfiguration.of("https://x")}),
    ),
    "delete_configurations": Case(
        lambda app: app.delete_configurations(EXPORT, ["JOB_POSTING_VIEWERS"]),
        "DELETE",
        f"/v2/atsIntegrations/{EXPORT_V1}/configurations?ids=JOB_POSTING_VIEWERS",
        {"X-RestLi-Method": None},
        None,
        {"results": {"JOB_POSTING_VIEWERS": {"status": 204}}},
        BatchResult(ok={"JOB_POSTING_VIEWERS": 204}),
    ),
    "get_exported_candidates": Case(
        lambda app: app.get_exported_candidates("urn:li:request:1"),
        "GET",
        "/v2/exportedCandidates?q=request&requestId=urn%3Ali%3Arequest%3A1",
        {"LinkedIn-Version": None},
        None,
        {
            "elements": [
                {
                    "candidate": {
                        "firstName": "Ada",
                        "emailAddress": "ada@example.com",
                        "member": "urn:li:person:ada",
                    },
                    "integrationContext": ORG,
                }
            ],
            **PAGE,
        },
        wire.Page[wire.ExportedCandidate](
            elements=[
                wire.ExportedCandidate(
                    candidate=wire.StubProfile(
                        first_name="Ada", email_address=["ada@example.com"], member="urn:li:person:ada"
                    ),
                    integration_context=ORG,
                )
            ],
            paging=PAGING,
        ),
    ),
    "list_purged_exported_candidates": Case(
        lambda app: app.list_purged_exported_candidates(start=10, count=5),
        "GET",
        "/rest/atsPurgedExportedCandidates?start=10&count=5",
        {"LinkedIn-Version": "202604", "X-Restli-Protocol-Version": "2.0.0"},
        None,
        {"elements": [{"member": "urn:li:person:gone", "integrationContext": ORG}], **PAGE},
        wire.Page[wire.PurgedExportedCandidate](
            elements=[wire.PurgedExportedCandidate(member="urn:li:person:gone", integration_context=ORG)],
            paging=PAGING,
        ),
    ),
    "list_seats": Case(
        lambda app: app.list_seats([CONTRACT]),
        "GET",
        f"/v2/seatsV2?q=attributes&contracts={CONTRACT_ENC}&states=ACTIVE&start=0&count=100",
        {"X-Restli-Protocol-Version": None},
        None,
        {
            "elements": [
                {
                    "id": 7,
                    "firstName": "Rita",
                    "lastName": "Book",
                    "contract": CONTRACT,
                    "member": "urn:li:person:rita",
                    "state": "ACTIVE",
                    "seatRoles": ["ADMIN_SEAT"],
                }
            ],
            **PAGE,
        },
        wire.Page[wire.Seat](
            elements=[
                wire.Seat(
                    id=7,
                    first_name="Rita",
                    last_name="Book",
                    contract=CONTRACT,
                    member="urn:li:person:rita",
                    state="ACTIVE",
                    seat_roles=["ADMIN_SEAT"],
                )
            ],
            paging=PAGING,
        ),
    ),
    "list_seats_by_attributes": Case(
        lambda app: app.list_seats_by_attributes([CONTRACT], start=100, count=50),
        "GET",
        f"/v2/seats?q=seatsByAttributes&contracts={CONTRACT_ENC}&start=100&count=50",
        {"X-Restli-Protocol-Version": None},
        None,
        {
            "elements": [
                {
                    "id": 7,
                    "contract": CONTRACT,
                    "member": "urn:li:person:rita",
                    "active": True,
                    "admin": False,
                    "email": "rita@acme.example",
                }
            ],
            **PAGE,
        },
        wire.Page[wire.Seat](
            elements=[
                wire.Seat(
                    id=7,
                    contract=CONTRACT,
                    member="urn:li:person:rita",
                    active=True,
                    admin=False,
                    email="rita@acme.example",
                )
            ],
            paging=PAGING,
        ),
    ),
    "list_conversation_events": Case(
        lambda app: app.list_conversation_events(SEAT, window_start=1_000, window_end=43_201_000),
        "GET",
        f"/v2/conversationEvents?q=criteria&viewer={SEAT_ENC}&timeRange.start=1000&timeRange.end=43201000&start=0&count=50",
        {},
        None,
        {"elements": [{"id": "e1", "createdAt": 2_000}], **PAGE},
        wire.Page[wire.ConversationEvent](
            elements=[wire.ConversationEvent(id="e1", created_at=2_000)], paging=PAGING
        ),
    ),
    "list_mail_stubs": Case(
        lambda app: app.list_mail_stubs(
            CONTRACT, owners=[SEAT, "urn:li:seat:8"], created_start=5, created_end=9
        ),
        "GET",
        f"/v2/mailStubs?q=contract&contract={CONTRACT_ENC}&owners={SEAT_ENC}&owners=urn%3Ali%3Aseat%3A8"
        "&createdDateStart=5&createdDateEnd=9&start=0&count=50",
        {},
        None,
        {"elements": [{"firstName": "Ada", "emailAddress": ["ada@example.com"], "owner": SEAT}], **PAGE},
        wire.Page[wire.MailStub](
            elements=[wire.MailStub(first_name="Ada", email_address=["ada@example.com"], owner=SEAT)],
            paging=PAGING,
        ),
    ),
    "list_prospect_notes": Case(
        lambda app: app.list_prospect_notes(
            CONTRACT, owners=[SEAT], cutoff_date=100, before_date=200, count=25
        ),
        "GET",
        f"/v2/prospectNotes?q=criteria&contract={CONTRACT_ENC}&owners={SEAT_ENC}&cutoffDate=100&beforeDate=200"
        "&start=0&count=25",
        {},
        None,
        {"elements": [{"id": 3, "active": False, "note": "call back", "lastModified": 150}], **PAGE},
        wire.Page[wire.ProspectNote](
            elements=[wire.ProspectNote(id=3, active=False, note="call back", last_modified=150)],
            paging=PAGING,
        ),
    ),
}


class TestSetupAndRetrievalCalls:
    @pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
    async def test_request_and_result(self, linkedin: respx.MockRouter, app: LinkedInApp, case: Case) -> None:
        route = linkedin.route(method=case.method).respond(case.status, json=case.answer)

        result = await case.call(app)

        request = route.calls.last.request
        assert request.url.raw_path.decode() == case.target
        assert request.headers["Authorization"] == "Bearer t1"
        for name, value in case.headers.items():
            assert request.headers.get(name) == value
        if case.body is None:
            assert request.content == b""
        else:
            assert json.loads(request.content) == case.body
        assert result == case.result

    def test_every_setup_and_retrieval_method_is_covered(self) -> None:
        public = {
            name for cls in (SetupCalls, RetrievalCalls) for name in vars(cls) if not name.startswith("_")
        }
        assert public == set(CASES)


class TestAnswersWorthNoting:
    async def test_provisioning_create_without_a_body_takes_the_key_from_the_header(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.post("/v2/provisionedApplications").respond(201, headers={"X-RestLi-Id": APP_URN})

        created = await app.provision_application(
            wire.ProvisionedApplicationCreate(name="n", unique_foreign_id="u")
        )

        assert (created.key, created.unique_foreign_id) == (APP_URN, "u")

    async def test_finding_no_provisioned_application_is_none(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.get("/v2/provisionedApplications").respond(
            200, json={"elements": [], "paging": {"start": 0, "count": 10}}
        )

        assert await app.find_provisioned_application("nobody") is None

    async def test_update_needs_something_to_change(self, app: LinkedInApp) -> None:
        with pytest.raises(ValueError, match="nothing to update"):
            await app.update_provisioned_application(APP_URN)

    @pytest.mark.parametrize(("begin", "end"), [(0, 43_200_001), (10, 5)])
    async def test_windows_over_twelve_hours_or_backwards_are_refused(
        self, linkedin: respx.MockRouter, app: LinkedInApp, begin: int, end: int
    ) -> None:
        route = linkedin.route()

        with pytest.raises(ValueError, match=r"12-hour|before it starts"):
            await app.list_conversation_events(SEAT, window_start=begin, window_end=end)
        with pytest.raises(ValueError, match=r"12-hour|before it starts"):
            await app.list_prospect_notes(CONTRACT, owners=[SEAT], cutoff_date=begin, before_date=end)

        assert not route.called

    async def test_retrieval_calls_spend_their_own_budgets(
        self, linkedin: respx.MockRouter, app: LinkedInApp, throttle: Any
    ) -> None:
        linkedin.route().respond(200, json={"elements": []})

        await app.list_mail_stubs(CONTRACT, owners=[SEAT])
        await app.get_exported_candidates("r")
        await app.list_seats([CONTRACT])
        await app.get_integration_status("r")
        await app.find_provisioned_application("u")

        assert [group for group, _ in throttle.acquired] == [
            "prospect",
            "exports",
            "prospect",  # seats share the prospect-interaction budget
            "integrations",
            "provisioning",
        ]

    async def test_unexpected_fields_are_kept(self, linkedin: respx.MockRouter, app: LinkedInApp) -> None:
        linkedin.get("/v2/seatsV2").respond(200, json={"elements": [{"id": "s1", "seatNote": "x"}]})

        page = await app.list_seats([CONTRACT])

        assert page.elements[0].model_extra == {"seatNote": "x"}

    async def test_a_page_that_is_not_a_page_is_retriable(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.get("/v2/seatsV2").mock(return_value=httpx.Response(200, json={"elements": "nope"}))

        with pytest.raises(Retriable, match="unreadable"):
            await app.list_seats([CONTRACT])

    async def test_an_unreadable_answer_names_fields_never_their_values(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        seat = {"id": 1, "email": "alice@sim-customer.example", "active": "sometimes"}
        linkedin.get("/v2/seatsV2").mock(return_value=httpx.Response(200, json={"elements": [seat]}))

        with pytest.raises(Retriable) as caught:
            await app.list_seats([CONTRACT])

        assert "unreadable answer from /v2/seatsV2: 1 invalid field(s): elements.0.active" in str(
            caught.value
        )
        assert "alice@" not in str(caught.value) and "sometimes" not in str(caught.value)
        assert caught.value.__cause__ is None
