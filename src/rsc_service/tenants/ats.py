"""A tenant's ATS API client: its base URL vetted again off the event loop, its token decrypted."""

from __future__ import annotations

from rsc_service import urls
from rsc_service.context import AppContext
from rsc_service.integrations.ats.client import AtsClient
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Tenant


async def ats_client(ctx: AppContext, tenant: Tenant) -> AtsClient:
    # The base URL was checked when saved; it is checked again, off the event loop, before we connect, and the
    # client connects only to addresses it vetted itself (docs/architecture.md#16-security).
    base_url = await urls.check_outbound_async(
        tenant.ats_base_url, allow_insecure_local=ctx.settings.allow_insecure_local
    )
    return AtsClient(
        ctx.ats_http,
        base_url=base_url,
        token=tenant_service.ats_token(tenant, cipher=ctx.cipher),
        retries=ctx.settings.ats.retries,
        timeout=ctx.settings.ats.timeout_seconds,
    )
