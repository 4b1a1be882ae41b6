"""refresh_all: every tenant's seats, read again on a schedule (docs/onboarding.md#seats)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from rsc_service.context import AppContext
from rsc_service.seats import service
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.apps import TenantApps
from rsc_service.tenants.models import Tenant

log = structlog.get_logger()


@dataclass(frozen=True)
class Outcome:
    tenant_key: str
    refreshed: service.Refreshed | None
    error: str | None = None


async def refresh_all(ctx: AppContext, apps: TenantApps) -> list[Outcome]:
    """Refresh each tenant in its own transaction; a tenant that fails is logged and the others go on."""
    async with ctx.sessionmaker() as session:
        tenants: Sequence[Tenant] = [
            t for t in await tenant_service.list_all(session) if t.stage in service.REFRESHED_STAGES
        ]
    outcomes = []
    for tenant in tenants:  # loaded with their contracts above; detached now, which is all a refresh needs
        try:
            app = (await apps.for_tenant(tenant.id)).app
            ats = await service.ats_client(ctx, tenant)
            listing = await service.read(app, ats, [c.contract_urn for c in tenant.contracts])
            async with ctx.sessionmaker.begin() as session:
                refreshed = await service.apply(session, tenant.id, listing, now=ctx.clock())
            outcomes.append(Outcome(tenant.key, refreshed))
        except service.NotRefreshed as moved:  # deactivated (or disabled) while its seats were read
            log.info("seats.refresh_skipped", tenant_key=tenant.key)
            outcomes.append(Outcome(tenant.key, None, str(moved)))
        except Exception as error:
            log.exception("seats.refresh_failed", tenant_key=tenant.key)
            outcomes.append(Outcome(tenant.key, None, f"{type(error).__name__}: {error}"))
    return outcomes
