"""Queries on tenants, their contracts and webhook secrets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from rsc_service.errors import NotFound
from rsc_service.tenants.models import Tenant, TenantWebhookSecret


async def find_by_key(session: AsyncSession, key: str) -> Tenant | None:
    return await session.scalar(
        select(Tenant).where(Tenant.key == key).options(selectinload(Tenant.contracts))
    )


async def get_by_key(session: AsyncSession, key: str) -> Tenant:
    tenant = await find_by_key(session, key)
    if tenant is None:
        raise NotFound(f"no tenant with key {key!r}")
    return tenant


async def list_tenants(session: AsyncSession) -> Sequence[Tenant]:
    return (
        await session.scalars(
            select(Tenant).order_by(Tenant.created_at).options(selectinload(Tenant.contracts))
        )
    ).all()


async def list_webhook_secrets(
    session: AsyncSession, *, tenant_id: uuid.UUID, now: datetime
) -> Sequence[TenantWebhookSecret]:
    return (
        await session.scalars(
            select(TenantWebhookSecret)
            .where(
                TenantWebhookSecret.tenant_id == tenant_id,
                (TenantWebhookSecret.expires_at.is_(None)) | (TenantWebhookSecret.expires_at > now),
            )
            .order_by(TenantWebhookSecret.id.desc())
        )
    ).all()


async def expire_current_secrets(session: AsyncSession, *, tenant_id: uuid.UUID, at: datetime) -> None:
    await session.execute(
        update(TenantWebhookSecret)
        .where(TenantWebhookSecret.tenant_id == tenant_id, TenantWebhookSecret.expires_at.is_(None))
        .values(expires_at=at)
        .execution_options(synchronize_session=False)
    )


async def get(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await session.scalar(
        select(Tenant).where(Tenant.id == tenant_id).options(selectinload(Tenant.contracts))
    )
    if tenant is None:
        raise NotFound("no such tenant")
    return tenant


async def set_sending_pause(
    session: AsyncSession, *, tenant_id: uuid.UUID, until: datetime | None, reason: str | None
) -> None:
    await session.execute(
        update(Tenant)
        .where(Tenant.id == tenant_id)
        .values(sending_paused_until=until, sending_paused_reason=reason)
        .execution_options(synchronize_session=False)
    )


async def paused_ids(session: AsyncSession, *, now: datetime) -> set[uuid.UUID]:
    return set(await session.scalars(select(Tenant.id).where(Tenant.sending_paused_until > now)))
