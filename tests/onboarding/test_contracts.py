"""Several contracts (A6) and several customers (RSC-103): each customer instance has its own child
application, and each one's traffic uses only its own credentials."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.tenants.models import Tenant, TenantContract, TenantIntegration
from tests.factories import make_tenant
from tests.onboarding.conftest import (
    ATS_TOKEN,
    ATS_URL,
    NOTHING_PROVISIONED,
    Customer,
    World,
    ats_user,
    plugin,
    request_body,
    sign_in,
)

ORG = "urn:li:organization:1001"
TWO_CONTRACTS: dict[str, Any] = NOTHING_PROVISIONED | {
    "contracts": [
        {"urn": "urn:li:contract:2001", "organization": ORG},
        {"urn": "urn:li:contract:2002", "organization": ORG},
    ],
    "seats": [
        {"id": 3001, "contract": "urn:li:contract:2001", "member": "m1001", "roles": ["ADMIN_SEAT"]},
        {"id": 3002, "contract": "urn:li:contract:2002", "member": "m1001", "roles": ["ADMIN_SEAT"]},
    ],
}
TWO_CUSTOMERS: dict[str, Any] = NOTHING_PROVISIONED | {
    "organizations": [ORG, "urn:li:organization:1002"],
    "contracts": [
        {"urn": "urn:li:contract:2001", "organization": ORG},
        {"urn": "urn:li:contract:2002", "organization": "urn:li:organization:1002"},
    ],
    "seats": [
        {"id": 3001, "contract": "urn:li:contract:2001", "member": "m1001", "roles": ["ADMIN_SEAT"]},
        {"id": 3002, "contract": "urn:li:contract:2002", "member": "m1002", "roles": ["ADMIN_SEAT"]},
    ],
}


async def _partner_ready(world: World, customer: Customer, *, member: str, contracts: list[str]) -> str:
    owner = ats_user(world, email=f"owner-{customer.key}@acme.example")
    await world.linkedin.put("/_sim/authorize-member", json={"member": member})
    assert (await sign_in(world, customer, owner)).status_code == 303
    answer = await plugin(world, customer, member=member, contracts=contracts)
    assert answer.status_code == 200, answer.text
    requested = await world.client.post(
        "/v1/integration/request", json=request_body(owner, answer.json()), headers=customer.auth
    )
    assert requested.status_code == 200, requested.text
    return owner


async def _adding_the_second_contract(world: World, customer: Customer) -> dict[str, Any]:
    """Set up with contract 2001; the plugin's answer once the admin picks 2002 too, as the request body."""
    owner = await _partner_ready(world, customer, member="m1001", contracts=["urn:li:contract:2001"])
    answer = await plugin(
        world, customer, member="m1001", contracts=["urn:li:contract:2001", "urn:li:contract:2002"]
    )
    return request_body(owner, answer.json())


async def _stored(world: World) -> tuple[list[str], list[str]]:
    """The tenant's contracts and its CSA_API integrations, as stored."""
    async with world.ctx.sessionmaker() as session:
        contracts = (await session.scalars(select(TenantContract.contract_urn))).all()
        statuses = (
            await session.scalars(
                select(TenantIntegration.integration_context).where(
                    TenantIntegration.integration_type == "CSA_API"
                )
            )
        ).all()
    return sorted(contracts), sorted(statuses)


class TestSeveralContracts:
    @pytest.mark.parametrize("linkedin_seed", [TWO_CONTRACTS])
    async def test_a_contract_added_after_setup_gets_its_own_contract_level_integration(
        self, world: World, customer: Customer
    ) -> None:
        body = await _adding_the_second_contract(world, customer)

        added = await world.client.post("/v1/integration/contracts", json=body, headers=customer.auth)

        assert added.status_code == 200, added.text
        assert added.json()["stage"] == "partner_ready"
        csa = {
            r["integrationContext"]
            for r in world.li.collection("atsIntegrations").records.values()
            if r["integrationType"] == "CSA_API"
        }
        assert csa == {"urn:li:contract:2001", "urn:li:contract:2002"}
        contracts, statuses = await _stored(world)
        assert contracts == ["urn:li:contract:2001", "urn:li:contract:2002"]
        assert statuses == ["urn:li:contract:2001", "urn:li:contract:2002"]

        again = await world.client.post("/v1/integration/contracts", json=body, headers=customer.auth)
        assert again.status_code == 409

    async def test_before_the_integration_is_requested_no_contract_is_added(
        self, world: World, customer: Customer
    ) -> None:
        body = {
            "ats_user_id": ats_user(world),
            "member": {"id": "m1001", "seatRoles": ["ADMIN_SEAT"]},
            "contracts": [{"urn": "urn:li:contract:2002", "type": "RECRUITER_CORPORATE"}],
            "integrations": [{"integrationContext": "urn:li:contract:2002", "integrationType": "CSA_API"}],
        }
        refused = await world.client.post("/v1/integration/contracts", json=body, headers=customer.auth)
        assert refused.status_code == 409 and refused.json()["code"] == "wrong_stage"


