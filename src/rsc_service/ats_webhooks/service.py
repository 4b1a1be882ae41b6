"""receive(): record a delivery once, then apply it to the mirror and the outbox, in one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.ats_webhooks import repository
from rsc_service.integrations.ats import wire as ats
from rsc_service.mirror import service as mirror_service
from rsc_service.tenants.models import Tenant


async def receive(
    session: AsyncSession, *, tenant: Tenant, event: ats.WebhookEvent, webhook_id: str, now: datetime
) -> bool:
    """True when the event was new; a duplicate delivery changes nothing."""
    row_id = await repository.add_event(
        session,
        tenant_id=tenant.id,
        event_id=webhook_id,
        event_type=event.type,
        record_kind=event.data.kind,
        record_id=event.data.id,
        record_version=event.data.version,
        occurred_at=event.occurred_at,
        received_at=now,
    )
    if row_id is None:
        return False
    if await mirror_service.apply_ats_change(session, tenant=tenant, event=event, now=now) is None:
        await repository.mark_superseded(session, event_row_id=row_id)
    return True


async def prune(session: AsyncSession, *, before: datetime) -> int:
    return await repository.prune(session, before=before)
