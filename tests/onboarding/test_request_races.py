"""The configuration plugin's answer posted twice at once (a double click, or two admins), and a contract
connected meanwhile, on PostgreSQL (SQLite has one writer): the second request sees what the first one left —
a 409 problem or its own success, never a 500 on tenant_contracts' unique constraint, and the audit trail
shows each move once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.settings import Settings
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage, StageChange, Tenant, TenantContract
from rsc_service.tenants.schemas import TenantUpdate
from tests import databases
from tests.committed import engine, sessionmaker, until_one_waits_for_a_lock  # noqa: F401
from tests.conftest import make_settings
from tests.onboarding.conftest import (
    NOTHING_PROVISIONED,
    PARTNER,
    RSC_URL,
    Customer,
    World,
    ats_user,
    plugin,
    request_body,
    sign_in,
)

pytestmark = pytest.mark.skipif(not databases.is_postgres(), reason="SQLite serializes every writer")

ORG = "urn:li:organization:1001"
FIRST, SECOND = "urn:li:contract:2001", "urn:li:contract:2002"
TWO_CONTRACTS: dict[str, Any] = NOTHING_PROVISIONED | {
    "contracts": [{"urn": FIRST, "organization": ORG}, {"urn": SECOND, "organization": ORG}],
    "seats": [
        {"id": 3001, "contract": FIRST, "member": "m1001", "roles": ["ADMIN_SEAT"]},
        {"id": 3002, "contract": SECOND, "member": "m1001", "roles": ["ADMIN_SEAT"]},
    ],
}


@pytest.fixture
async def database_url(fresh_database):  # type: ignore[no-untyped-def]
    return await fresh_database(True)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, onboarding=PARTNER, server={"public_url": RSC_URL})


@pytest.fixture
def linkedin_seed() -> dict[str, Any]:
    return TWO_CONTRACTS


async def _signed_in(world: World, customer: Customer) -> str:
    owner = ats_user(world)
    await world.linkedin.put("/_sim/authorize-member", json={"member": "m1001"})
    assert (await sign_in(world, customer, owner)).status_code == 303
    return owner


async def _request_body(world: World, customer: Customer, owner: str, contracts: list[str]) -> dict[str, Any]:
    answer = await plugin(world, customer, member="m1001", contracts=contracts)
    assert answer.status_code == 200, answer.text
    return request_body(owner, answer.json())


async def _stored(world: World, key: str) -> tuple[list[str], list[tuple[Stage | None, Stage]]]:
    """The tenant's contracts and its audit trail (from, to), as committed."""
    async with world.ctx.sessionmaker() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.key == key))
        assert tenant is not None
        contracts = await session.scalars(
            select(TenantContract.contract_urn)
            .where(TenantContract.tenant_id == tenant.id)
            .order_by(TenantContract.contract_urn)
        )
        moves = await session.scalars(
            select(StageChange).where(StageChange.tenant_id == tenant.id).order_by(StageChange.id)
        )
        return list(contracts), [(c.from_stage, c.to_stage) for c in moves]


def _one_refused(first: httpx.Response, second: httpx.Response) -> None:
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 409], (first.status_code, first.text, second.status_code, second.text)
    refused = first if first.status_code == 409 else second
    assert refused.headers["content-type"].startswith("application/problem+json"), refused.text


async def _until_one_waits_for_a_lock(ctx: AppContext) -> None:
    await until_one_waits_for_a_lock(ctx.engine)


async def test_the_integration_request_posted_twice_at_once_moves_the_tenant_once(
    world: World, customer: Customer
) -> None:
    owner = await _signed_in(world, customer)
    body = await _request_body(world, customer, owner, [FIRST])

    first, second = await asyncio.gather(
        world.client.post("/v1/integration/request", json=body, headers=customer.auth),
        world.client.post("/v1/integration/request", json=body, headers=customer.auth),
    )

    _one_refused(first, second)
    contracts, moves = await _stored(world, customer.key)
    assert contracts == [FIRST]
    assert moves.count((Stage.REQUESTED, Stage.PARTNER_READY)) == 1, moves


async def test_a_contract_added_twice_at_once_is_connected_once(world: World, customer: Customer) -> None:
    owner = await _signed_in(world, customer)
    requested = await world.client.post(
        "/v1/integration/request",
        json=await _request_body(world, customer, owner, [FIRST]),
        headers=customer.auth,
    )
    assert requested.status_code == 200, requested.text
    body = await _request_body(world, customer, owner, [FIRST, SECOND])

    first, second = await asyncio.gather(
        world.client.post("/v1/integration/contracts", json=body, headers=customer.auth),
        world.client.post("/v1/integration/contracts", json=body, headers=customer.auth),
    )

    _one_refused(first, second)
    contracts, _ = await _stored(world, customer.key)
    assert contracts == [FIRST, SECOND]


async def test_a_contract_an_operator_connects_while_the_request_waits_is_connected_once(
    world: World, customer: Customer
) -> None:
    owner = await _signed_in(world, customer)
    body = await _request_body(world, customer, owner, [FIRST])

    # An operator connects the same contract (PATCH /v1/admin/tenants/{key}, which locks the stage as the
    # request does), not committed yet.
    operator = world.ctx.sessionmaker()
    await operator.begin()
    tenant = await operator.scalar(select(Tenant).where(Tenant.key == customer.key))
    assert tenant is not None
    ctx = world.ctx
    await tenant_service.update(
        operator, tenant, data=TenantUpdate(contracts=[FIRST]), cipher=ctx.cipher, now=ctx.clock(),
        allow_insecure_local=True,
    )  # fmt: skip
    requested = asyncio.create_task(
        world.client.post("/v1/integration/request", json=body, headers=customer.auth)
    )
    await _until_one_waits_for_a_lock(world.ctx)
    await operator.commit()
    await operator.close()
    answer = await requested

    assert answer.status_code == 200, answer.text
    assert answer.json()["stage"] == "partner_ready"
    contracts, moves = await _stored(world, customer.key)
    assert contracts == [FIRST]
    assert moves[-1] == (Stage.REQUESTED, Stage.PARTNER_READY), moves


async def test_a_contract_connected_while_its_addition_waits_is_a_409(
    world: World, customer: Customer
) -> None:
    owner = await _signed_in(world, customer)
    requested = await world.client.post(
        "/v1/integration/request",
        json=await _request_body(world, customer, owner, [FIRST]),
        headers=customer.auth,
    )
    assert requested.status_code == 200, requested.text
    body = await _request_body(world, customer, owner, [FIRST, SECOND])

    # The second contract connected by another request (or an operator), not committed yet.
    other = world.ctx.sessionmaker()
    await other.begin()
    tenant = await other.scalar(select(Tenant).where(Tenant.key == customer.key))
    assert tenant is not None
    other.add(TenantContract(tenant_id=tenant.id, contract_urn=SECOND))
    await other.flush()
    added = asyncio.create_task(
        world.client.post("/v1/integration/contracts", json=body, headers=customer.auth)
    )
    await _until_one_waits_for_a_lock(world.ctx)
    await other.commit()
    await other.close()
    answer = await added

    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    contracts, _ = await _stored(world, customer.key)
    assert contracts == [FIRST, SECOND]
