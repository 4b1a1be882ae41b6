"""What the seat routes reach besides the session: the calling tenant's row, its LinkedIn app, its ATS client.

Each is read through a session of its own before the route's write session runs its first statement, so a
refresh holds no transaction while LinkedIn and the ATS answer (SQLite has one connection to share).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rsc_service.integrations.ats import AtsClient
from rsc_service.integrations.linkedin import LinkedInApp
from rsc_service.seats import service
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.deps import TenantAppsDep, TenantPrincipal
from rsc_service.tenants.models import Tenant
from rsc_service.web.deps import Ctx


async def _tenant(ctx: Ctx, principal: TenantPrincipal) -> Tenant:
    async with ctx.sessionmaker() as session:
        return await tenant_service.get(session, principal.id)  # with its contracts


CallingTenantRow = Annotated[Tenant, Depends(_tenant)]


async def _ats(ctx: Ctx, tenant: CallingTenantRow) -> AtsClient:
    return await service.ats_client(ctx, tenant)


TenantAts = Annotated[AtsClient, Depends(_ats)]


async def _linkedin(apps: TenantAppsDep, tenant: CallingTenantRow) -> LinkedInApp:
    return (await apps.for_tenant(tenant.id)).app


TenantLinkedIn = Annotated[LinkedInApp, Depends(_linkedin)]
