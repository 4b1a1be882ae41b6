"""receive_all(): record deliveries once, then apply them as changes (push.service), in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.ats_webhooks import repository
from rsc_service.integrations.ats import wire as ats
from rsc_service.mirror.changes import Change
from rsc_service.push import service as push_service
from rsc_service.push.registry import RESOURCES, Registry
from rsc_service.push.service import TenantRef


@dataclass(frozen=True)
class Delivery:
    """One verified webhook: whose, what (the event, and the change it makes), its webhook-id and when it
    arrived."""

    tenant: TenantRef
    event: ats.WebhookEvent
    change: Change
    webhook_id: str
    received_at: datetime


async def receive_all(
    session: AsyncSession,
    deliveries: Sequence[Delivery],
    *,
    now: datetime,
    resources: Registry = RESOURCES,
) -> list[bool]:
    """Per delivery, True when it was new. A duplicate (stored before, or earlier in `deliveries`) changes
    nothing; the new ones are applied in the order given, each as if alone."""
    first: dict[tuple[object, str], int] = {}
    for index, delivery in enumerate(deliveries):
        first.setdefault((delivery.tenant.id, delivery.webhook_id), index)
    unique = [deliveries[index] for index in sorted(first.values())]
    row_ids = await repository.add_events(
        session,
        [
            repository.InboxEntry(
                tenant_id=d.tenant.id,
                event_id=d.webhook_id,
                event_type=d.event.type,
                record_kind=d.event.data.kind,
                record_id=d.event.data.id,
                record_version=d.event.data.version,
                occurred_at=d.event.occurred_at,
                received_at=d.received_at,
            )
            for d in unique
        ],
    )
    new = [d for d in unique if (d.tenant.id, d.webhook_id) in row_ids]
    stored = await push_service.apply_ats_changes(
        session, [(d.tenant, d.change) for d in new], now=now, resources=resources
    )
    await repository.mark_superseded(
        session,
        event_row_ids=[
            row_ids[(d.tenant.id, d.webhook_id)]
            for d, record in zip(new, stored, strict=True)
            if record is None
        ],
    )
    return [
        first[(d.tenant.id, d.webhook_id)] == index and (d.tenant.id, d.webhook_id) in row_ids
        for index, d in enumerate(deliveries)
    ]


async def prune(session: AsyncSession, *, before: datetime) -> int:
    return await repository.prune(session, before=before)
