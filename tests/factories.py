"""Typed async factories with keyword overrides: real rows through the real services."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.schemas import TenantCreate

_counter = itertools.count(1)


def tenant_fields(**overrides: Any) -> dict[str, Any]:
    """Registration fields as an operator would send them; not validated, so tests can break them."""
    n = next(_counter)
    values: dict[str, Any] = {
        "name": f"Acme Staffing {n}",
        "ats_base_url": "http://ats.test/api",
        "ats_token": f"ats-token-{n}",
        "linkedin_organization_urn": "urn:li:organization:1001",
        "contracts": ["urn:li:contract:2001"],
        "linkedin_client_id": "sim-customer",
        "linkedin_client_secret": "sim-customer-secret",
        "linkedin_app_urn": "urn:li:developerApplication:3001",
        "linkedin_unique_foreign_id": f"acme-{n}",
    }
    values.update(overrides)
    return values


def tenant_create(**overrides: Any) -> TenantCreate:
    return TenantCreate(**tenant_fields(**overrides))


async def make_tenant(session: AsyncSession, ctx: AppContext, **overrides: Any) -> tenant_service.Registered:
    return await tenant_service.register(
        session,
        data=tenant_create(**overrides),
        cipher=ctx.cipher,
        now=ctx.clock(),
        allow_insecure_local=True,
    )
