"""Queries on tenants, their contracts and webhook secrets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from rsc_service.errors import NotFound
from rsc_service.tenants import lifecycle
from rsc_service.tenants.models import StageChange, Tenant, TenantIntegration, TenantWebhookSecret


async def find_by_key(session: AsyncSession, key: str) -> Tenant | None:
    return await session.scalar(
        select(Tenant).where(Tenant.key == key).options(selectinload(Tenant.contracts))
    )


async def find_by_keys(session: AsyncSession, keys: Sequence[str]) -> Sequence[Tenant]:
    """The tenants with these keys (unknown keys are left out), without their contracts."""
    if not keys:
        return []
    return (await session.scalars(select(Tenant).where(Tenant.key.in_(keys)))).all()


async def held(
    session: AsyncSession,
    column: InstrumentedAttribute[str | None],
    value: str,
    *,
    besides: uuid.UUID | None = None,
) -> bool:
    """Whether a tenant (other than `besides`) holds `value` in `column` (one of the tenants' unique
    columns)."""
    query = select(Tenant.id).where(column == value)
    if besides is not None:
        query = query.where(Tenant.id != besides)
    with session.no_autoflush:  # asked before the caller's own change to the column is written
        return await session.scalar(query.limit(1)) is not None


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
    """Every secret of the tenant stops verifying at `at` at the latest: the current one, and any earlier
    one still in its grace period (a revocation ends theirs too, never lengthens it)."""
    await session.execute(
        update(TenantWebhookSecret)
        .where(
            TenantWebhookSecret.tenant_id == tenant_id,
            TenantWebhookSecret.expires_at.is_(None) | (TenantWebhookSecret.expires_at > at),
        )
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
    held = or_(Tenant.sending_paused_until > now, Tenant.stage.not_in(lifecycle.SENDING))
    return set(await session.scalars(select(Tenant.id).where(held)))


# ---- encrypted columns, a page at a time (rsc-service rotate-keys) ----


async def sealed_tenant_columns(
    session: AsyncSession, *, after: uuid.UUID | None, limit: int
) -> Sequence[Row[uuid.UUID, str, str, str | None, str | None]]:
    """(id, key, ats_token_enc, linkedin_client_secret_enc, in_ats_credential_enc) of the tenants after
    `after`, by id."""
    query = select(
        Tenant.id,
        Tenant.key,
        Tenant.ats_token_enc,
        Tenant.linkedin_client_secret_enc,
        Tenant.in_ats_credential_enc,
    )
    if after is not None:
        query = query.where(Tenant.id > after)
    return (await session.execute(query.order_by(Tenant.id).limit(limit))).all()


async def sealed_webhook_secrets(
    session: AsyncSession, *, after: int | None, limit: int
) -> Sequence[Row[int, uuid.UUID, str, str]]:
    """(id, tenant_id, tenant key, secret_enc) of every webhook secret after `after`, expired ones too."""
    query = select(
        TenantWebhookSecret.id, TenantWebhookSecret.tenant_id, Tenant.key, TenantWebhookSecret.secret_enc
    ).join(Tenant, Tenant.id == TenantWebhookSecret.tenant_id)
    if after is not None:
        query = query.where(TenantWebhookSecret.id > after)
    return (await session.execute(query.order_by(TenantWebhookSecret.id).limit(limit))).all()


async def replace_sealed(
    session: AsyncSession,
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    *,
    row_id: uuid.UUID | int,
    old: str,
    new: str,
) -> bool:
    """Swap one stored ciphertext for another, only if it is still `old`: a secret changed meanwhile (by
    an operator, under the newest key) is never overwritten with the re-encrypted previous one."""
    model: Any = column.class_
    result = await session.execute(
        update(model)
        .where(model.id == row_id, column == old)
        .values({column: new})
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def find_by_api_key_hash(session: AsyncSession, api_key_hash: str) -> Tenant | None:
    return await session.scalar(select(Tenant).where(Tenant.api_key_hash == api_key_hash))


async def set_integration_status(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    context: str,
    integration_type: str,
    status: str,
    now: datetime,
) -> TenantIntegration:
    found = await session.scalar(
        select(TenantIntegration).where(
            TenantIntegration.tenant_id == tenant_id,
            TenantIntegration.integration_context == context,
            TenantIntegration.integration_type == integration_type,
        )
    )
    if found is None:
        found = TenantIntegration(
            tenant_id=tenant_id,
            integration_context=context,
            integration_type=integration_type,
            status=status,
            updated_at=now,
        )
        session.add(found)
    else:
        found.status, found.updated_at = status, now
    await session.flush()
    return found


async def list_integrations(session: AsyncSession, *, tenant_id: uuid.UUID) -> Sequence[TenantIntegration]:
    return (
        await session.scalars(
            select(TenantIntegration)
            .where(TenantIntegration.tenant_id == tenant_id)
            .order_by(TenantIntegration.integration_context, TenantIntegration.integration_type)
        )
    ).all()


async def stage_changes(session: AsyncSession, *, tenant_id: uuid.UUID) -> Sequence[StageChange]:
    return (
        await session.scalars(
            select(StageChange).where(StageChange.tenant_id == tenant_id).order_by(StageChange.id)
        )
    ).all()


async def lock_stage(session: AsyncSession, tenant: Tenant, *, shared: bool = False) -> None:
    """Lock the tenant's row until the transaction ends and read its stage as committed now: FOR NO KEY
    UPDATE, one such holder at a time; `shared`: FOR SHARE, which keeps the stage from changing while other
    shared holders go on. Neither keeps the tenant's rows from being added meanwhile (their foreign-key
    checks take FOR KEY SHARE, which both allow): a webhook batch never waits on them."""
    stage = await session.scalar(
        select(Tenant.stage).where(Tenant.id == tenant.id).with_for_update(read=shared, key_share=not shared)
    )
    if stage is not None:
        set_committed_value(tenant, "stage", stage)
