"""A tenant's ATS API client: its base URL vetted again off the event loop, its token decrypted."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

import structlog

from rsc_service import urls
from rsc_service.context import AppContext
from rsc_service.errors import BadGateway, ServiceError, ServiceUnavailable
from rsc_service.integrations.ats import AtsClient, AtsError, AtsUnavailable
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Tenant

log = structlog.get_logger()


async def ats_client(ctx: AppContext, tenant: Tenant) -> AtsClient:
    """The tenant's ATS client. The base URL was checked when saved; it is checked again, off the event loop,
    before the client's first request, and the client connects only to addresses it vetted itself
    (docs/architecture.md#16-security). A URL refused then (its host no longer resolves, or not to public
    addresses only) fails that request with AtsUnavailable, as an ATS that cannot be reached does, naming
    the host and nothing it resolved to."""
    base_url, tenant_key = tenant.ats_base_url, tenant.key
    allow_insecure_local = ctx.settings.allow_insecure_local

    async def vet() -> None:
        try:
            await urls.check_outbound_async(base_url, allow_insecure_local=allow_insecure_local)
        except urls.UnsafeUrl as refused:
            log.warning("ats.url_refused", tenant_key=tenant_key, reason=str(refused))
            host = urlsplit(base_url).hostname or ""
            why = "it does not resolve, or not to public addresses only"
            raise AtsUnavailable(f"the ATS host {host!r} cannot be called: {why}") from None

    return AtsClient(
        ctx.ats_http,
        base_url=base_url,
        token=tenant_service.ats_token(tenant, cipher=ctx.cipher),
        retries=ctx.settings.ats.retries,
        timeout=ctx.settings.ats.timeout_seconds,
        before_first_call=vet,
    )


# The longest wait an answer passes on: a day, as LinkedIn's Retry-After is clamped.
_LONGEST_WAIT = 86_400


def failed(error: AtsError, detail: str) -> ServiceError:
    """What a request answers when the tenant's ATS failed it: a 503 with the ATS's own Retry-After when the
    ATS asked for a wait (down for maintenance, throttling), so the caller comes back then; else a 502."""
    if isinstance(error, AtsUnavailable) and error.retry_after:
        wait = min(_LONGEST_WAIT, max(1, math.ceil(error.retry_after)))
        return ServiceUnavailable(f"{detail}; the ATS asks to retry in {wait} s", retry_after=wait)
    return BadGateway(detail)
