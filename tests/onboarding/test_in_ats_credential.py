"""The In-ATS credential is issued when onboarding provisions the customer's child application, kept across a
second provisioning, and what LinkedIn's side then presents on the In-ATS routes."""

from __future__ import annotations

from sqlalchemy import select

from rsc_service.tenants.models import Tenant
from tests.conftest import ADMIN_TOKEN
from tests.onboarding.conftest import Customer, World, ats_user, sign_in

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


async def _sealed(world: World, key: str) -> str | None:
    async with world.ctx.sessionmaker() as session:
        return await session.scalar(select(Tenant.in_ats_credential_enc).where(Tenant.key == key))


class TestIssuedAtProvisioning:
    async def test_a_tenant_registered_for_onboarding_has_none_until_provisioned(
        self, world: World, customer: Customer
    ) -> None:
        assert await _sealed(world, customer.key) is None
        read = await world.client.get(f"/v1/admin/tenants/{customer.key}/in-ats/credential", headers=ADMIN)
        assert read.status_code == 404
        assert read.json()["code"] == "no_in_ats_credential"

    async def test_sign_in_issues_it_stored_encrypted_and_linkedin_side_can_use_it(
        self, world: World, customer: Customer
    ) -> None:
        owner = ats_user(world)
        assert (await sign_in(world, customer, owner)).status_code == 303

        read = await world.client.get(f"/v1/admin/tenants/{customer.key}/in-ats/credential", headers=ADMIN)
        assert read.status_code == 200, read.text
        credential = read.json()["credential"]
        sealed = await _sealed(world, customer.key)
        assert sealed and credential not in sealed  # encrypted, never stored as it is
        answer = await world.client.get(
            f"/v1/in-ats/{customer.key}/past-applicants",
            params={"member": "urn:li:person:m1001"},
            headers={"authorization": f"Bearer {credential}"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"count": 0, "members": []}

    async def test_a_second_provisioning_keeps_the_credential(self, world: World, customer: Customer) -> None:
        owner = ats_user(world)
        assert (await sign_in(world, customer, owner)).status_code == 303
        first = await _sealed(world, customer.key)

        assert (await sign_in(world, customer, owner)).status_code == 303

        assert first is not None and await _sealed(world, customer.key) == first