def _named_twice(body: dict[str, Any], urn: str) -> dict[str, Any]:
    """The plugin's answer with one contract, and its CSA_API integration, named a second time."""
    contract = next(c for c in body["contracts"] if c["urn"] == urn)
    csa = next(i for i in body["integrations"] if i["integrationContext"] == urn)
    return body | {
        "contracts": [*body["contracts"], dict(contract)],
        "integrations": [*body["integrations"], dict(csa)],
    }


class TestAContractNamedTwice:
    """Else a 500 (UNIQUE constraint) after the integrations were already named at LinkedIn."""

    @pytest.mark.parametrize("linkedin_seed", [TWO_CONTRACTS])
    async def test_the_integration_request_connects_it_once(self, world: World, customer: Customer) -> None:
        owner = ats_user(world, email=f"owner-{customer.key}@acme.example")
        await world.linkedin.put("/_sim/authorize-member", json={"member": "m1001"})
        assert (await sign_in(world, customer, owner)).status_code == 303
        answer = await plugin(world, customer, member="m1001", contracts=["urn:li:contract:2001"])
        body = _named_twice(request_body(owner, answer.json()), "urn:li:contract:2001")

        requested = await world.client.post("/v1/integration/request", json=body, headers=customer.auth)

        assert requested.status_code == 200, requested.text
        assert await _stored(world) == (["urn:li:contract:2001"], ["urn:li:contract:2001"])

    @pytest.mark.parametrize("linkedin_seed", [TWO_CONTRACTS])
    async def test_a_contract_added_after_setup_is_connected_once(
        self, world: World, customer: Customer
    ) -> None:
        body = _named_twice(await _adding_the_second_contract(world, customer), "urn:li:contract:2002")

        added = await world.client.post("/v1/integration/contracts", json=body, headers=customer.auth)

        assert added.status_code == 200, added.text
        both = ["urn:li:contract:2001", "urn:li:contract:2002"]
        assert await _stored(world) == (both, both)


class TestContractUrns:
    @pytest.mark.parametrize(
        "urn",
        ["urn:li:contract:" + "9" * 85, "urn:li:contract:\u0661\u0662\u0663"],
        ids=["longer than tenant_contracts holds", "Arabic-Indic digits"],
    )
    @pytest.mark.parametrize("path", ["/v1/integration/request", "/v1/integration/contracts"])
    async def test_a_contract_no_column_holds_is_a_422_naming_it(
        self, world: World, customer: Customer, urn: str, path: str
    ) -> None:
        body = {
            "ats_user_id": ats_user(world),
            "member": {"id": "m1001", "seatRoles": ["ADMIN_SEAT"]},
            "contracts": [{"urn": urn, "type": "RECRUITER_CORPORATE"}],
            "integrations": [{"integrationContext": "urn:li:contract:2001", "integrationType": "CSA_API"}],
        }

        answer = await world.client.post(path, json=body, headers=customer.auth)

        assert answer.status_code == 422, answer.text
        assert [item["field"] for item in answer.json()["errors"]] == ["body.contracts.0.urn"], answer.text


class TestCertificationModule1:
    @pytest.mark.parametrize("linkedin_seed", [TWO_CUSTOMERS])
    async def test_rsc_103_each_customer_instance_has_its_own_child_app_and_uses_only_its_credentials(
        self, world: World, customer: Customer, ctx: AppContext
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            other = await make_tenant(
                session,
                ctx,
                name="Globex",
                ats_base_url=ATS_URL,
                ats_token=ATS_TOKEN,
                contracts=[],
                linkedin_organization_urn=None,
                linkedin_client_id=None,
                linkedin_client_secret=None,
                linkedin_app_urn=None,
                linkedin_unique_foreign_id=None,
            )
        second = Customer(other.tenant.key, other.api_key)

        await _partner_ready(world, customer, member="m1001", contracts=["urn:li:contract:2001"])
        await _partner_ready(world, second, member="m1002", contracts=["urn:li:contract:2002"])

        children = {a.unique_foreign_id: a for a in world.li.apps.values() if a.kind == "child"}
        assert set(children) == {customer.key, second.key}
        async with ctx.sessionmaker() as session:
            tenants = {t.key: t for t in (await session.scalars(select(Tenant))).all()}
        for key in (customer.key, second.key):
            assert tenants[key].linkedin_client_id == children[key].client_id
        context_of = {customer.key: ("1001", "2001"), second.key: ("1002", "2002")}
        integration_calls = [r for r in world.li.requests if "atsIntegrations" in r["path"]]
        assert integration_calls
        for call in integration_calls:
            owner = next(
                k for k, ids in context_of.items() if any(i in call["path"] + call["query"] for i in ids)
            )
            assert call["clientId"] == children[owner].client_id, call["path"]
