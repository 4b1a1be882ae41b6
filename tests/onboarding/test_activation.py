"""Kick-off (A1, A2) from a LinkedIn world where nothing is provisioned: sign-in, provisioning, the
configuration plugin's request, and every way it is refused without changing anything."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from rsc_service import bootstrap
from rsc_service.context import AppContext
from rsc_service.linkedin_notifications import jobs as notification_jobs
from rsc_service.tenants.models import OAuthState, Stage, StageChange, Tenant, TenantIntegration
from tests.conftest import FrozenClock
from tests.factories import make_tenant
from tests.onboarding.conftest import (
    NOTHING_PROVISIONED,
    RSC_URL,
    Customer,
    World,
    ats_user,
    plugin,
    request_body,
    sign_in,
)

WEB_URL = "https://acme-robotics.ats.example"  # the fake ATS account's web_url


async def _tenant(ctx: AppContext, key: str) -> Tenant:
    async with ctx.sessionmaker() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.key == key))
        assert tenant is not None
        return tenant


async def _changes(ctx: AppContext, tenant: Tenant) -> list[tuple[Stage | None, Stage, str]]:
    async with ctx.sessionmaker() as session:
        rows = await session.scalars(
            select(StageChange).where(StageChange.tenant_id == tenant.id).order_by(StageChange.id)
        )
        return [(r.from_stage, r.to_stage, r.actor) for r in rows]


class TestKickOff:
    async def test_an_application_another_tenant_holds_is_a_conflict_and_stored_nowhere(
        self, world: World, customer: Customer
    ) -> None:
        owner = ats_user(world)
        assert (await sign_in(world, customer, owner)).status_code == 303
        urn = (await _tenant(world.ctx, customer.key)).linkedin_app_urn
        assert urn is not None
        async with world.ctx.sessionmaker.begin() as session:
            # An operator freed the customer's application and registered another tenant with it.
            await session.execute(
                update(Tenant).where(Tenant.key == customer.key).values(linkedin_app_urn=None)
            )
            other = await make_tenant(session, world.ctx, linkedin_app_urn=urn)

        again = await sign_in(world, customer, owner)

        assert again.status_code == 409, again.text
        assert again.json()["errors"] == [
            {"field": "linkedin_app_urn", "reason": f"another tenant has {urn!r}"}
        ]
        assert (await _tenant(world.ctx, customer.key)).linkedin_app_urn is None
        assert (await _tenant(world.ctx, other.tenant.key)).linkedin_app_urn == urn

    async def test_the_child_app_is_named_without_linkedin_in_any_case_within_50_utf16_units(
        self, world: World, customer: Customer
    ) -> None:
        async with world.ctx.sessionmaker.begin() as session:
            await session.execute(
                update(Tenant)
                .where(Tenant.key == customer.key)
                .values(name="LINKEDIN Fans of LinkedLinkedInIn " + "\U0001f680" * 20)
            )

        back = await sign_in(world, customer, ats_user(world))

        assert back.status_code == 303, back.text
        [app] = [a for a in world.li.apps.values() if a.kind == "child"]
        assert "linkedin" not in app.name.lower(), app.name
        assert app.name.startswith(f"{world.ctx.settings.onboarding.product_name} - Fans of ")
        assert len(app.name.encode("utf-16-le")) // 2 <= 50, app.name

    async def test_sign_in_provisions_the_child_app_and_the_plugin_request_makes_it_partner_ready(
        self, world: World, customer: Customer
    ) -> None:
        owner = ats_user(world)

        back = await sign_in(world, customer, owner)

        assert back.status_code == 303, back.text
        assert back.headers["location"] == f"{WEB_URL}/settings/integrations"
        # RSC-103: the child app carries this customer's own uniqueForeignId; RSC-105: the JS SDK domain.
        apps = [a for a in world.li.apps.values() if a.kind == "child"]
        assert [a.unique_foreign_id for a in apps] == [customer.key]
        assert apps[0].js_domains == [WEB_URL]
        tenant = await _tenant(world.ctx, customer.key)
        assert tenant.stage is Stage.REQUESTED
        assert tenant.linkedin_client_id == apps[0].client_id
        assert (
            tenant.linkedin_client_secret_enc
            and apps[0].client_secret not in tenant.linkedin_client_secret_enc
        )
        assert tenant.activated_by_member == "urn:li:person:m1001"

        answer = await plugin(world, customer)
        assert answer.status_code == 200, answer.text
        requested = await world.client.post(
            "/v1/integration/request", json=request_body(owner, answer.json()), headers=customer.auth
        )

        assert requested.status_code == 200, requested.text
        assert requested.json()["stage"] == "partner_ready"
        assert requested.json()["waiting_for"] == "linkedin_admin"
        tenant = await _tenant(world.ctx, customer.key)
        assert tenant.linkedin_organization_urn == "urn:li:organization:1001"
        # RSC-101: every integration is named after the customer, as a Recruiter admin will see it.
        names = {
            (r["integrationContext"], r["integrationType"]): r.get("integrationName")
            for r in world.li.collection("atsIntegrations").records.values()
        }
        assert names == {
            ("urn:li:organization:1001", "IN_ATS_INDICATOR"): "rsc-service for Acme Robotics",
            ("urn:li:organization:1001", "ONE_CLICK_EXPORT"): "rsc-service for Acme Robotics",
            ("urn:li:organization:1001", "PROFILE_PLUGIN"): "rsc-service for Acme Robotics",
            ("urn:li:contract:2001", "CSA_API"): "rsc-service for Acme Robotics",
        }
        # RSC-104: the callback URL, and ALL_PRODUCT_USERS viewers as the customer has no ACLs.
        configurations = {
            key: record["configurationValue"]
            for key, record in world.li.collection("configurations").records.items()
        }
        values = {dict(k).get("configuration", str(k)): v for k, v in configurations.items()}
        assert values["CALLBACK_URL"] == {"string": f"{RSC_URL}/v1/linkedin/notifications/{customer.key}"}
        assert values["JOB_POSTING_VIEWERS"] == {"string": "ALL_PRODUCT_USERS"}
        assert values["APPLICATION_VIEWERS"] == {"string": "ALL_PRODUCT_USERS"}
        async with world.ctx.sessionmaker() as session:
            integrations = (await session.scalars(select(TenantIntegration))).all()
        assert {(i.integration_type, i.status) for i in integrations} == {
            ("IN_ATS_INDICATOR", "REQUESTED"),
            ("ONE_CLICK_EXPORT", "REQUESTED"),
            ("PROFILE_PLUGIN", "REQUESTED"),
            ("CSA_API", "REQUESTED"),
        }
        assert await _changes(world.ctx, tenant) == [
            (None, Stage.REQUESTED, "operator"),
            (Stage.REQUESTED, Stage.PARTNER_READY, f"ats_user:{owner}"),
        ]

    async def test_a_second_kick_off_reuses_the_child_app(self, world: World, customer: Customer) -> None:
        owner = ats_user(world)
        assert (await sign_in(world, customer, owner)).status_code == 303
        first = (await _tenant(world.ctx, customer.key)).linkedin_client_id

        assert (await sign_in(world, customer, owner)).status_code == 303

        assert [a.client_id for a in world.li.apps.values() if a.kind == "child"] == [first]
        assert (await _tenant(world.ctx, customer.key)).linkedin_client_id == first

    async def test_the_status_names_who_must_act_and_shows_a_stalled_step(
        self, world: World, customer: Customer, clock: FrozenClock
    ) -> None:
        status = await world.client.get("/v1/integration", headers=customer.auth)
        assert status.status_code == 200
        assert status.json()["stage"] == "requested"
        assert status.json()["waiting_for"] == "ats_admin" and status.json()["stalled"] is False
        assert all(not f["active"] and f["reason"] == "not requested yet" for f in status.json()["features"])
        assert status.json()["job_availability"] == "PRIVATE_TO_ATS_INTEGRATION"

        clock.advance(seconds=10 * 60)

        assert (await world.client.get("/v1/integration", headers=customer.auth)).json()["stalled"] is True


class TestRequirements:
    @pytest.mark.parametrize(
        ("plan", "level", "active", "fields"),
        [
            ("standard", "owner", True, ["requirements.ats_plan"]),
            ("enterprise", "recruiter", True, ["requirements.ats_access_level"]),
            ("enterprise", "admin", False, ["requirements.ats_access_level"]),
            ("free", "hiring_manager", True, ["requirements.ats_plan", "requirements.ats_access_level"]),
        ],
    )
    async def test_the_ats_side_is_checked_at_kick_off(
        self, world: World, customer: Customer, plan: str, level: str, active: bool, fields: list[str]
    ) -> None:
        world.ats.change_account({"plan": plan})
        user = ats_user(world, level, active=active)

        refused = await world.client.post(
            "/v1/integration/activation", json={"ats_user_id": user}, headers=customer.auth
        )

        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "requirements_unmet"
        assert [e["field"] for e in refused.json()["errors"]] == fields
        async with world.ctx.sessionmaker() as session:
            assert (await session.scalars(select(OAuthState))).all() == []

    async def test_an_unknown_ats_user_is_named(self, world: World, customer: Customer) -> None:
        refused = await world.client.post(
            "/v1/integration/activation", json={"ats_user_id": "no-such-user"}, headers=customer.auth
        )
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["requirements.ats_user"]


LITE_WITHOUT_ADMIN: dict[str, Any] = NOTHING_PROVISIONED | {
    "contracts": [
        {"urn": "urn:li:contract:2001", "organization": "urn:li:organization:1001", "type": "RECRUITER_LITE"}
    ],
    "seats": [
        {"id": 3001, "contract": "urn:li:contract:2001", "member": "m1001", "roles": ["SOURCER_ADD_PROSPECT"]}
    ],
}


class TestLinkedInRequirements:
    @pytest.mark.parametrize("linkedin_seed", [LITE_WITHOUT_ADMIN])
    async def test_a_lite_contract_and_a_member_without_an_admin_seat_are_both_named(
        self, world: World, customer: Customer
    ) -> None:
        owner = ats_user(world)
        assert (await sign_in(world, customer, owner)).status_code == 303
        answer = await plugin(world, customer)
        assert answer.status_code == 200, answer.text
        world.ats.change_account({"plan": "standard"})  # and the ATS plan changed meanwhile

        refused = await world.client.post(
            "/v1/integration/request", json=request_body(owner, answer.json()), headers=customer.auth
        )

        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == [
            "requirements.ats_plan",
            "requirements.contract",
            "requirements.linkedin_admin_seat",
        ]
        assert "Recruiter Lite" in refused.json()["detail"]
        tenant = await _tenant(world.ctx, customer.key)
        assert tenant.stage is Stage.REQUESTED and tenant.linkedin_organization_urn is None
        assert world.li.collection("atsIntegrations").records == {}


class TestSignInRefusals:
    async def test_an_unknown_state_is_refused(self, world: World, customer: Customer) -> None:
        refused = await world.client.get(
            "/v1/linkedin/oauth/callback", params={"state": "forged", "code": "x"}
        )
        assert refused.status_code == 400 and refused.json()["code"] == "sign_in_expired"

    @pytest.mark.parametrize("linkedin_seed", [NOTHING_PROVISIONED | {"authorizeMember": None}])
    async def test_denied_consent_changes_nothing(self, world: World, customer: Customer) -> None:
        back = await sign_in(world, customer, ats_user(world))

        assert back.status_code == 403, back.text
        assert back.json()["code"] == "consent_denied"
        tenant = await _tenant(world.ctx, customer.key)
        assert tenant.linkedin_client_id is None and tenant.activated_by_member is None
        assert not [a for a in world.li.apps.values() if a.kind == "child"]

    async def test_an_expired_code_is_refused_and_changes_nothing(
        self, world: World, customer: Customer, clock: FrozenClock
    ) -> None:
        world.ctx.settings.onboarding.sign_in_minutes = 30  # our sign-in outlives LinkedIn's code
        owner = ats_user(world)
        started = await world.client.post(
            "/v1/integration/activation", json={"ats_user_id": owner}, headers=customer.auth
        )
        page = await world.linkedin.get(started.json()["sign_in_url"])

        clock.advance(seconds=11 * 60)  # the simulator's codes live 10 minutes
        back = await world.client.get(page.headers["location"].removeprefix(RSC_URL))

        assert back.status_code == 400, back.text
        assert back.json()["code"] == "bad_request"
        assert "refused the sign-in code" in back.json()["detail"]
        tenant = await _tenant(world.ctx, customer.key)
        assert tenant.linkedin_client_id is None

    async def test_a_used_state_cannot_be_replayed(self, world: World, customer: Customer) -> None:
        owner = ats_user(world)
        started = await world.client.post(
            "/v1/integration/activation", json={"ats_user_id": owner}, headers=customer.auth
        )
        location = (await world.linkedin.get(started.json()["sign_in_url"])).headers["location"]
        assert (await world.client.get(location.removeprefix(RSC_URL))).status_code == 303

        again = await world.client.get(location.removeprefix(RSC_URL))

        assert again.status_code == 400 and again.json()["code"] == "sign_in_expired"


class TestWrongStage:
    async def test_a_request_before_signing_in_is_409(self, world: World, customer: Customer) -> None:
        body = {
            "ats_user_id": ats_user(world),
            "member": {"id": "m1001", "seatRoles": ["ADMIN_SEAT"]},
            "contracts": [{"urn": "urn:li:contract:2001", "type": "RECRUITER_CORPORATE"}],
            "integrations": [
                {"integrationContext": "urn:li:organization:1001", "integrationType": "ONE_CLICK_EXPORT"}
            ],
        }
        refused = await world.client.post("/v1/integration/request", json=body, headers=customer.auth)
        assert refused.status_code == 409 and refused.json()["code"] == "wrong_stage"

    async def test_without_the_tenant_api_key_nothing_is_read(self, world: World, customer: Customer) -> None:
        for headers in ({}, {"Authorization": "Bearer rsc_not-a-key"}, {"Authorization": customer.api_key}):
            refused = await world.client.post(
                "/v1/integration/activation", content=b"{not json", headers=headers
            )
            assert refused.status_code == 401, refused.text


async def _partner_ready(world: World, customer: Customer) -> str:
    owner = ats_user(world)
    assert (await sign_in(world, customer, owner)).status_code == 303
    answer = await plugin(world, customer)
    requested = await world.client.post(
        "/v1/integration/request", json=request_body(owner, answer.json()), headers=customer.auth
    )
    assert requested.status_code == 200, requested.text
    return owner


async def _enable(world: World, customer: Customer, access: str) -> None:
    status = await world.client.get("/v1/integration", headers=customer.auth)
    enabled = await world.linkedin.post(
        "/_sim/admin/enable", json={"clientId": status.json()["js_sdk_api_key"], "access": access}
    )
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["delivery"]["delivered"] is True, enabled.json()["delivery"]
    await notification_jobs.process_pending_notifications(bootstrap.build(world.ctx))


class TestEnablement:
    async def test_rsc_101_the_integration_shows_under_the_customers_name_and_can_be_enabled(
        self, world: World, customer: Customer
    ) -> None:
        await _partner_ready(world, customer)
        shown = {r.get("integrationName") for r in world.li.collection("atsIntegrations").records.values()}
        assert shown == {"rsc-service for Acme Robotics"}

        await _enable(world, customer, "both")

        status = (await world.client.get("/v1/integration", headers=customer.auth)).json()
        assert status["stage"] == "enabled" and status["waiting_for"] == "service"
        assert all(f["active"] for f in status["features"]), status["features"]
        assert {i["status"] for i in status["integrations"]} == {"ENABLED"}
        tenant = await _tenant(world.ctx, customer.key)
        assert (await _changes(world.ctx, tenant))[-1] == (Stage.PARTNER_READY, Stage.ENABLED, "linkedin")

    async def test_a7_with_only_company_access_the_contract_features_stay_inactive_and_say_why(
        self, world: World, customer: Customer
    ) -> None:
        await _partner_ready(world, customer)

        await _enable(world, customer, "company")

        status = (await world.client.get("/v1/integration", headers=customer.auth)).json()
        assert status["stage"] == "enabled"
        features = {f["name"]: (f["active"], f["reason"]) for f in status["features"]}
        assert features["one_click_export"] == (True, None)
        assert features["sync_to_recruiter"] == (True, None)
        assert features["recruiter_notes_and_inmails"] == (False, "contract-level access is off")
        assert features["seats"] == (False, "contract-level access is off")


class TestCertificationModule1:
    async def test_rsc_104_the_configuration_holds_the_callback_url_and_all_product_users_viewers(
        self, world: World, customer: Customer
    ) -> None:
        await _partner_ready(world, customer)

        stored = {
            dict(key)["configuration"]: record["configurationValue"]["string"]
            for key, record in world.li.collection("configurations").records.items()
        }

        assert stored == {
            "CALLBACK_URL": f"{RSC_URL}/v1/linkedin/notifications/{customer.key}",
            "JOB_POSTING_VIEWERS": "ALL_PRODUCT_USERS",
            "APPLICATION_VIEWERS": "ALL_PRODUCT_USERS",
        }

    async def test_rsc_105_the_child_app_allows_the_ats_domain_for_the_js_sdk(
        self, world: World, customer: Customer
    ) -> None:
        await _partner_ready(world, customer)
        status = (await world.client.get("/v1/integration", headers=customer.auth)).json()

        # As LinkedIn's provisioning API answers it to the partner application.
        token = await world.linkedin.post(
            "/oauth/v2/accessToken",
            data={
                "grant_type": "client_credentials",
                "client_id": "sim-partner",
                "client_secret": "sim-partner-secret",
            },
        )
        found = await world.linkedin.get(
            "/v2/provisionedApplications",
            params={"q": "credentialsByUniqueForeignId", "uniqueForeignId": customer.key},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )

        assert found.status_code == 200, found.text
        [app] = found.json()["elements"]
        assert app["validJsSdkDomains"] == [WEB_URL]
        assert app["credentials"]["clientId"] == status["js_sdk_api_key"]
