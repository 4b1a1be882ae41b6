"""Customer onboarding from a world with nothing provisioned: 3-legged OAuth of the partner app,
provisioning, the configuration plugin (`/_sim/customers/connect`), naming and configuring the integrations,
and a LinkedIn admin's enabling with its signed notification."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from .conftest import CONTRACT, ORG, Sim, candidate, candidate_key, ids_v1, make_sim

EMPTY: dict[str, Any] = {"childApps": []}
CONTRACT_2 = "urn:li:contract:2002"
PARTNER = ("sim-partner", "sim-partner-secret")
REDIRECT = "https://ats.example/linkedin/oauth/callback"
CALLBACK = "https://ats.example/v1/linkedin/notifications/acme"
CHILD_APP = {
    "uniqueForeignId": "acme-001",
    "name": "Sim ATS - Acme",
    "description": "Acme's integration",
}
ORG_LEVEL = {"IN_ATS_INDICATOR", "ONE_CLICK_EXPORT", "PROFILE_PLUGIN"}


def two_contracts(**contract_2: Any) -> dict[str, Any]:
    """No child app; m1001 holds seats on two contracts of the organization."""
    return EMPTY | {
        "contracts": [
            {"urn": CONTRACT, "organization": ORG},
            {"urn": CONTRACT_2, "organization": ORG, "type": "RECRUITER_LITE"} | contract_2,
        ],
        "seats": [
            {"id": 3001, "contract": CONTRACT, "member": "m1001", "roles": ["ADMIN_SEAT"]},
            {"id": 3004, "contract": CONTRACT_2, "member": "m1001", "roles": ["SOURCER_ADD_PROSPECT"]},
            {"id": 3002, "contract": CONTRACT, "member": "m1002"},
        ],
    }


async def bearer(sim: Sim, client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await sim.token(client_id, secret)}"}


async def provision(sim: Sim) -> dict[str, str]:
    """Steps 1-2 without the member: a child app as the partner creates it; its credentials."""
    partner = await bearer(sim, *PARTNER)
    created = await sim.client.post("/v2/provisionedApplications", json=CHILD_APP, headers=partner)
    assert created.status_code == 201, created.text
    credentials: dict[str, str] = created.json()["credentials"]
    return credentials


def integration_key(context: str, kind: str) -> str:
    return f"integrationContext={context}&integrationType={kind}&tenantType=RECRUITER&dataProvider=ATS"


def integration_ids(integrations: list[dict[str, str]]) -> str:
    return "&".join(
        f"ids[{i}].integrationContext={x['integrationContext']}&ids[{i}].integrationType={x['integrationType']}"
        f"&ids[{i}].tenantType={x['tenantType']}&ids[{i}].dataProvider=ATS"
        for i, x in enumerate(integrations)
    )


async def configure(sim: Sim, child: dict[str, str], integration: str, name: str, value: str) -> None:
    response = await sim.client.put(
        f"/v2/atsIntegrations/{integration_key(ORG, integration)}/configurations?ids={name}",
        headers=child | {"X-RestLi-Method": "batch_update"},
        json={"entities": {name: {"configurationValue": {"string": value}}}},
    )
    assert response.status_code == 200
    assert response.json()["errors"] == {}, response.text


async def sync_candidate(sim: Sim, child: dict[str, str]) -> httpx.Response:
    return await sim.client.put(
        "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"]),
        json={"entities": {candidate_key("C1"): candidate()}},
        headers=child,
    )


async def seats(sim: Sim, child: dict[str, str]) -> httpx.Response:
    return await sim.client.get(f"/v2/seatsV2?q=attributes&contracts={CONTRACT}&start=0", headers=child)


class TestEmptyWorld:
    async def test_no_child_apps_leaves_the_customer_seats_and_partner(self) -> None:
        sim = make_sim(seed=EMPTY)
        state = (await sim.client.get("/_sim/state")).json()
        assert [(a["credentials"]["clientId"], a["kind"]) for a in state["apps"]] == [
            ("sim-partner", "partner")
        ]
        assert state["contracts"] == {CONTRACT: ORG}
        assert state["contractTypes"] == {CONTRACT: "RECRUITER_CORPORATE"}
        assert {s["member"] for s in state["seats"]} == {"m1001", "m1002", "m1003"}
        assert state["counts"]["atsIntegrations"] == 0
        assert state["counts"]["configurations"] == 0

    async def test_seeding_an_empty_world_at_run_time(self, sim: Sim) -> None:
        seeded = await sim.client.post("/_sim/seed", json=EMPTY)
        assert seeded.json() == {"seeded": True, "apps": ["sim-partner"]}
        assert not sim.world.collection("atsIntegrations").records
        assert (await sim.client.post("/_sim/admin/enable", json={})).status_code == 404


class TestContractType:
    async def test_seeded_types_are_stored_and_shown(self) -> None:
        sim = make_sim(seed=two_contracts())
        assert sim.world.contract_types == {CONTRACT: "RECRUITER_CORPORATE", CONTRACT_2: "RECRUITER_LITE"}
        state = (await sim.client.get("/_sim/state")).json()
        assert state["contractTypes"] == {CONTRACT: "RECRUITER_CORPORATE", CONTRACT_2: "RECRUITER_LITE"}

    async def test_an_unknown_type_is_refused_and_the_world_kept(self, sim: Sim) -> None:
        response = await sim.client.post("/_sim/seed", json=two_contracts(type="RECRUITER_PRO"))
        assert response.status_code == 400
        assert "RECRUITER_PRO" in response.json()["message"]
        assert "sim-customer" in sim.world.apps
        assert sim.world.contract_types == {CONTRACT: "RECRUITER_CORPORATE"}


class TestPartnerAuthorize:
    async def authorize(self, sim: Sim, redirect: str = REDIRECT, **params: str) -> httpx.Response:
        query = {"response_type": "code", "client_id": "sim-partner", "redirect_uri": redirect, "state": "s1"}
        return await sim.client.get("/oauth/v2/authorization", params=query | params)

    async def exchange(self, sim: Sim, code: str, redirect: str = REDIRECT) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": PARTNER[0],
            "client_secret": PARTNER[1],
        }
        return await sim.client.post("/oauth/v2/accessToken", data=form)

    @staticmethod
    def query(page: httpx.Response) -> dict[str, list[str]]:
        assert page.status_code == 302, page.text
        assert page.headers["location"].startswith(REDIRECT + "?")
        return parse_qs(urlsplit(page.headers["location"]).query)

    async def test_partner_app_without_registered_urls_takes_any_https_redirect(self) -> None:
        sim = make_sim(seed=EMPTY)
        query = self.query(await self.authorize(sim))
        assert query["state"] == ["s1"]
        token = await self.exchange(sim, query["code"][0])
        assert token.status_code == 200
        assert token.json()["scope"] == "r_liteprofile"
        member = {"Authorization": f"Bearer {token.json()['access_token']}"}
        me = await sim.client.get("/v2/me?fields=id", headers=member)
        assert me.json() == {"id": "m1001"}
        # the member token is for /v2/me only
        listing = "/v2/provisionedApplications?q=credentialsByUniqueForeignId&uniqueForeignId=x"
        assert (await sim.client.get(listing, headers=member)).status_code == 403

    async def test_redirects_that_are_refused(self) -> None:
        sim = make_sim(seed=EMPTY)
        for redirect in ("http://localhost:8000/cb", "/relative/cb", "https://ats.example/cb#frag", ""):
            page = await self.authorize(sim, redirect)
            assert page.status_code == 400, redirect
            assert page.json()["error"] == "invalid_request"
        local = make_sim(seed=EMPTY, allow_insecure_local=True)
        assert (await self.authorize(local, "http://localhost:8000/cb")).status_code == 302

    async def test_registered_partner_urls_are_the_only_ones_taken(self) -> None:
        partner = {
            "clientId": PARTNER[0],
            "clientSecret": PARTNER[1],
            "oauth2AuthorizedCallbackUrls": [REDIRECT],
        }
        sim = make_sim(seed=EMPTY | {"partner": partner})
        assert (await self.authorize(sim)).status_code == 302
        assert (await self.authorize(sim, "https://other.example/cb")).status_code == 400

    async def test_no_authorize_member_means_the_user_cancelled(self) -> None:
        sim = make_sim(seed=EMPTY | {"authorizeMember": None})
        query = self.query(await self.authorize(sim))
        assert query == {
            "error": ["user_cancelled_authorize"],
            "error_description": ["The user cancelled the authorization"],
            "state": ["s1"],
        }

    async def test_used_expired_and_mismatched_codes_are_invalid_requests(self) -> None:
        sim = make_sim(seed=EMPTY)
        used = self.query(await self.authorize(sim))["code"][0]
        assert (await self.exchange(sim, used)).status_code == 200
        expired = self.query(await self.authorize(sim))["code"][0]
        sim.clock.advance(seconds=601)
        mismatched = self.query(await self.authorize(sim))["code"][0]
        answers = [
            await self.exchange(sim, used),
            await self.exchange(sim, expired),
            await self.exchange(sim, mismatched, "https://other.example/cb"),
            await self.exchange(sim, "never-issued"),
        ]
        for answer in answers:
            assert answer.status_code == 400
            assert answer.json()["error"] == "invalid_request"
            assert answer.json()["error_description"].startswith("Unable to retrieve access token")


class TestConfigurationPlugin:
    async def test_defaults_to_the_authorize_member_and_the_contract_of_their_seat(self) -> None:
        sim = make_sim(seed=EMPTY)
        credentials = await provision(sim)
        response = await sim.client.post(
            "/_sim/customers/connect", json={"clientId": credentials["clientId"]}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["credentials"] == credentials
        assert body["organization"] == ORG
        assert body["contracts"] == [{"urn": CONTRACT, "type": "RECRUITER_CORPORATE"}]
        assert body["member"] == {"id": "m1001", "seatRoles": ["ADMIN_SEAT"]}
        assert body["integrations"] == [
            {"integrationContext": ORG, "integrationType": "IN_ATS_INDICATOR", "tenantType": "RECRUITER"},
            {"integrationContext": ORG, "integrationType": "ONE_CLICK_EXPORT", "tenantType": "RECRUITER"},
            {"integrationContext": ORG, "integrationType": "PROFILE_PLUGIN", "tenantType": "RECRUITER"},
            {"integrationContext": CONTRACT, "integrationType": "CSA_API", "tenantType": "RECRUITER"},
        ]
        app = sim.world.apps[credentials["clientId"]]
        assert (app.organization, app.contracts) == (ORG, [CONTRACT])

    async def test_several_contracts_and_none_chosen_is_a_409_that_connects_nothing(self) -> None:
        sim = make_sim(seed=two_contracts())
        credentials = await provision(sim)
        response = await sim.client.post(
            "/_sim/customers/connect", json={"clientId": credentials["clientId"]}
        )
        assert response.status_code == 409
        assert response.json()["contracts"] == [
            {"urn": CONTRACT, "type": "RECRUITER_CORPORATE"},
            {"urn": CONTRACT_2, "type": "RECRUITER_LITE"},
        ]
        assert response.json()["message"]
        app = sim.world.apps[credentials["clientId"]]
        assert (app.organization, app.contracts) == (None, [])
        chosen = await sim.client.post(
            "/_sim/customers/connect", json={"clientId": credentials["clientId"], "contracts": [CONTRACT_2]}
        )
        assert chosen.status_code == 200
        assert chosen.json()["organization"] == ORG
        assert chosen.json()["contracts"] == [{"urn": CONTRACT_2, "type": "RECRUITER_LITE"}]
        assert chosen.json()["member"] == {"id": "m1001", "seatRoles": ["SOURCER_ADD_PROSPECT"]}
        both = await sim.client.post(
            "/_sim/customers/connect",
            json={"clientId": credentials["clientId"], "contracts": [CONTRACT, CONTRACT_2]},
        )
        assert both.json()["member"]["seatRoles"] == ["ADMIN_SEAT", "SOURCER_ADD_PROSPECT"]
        assert [i["integrationContext"] for i in both.json()["integrations"]][-2:] == [CONTRACT, CONTRACT_2]

    async def test_seats_in_two_organizations_ask_for_a_choice_and_contracts_name_the_organization(
        self,
    ) -> None:
        other_org, other_contract = "urn:li:organization:1002", "urn:li:contract:2102"
        seed = two_contracts()
        seed["contracts"][1] = {"urn": other_contract, "organization": other_org}
        seed["seats"][1]["contract"] = other_contract
        sim = make_sim(seed=seed)
        credentials = await provision(sim)
        ask = await sim.client.post("/_sim/customers/connect", json={"clientId": credentials["clientId"]})
        assert ask.status_code == 409
        assert [c["urn"] for c in ask.json()["contracts"]] == [CONTRACT, other_contract]
        chosen = await sim.client.post(
            "/_sim/customers/connect",
            json={"clientId": credentials["clientId"], "contracts": [other_contract]},
        )
        assert chosen.json()["organization"] == other_org
        assert chosen.json()["integrations"][0]["integrationContext"] == other_org
        by_organization = await sim.client.post(
            "/_sim/customers/connect", json={"clientId": credentials["clientId"], "organization": ORG}
        )
        assert by_organization.json()["contracts"] == [{"urn": CONTRACT, "type": "RECRUITER_CORPORATE"}]
        assert by_organization.json()["member"]["seatRoles"] == ["ADMIN_SEAT"]

    async def test_a_named_member_with_one_seat_picks_its_contract(self) -> None:
        sim = make_sim(seed=two_contracts())
        credentials = await provision(sim)
        response = await sim.client.post(
            "/_sim/customers/connect",
            json={"clientId": credentials["clientId"], "member": "urn:li:person:m1002"},
        )
        assert response.status_code == 200
        assert [c["urn"] for c in response.json()["contracts"]] == [CONTRACT]
        assert response.json()["member"] == {"id": "m1002", "seatRoles": ["SOURCER_ADD_PROSPECT"]}

    async def test_a_member_without_a_seat(self) -> None:
        sim = make_sim(seed=EMPTY)
        credentials = await provision(sim)
        unnamed = await sim.client.post(
            "/_sim/customers/connect", json={"clientId": credentials["clientId"], "member": "m1004"}
        )
        assert unnamed.status_code == 422
        named = await sim.client.post(
            "/_sim/customers/connect",
            json={"clientId": credentials["clientId"], "member": "m1004", "organization": ORG},
        )
        assert named.status_code == 200
        assert named.json()["contracts"] == [{"urn": CONTRACT, "type": "RECRUITER_CORPORATE"}]
        assert named.json()["member"] == {"id": "m1004", "seatRoles": []}
        unknown = await sim.client.post(
            "/_sim/customers/connect", json={"clientId": credentials["clientId"], "member": "m9"}
        )
        assert unknown.status_code == 404

    async def test_the_original_body_still_connects_new_customers(self) -> None:
        sim = make_sim(seed=EMPTY)
        credentials = await provision(sim)
        response = await sim.client.post(
            "/_sim/customers/connect",
            json={
                "clientId": credentials["clientId"],
                "organization": "urn:li:organization:7",
                "contracts": ["urn:li:contract:7"],
            },
        )
        assert response.status_code == 200
        assert response.json()["contracts"] == [{"urn": "urn:li:contract:7", "type": "RECRUITER_CORPORATE"}]
        assert response.json()["member"] == {"id": "m1001", "seatRoles": []}
        assert sim.world.contracts["urn:li:contract:7"] == "urn:li:organization:7"

    async def test_contracts_must_belong_to_the_organization_and_it_to_one_app(self, sim: Sim) -> None:
        credentials = await provision(sim)
        foreign = await sim.client.post(
            "/_sim/customers/connect",
            json={
                "clientId": credentials["clientId"],
                "organization": "urn:li:organization:7",
                "contracts": [CONTRACT],
            },
        )
        assert foreign.status_code == 422
        # the default world's sim-customer already holds the organization
        taken = await sim.client.post("/_sim/customers/connect", json={"clientId": credentials["clientId"]})
        assert taken.status_code == 409
        assert "contracts" not in taken.json()
        again = await sim.client.post("/_sim/customers/connect", json={"clientId": "sim-customer"})
        assert again.status_code == 200


class TestOnboardingFlow:
    async def test_from_nothing_provisioned_to_an_enabled_customer(self) -> None:
        sim = make_sim(seed=EMPTY)
        # (1) 3-legged OAuth of the partner app, then /v2/me
        page = await sim.client.get(
            "/oauth/v2/authorization",
            params={"response_type": "code", "client_id": "sim-partner", "redirect_uri": REDIRECT},
        )
        code = parse_qs(urlsplit(page.headers["location"]).query)["code"][0]
        member_token = await sim.client.post(
            "/oauth/v2/accessToken",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "client_id": PARTNER[0],
                "client_secret": PARTNER[1],
            },
        )
        me = await sim.client.get(
            "/v2/me", headers={"Authorization": f"Bearer {member_token.json()['access_token']}"}
        )
        assert me.json()["id"] == "m1001"

        # (2) provision the child app, then register its widget domains and redirect URLs
        partner = await bearer(sim, *PARTNER)
        created = await sim.client.post("/v2/provisionedApplications", json=CHILD_APP, headers=partner)
        assert created.status_code == 201
        key, credentials = created.json()["key"], created.json()["credentials"]
        patch = {
            "patch": {
                "$set": {
                    "validJsSdkDomains": ["https://acme.ats.example"],
                    "oauth2AuthorizedCallbackUrls": ["https://acme.ats.example/linkedin/callback"],
                }
            }
        }
        updated = await sim.client.post(f"/v2/provisionedApplications/{key}", json=patch, headers=partner)
        assert updated.status_code == 204
        child = await bearer(sim, credentials["clientId"], credentials["clientSecret"])
        assert (await sync_candidate(sim, child)).status_code == 403  # not connected to any customer

        # (3) the configuration plugin
        plugin = (
            await sim.client.post("/_sim/customers/connect", json={"clientId": credentials["clientId"]})
        ).json()
        integrations = plugin["integrations"]
        blocked = await sync_candidate(sim, child)  # connected, not enabled
        assert blocked.status_code == 403
        assert blocked.json()["message"] == f"Integration is not enabled for integrationContext {ORG}"

        # (4) name the integrations, write the configurations
        named = await sim.client.post(
            "/v2/atsIntegrations?" + integration_ids(integrations),
            headers=child | {"X-RestLi-Method": "batch_partial_update"},
            json={
                "entities": {
                    integration_key(i["integrationContext"], i["integrationType"]): {
                        "patch": {"$set": {"integrationName": f"Acme {i['integrationType']}"}}
                    }
                    for i in integrations
                }
            },
        )
        assert named.json()["errors"] == {}
        await configure(sim, child, "ONE_CLICK_EXPORT", "CALLBACK_URL", CALLBACK)
        await configure(sim, child, "ONE_CLICK_EXPORT", "JOB_POSTING_VIEWERS", "ALL_PRODUCT_USERS")
        await configure(sim, child, "IN_ATS_INDICATOR", "APPLICATION_VIEWERS", "ALL_PRODUCT_USERS")
        listed = await sim.client.get("/v2/atsIntegrations?" + integration_ids(integrations), headers=child)
        assert {r["status"] for r in listed.json()["results"].values()} == {"DISABLED"}
        assert (await sync_candidate(sim, child)).status_code == 403
        assert sim.receiver.posts == []

        # (5) a LinkedIn admin enables: challenge, then a signed INTEGRATION_STATUS_CHANGE
        sim.receiver.secret = credentials["clientSecret"]
        enabled = await sim.client.post("/_sim/admin/enable", json={"clientId": credentials["clientId"]})
        assert enabled.status_code == 200
        assert enabled.json()["delivery"]["delivered"] is True
        assert enabled.json()["delivery"]["url"] == CALLBACK
        app_id = sim.world.apps[credentials["clientId"]].app_id
        assert sim.receiver.challenges[0]["applicationId"] == str(app_id)
        headers, body = sim.receiver.posts[0]
        expected = hmac.new(
            credentials["clientSecret"].encode(), b"hmacsha256=" + body, hashlib.sha256
        ).hexdigest()
        assert headers["x-li-signature"] == expected
        assert headers["content-type"] == "application/json"
        payload = json.loads(body)
        assert payload["type"] == "INTEGRATION_STATUS_CHANGE"
        assert payload["id"] == enabled.json()["requestId"]
        assert payload["id"].startswith("urn:li:request:")
        assert set(payload) == {"type", "id", "expiresAt"}

        found = await sim.client.get(
            f"/v2/atsIntegrations?q=request&requestId={payload['id']}", headers=child
        )
        assert found.status_code == 200
        elements = found.json()["elements"]
        assert {(e["integrationContext"], e["integrationType"]) for e in elements} == {
            (i["integrationContext"], i["integrationType"]) for i in integrations
        }
        assert {e["status"] for e in elements} == {"ENABLED"}
        assert {e["integrationName"] for e in elements} == {f"Acme {t}" for t in ORG_LEVEL | {"CSA_API"}}
        assert (await sync_candidate(sim, child)).status_code == 200
        assert (await seats(sim, child)).status_code == 200

    async def test_configurations_wait_for_the_integration_to_be_named(self) -> None:
        sim = make_sim(seed=EMPTY)
        credentials = await provision(sim)
        await sim.client.post("/_sim/customers/connect", json={"clientId": credentials["clientId"]})
        child = await bearer(sim, credentials["clientId"], credentials["clientSecret"])
        early = await sim.client.put(
            f"/v2/atsIntegrations/{integration_key(ORG, 'ONE_CLICK_EXPORT')}/configurations?ids=CALLBACK_URL",
            headers=child | {"X-RestLi-Method": "batch_update"},
            json={"entities": {"CALLBACK_URL": {"configurationValue": {"string": CALLBACK}}}},
        )
        assert early.json()["errors"]["CALLBACK_URL"] == {"status": 404, "message": "Parent entity not found"}

    async def test_enabling_an_app_no_customer_connected_is_a_409(self) -> None:
        sim = make_sim(seed=EMPTY)
        credentials = await provision(sim)
        response = await sim.client.post("/_sim/admin/enable", json={"clientId": credentials["clientId"]})
        assert response.status_code == 409

    async def test_another_customers_token_cannot_read_the_status_request(self) -> None:
        sim = make_sim(seed=EMPTY)
        credentials = await provision(sim)
        await sim.client.post("/_sim/customers/connect", json={"clientId": credentials["clientId"]})
        enabled = (
            await sim.client.post("/_sim/admin/enable", json={"clientId": credentials["clientId"]})
        ).json()
        assert enabled["delivery"]["attempts"] == [{"error": "no CALLBACK_URL configured for this customer"}]
        other = (
            await sim.client.post(
                "/v2/provisionedApplications",
                json=CHILD_APP | {"uniqueForeignId": "other"},
                headers=await bearer(sim, *PARTNER),
            )
        ).json()["credentials"]
        stranger = await bearer(sim, other["clientId"], other["clientSecret"])
        url = f"/v2/atsIntegrations?q=request&requestId={enabled['requestId']}"
        assert (await sim.client.get(url, headers=stranger)).json()["elements"] == []
        owner = await bearer(sim, credentials["clientId"], credentials["clientSecret"])
        assert len((await sim.client.get(url, headers=owner)).json()["elements"]) == 4


class TestGating:
    async def test_provisioned_but_not_enabled_child_gets_403_on_data(self) -> None:
        sim = make_sim(seed=EMPTY)
        credentials = await provision(sim)
        child = await bearer(sim, credentials["clientId"], credentials["clientSecret"])
        await sim.client.post("/_sim/customers/connect", json={"clientId": credentials["clientId"]})
        prospect_notes = (
            f"/v2/prospectNotes?q=criteria&contract={CONTRACT}&owners=urn:li:seat:3001"
            "&cutoffDate=1772438400000&beforeDate=1772442000000"
        )
        for response in (
            await sync_candidate(sim, child),
            await sim.client.get("/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"]), headers=child),
            await seats(sim, child),
            await sim.client.get(prospect_notes, headers=child),
        ):
            assert response.status_code == 403, response.text
            assert response.json()["message"].startswith("Integration is not enabled")
        await sim.client.post("/_sim/admin/enable", json={"clientId": credentials["clientId"]})
        assert (await sync_candidate(sim, child)).status_code == 200
        assert (await sim.client.get(prospect_notes, headers=child)).status_code == 200
        await sim.client.post(
            "/_sim/admin/enable", json={"clientId": credentials["clientId"], "enabled": False}
        )
        assert (await sync_candidate(sim, child)).status_code == 403
        assert (await seats(sim, child)).status_code == 403
