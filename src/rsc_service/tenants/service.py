"""Registering tenants directly: credentials, the ATS-facing API key, webhook secrets
(docs/architecture.md#1-tenants)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service import crypto, urls
from rsc_service.errors import Conflict, FieldProblem, Unprocessable
from rsc_service.integrations.ats import signatures
from rsc_service.tenants import repository
from rsc_service.tenants.models import Stage, Tenant, TenantContract, TenantWebhookSecret
from rsc_service.tenants.schemas import TenantCreate, TenantUpdate

API_KEY_PREFIX = "rsc_"


@dataclass(frozen=True)
class Registered:
    tenant: Tenant
    api_key: str
    webhook_secret: str


def _checked_ats_url(url: str, *, allow_insecure_local: bool) -> str:
    try:
        return urls.check_outbound(url, allow_insecure_local=allow_insecure_local)
    except urls.UnsafeUrl as error:
        raise Unprocessable(
            f"ats_base_url {error}", errors=[FieldProblem(field="body.ats_base_url", reason=str(error))]
        ) from None


def _new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


async def register(
    session: AsyncSession,
    *,
    data: TenantCreate,
    cipher: crypto.Cipher,
    now: datetime,
    allow_insecure_local: bool,
) -> Registered:
    tenant_id = uuid.uuid4()
    api_key = _new_api_key()
    webhook_secret = signatures.new_secret()
    sealed = str(tenant_id)
    tenant = Tenant(
        id=tenant_id,
        key="tn_" + secrets.token_hex(8),
        name=data.name,
        stage=Stage.ACTIVE,  # registered with an existing child app: already enabled
        ats_base_url=_checked_ats_url(data.ats_base_url, allow_insecure_local=allow_insecure_local),
        ats_token_enc=cipher.encrypt(data.ats_token.get_secret_value(), tenant_id=sealed, column="ats_token"),
        api_key_hash=crypto.hash_api_key(api_key),
        api_key_prefix=api_key[:10],
        linkedin_organization_urn=data.linkedin_organization_urn,
        linkedin_client_id=data.linkedin_client_id,
        linkedin_client_secret_enc=cipher.encrypt(
            data.linkedin_client_secret.get_secret_value(), tenant_id=sealed, column="linkedin_client_secret"
        ),
        linkedin_app_urn=data.linkedin_app_urn,
        linkedin_unique_foreign_id=data.linkedin_unique_foreign_id,
        contracts=[TenantContract(contract_urn=urn) for urn in dict.fromkeys(data.contracts)],
        created_at=now,
        updated_at=now,
    )
    session.add(tenant)
    session.add(
        TenantWebhookSecret(
            tenant_id=tenant_id,
            secret_enc=cipher.encrypt(webhook_secret, tenant_id=sealed, column="webhook_secret"),
            created_at=now,
        )
    )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(
            f"a tenant with linkedin_unique_foreign_id {data.linkedin_unique_foreign_id!r} already exists"
        ) from None
    return Registered(tenant=tenant, api_key=api_key, webhook_secret=webhook_secret)


async def update(
    session: AsyncSession,
    tenant: Tenant,
    *,
    data: TenantUpdate,
    cipher: crypto.Cipher,
    now: datetime,
    allow_insecure_local: bool,
) -> Tenant:
    sealed = str(tenant.id)
    if data.name is not None:
        tenant.name = data.name
    if data.ats_base_url is not None:
        tenant.ats_base_url = _checked_ats_url(data.ats_base_url, allow_insecure_local=allow_insecure_local)
    if data.ats_token is not None:
        tenant.ats_token_enc = cipher.encrypt(
            data.ats_token.get_secret_value(), tenant_id=sealed, column="ats_token"
        )
    if data.linkedin_client_secret is not None:
        tenant.linkedin_client_secret_enc = cipher.encrypt(
            data.linkedin_client_secret.get_secret_value(), tenant_id=sealed, column="linkedin_client_secret"
        )
    if data.contracts is not None:
        wanted = list(dict.fromkeys(data.contracts))
        kept = [contract for contract in tenant.contracts if contract.contract_urn in wanted]
        have = {contract.contract_urn for contract in kept}
        tenant.contracts = kept + [TenantContract(contract_urn=urn) for urn in wanted if urn not in have]
    tenant.updated_at = now
    await session.flush()
    await session.refresh(tenant, attribute_names=["contracts"])
    return tenant


async def delete(session: AsyncSession, tenant: Tenant) -> None:
    await session.delete(tenant)
    await session.flush()


async def rotate_webhook_secret(
    session: AsyncSession, tenant: Tenant, *, cipher: crypto.Cipher, now: datetime, grace: timedelta
) -> tuple[str, datetime]:
    """A new signing secret; the old ones stay valid for `grace`, so in-flight deliveries still verify."""
    valid_until = now + grace
    await repository.expire_current_secrets(session, tenant_id=tenant.id, at=valid_until)
    secret = signatures.new_secret()
    session.add(
        TenantWebhookSecret(
            tenant_id=tenant.id,
            secret_enc=cipher.encrypt(secret, tenant_id=str(tenant.id), column="webhook_secret"),
            created_at=now,
        )
    )
    await session.flush()
    return secret, valid_until


async def signing_keys(
    session: AsyncSession, tenant: Tenant, *, cipher: crypto.Cipher, now: datetime
) -> list[tuple[str, datetime | None]]:
    """The tenant's webhook secrets valid at `now`, newest first, each with the moment it stops verifying."""
    rows = await repository.list_webhook_secrets(session, tenant_id=tenant.id, now=now)
    return [
        (cipher.decrypt(row.secret_enc, tenant_id=str(tenant.id), column="webhook_secret"), row.expires_at)
        for row in rows
    ]


async def get_by_key(session: AsyncSession, key: str) -> Tenant:
    return await repository.get_by_key(session, key)


async def find_by_key(session: AsyncSession, key: str) -> Tenant | None:
    return await repository.find_by_key(session, key)


async def list_all(session: AsyncSession) -> Sequence[Tenant]:
    return await repository.list_tenants(session)


async def paused_ids(session: AsyncSession, *, now: datetime) -> set[uuid.UUID]:
    """Tenants whose sending LinkedIn refused and which wait until their pause is over."""
    return await repository.paused_ids(session, now=now)


async def pause_sending(session: AsyncSession, *, tenant_id: uuid.UUID, until: datetime, reason: str) -> None:
    await repository.set_sending_pause(session, tenant_id=tenant_id, until=until, reason=reason)


async def get(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    return await repository.get(session, tenant_id)


def linkedin_client_secret(tenant: Tenant, *, cipher: crypto.Cipher) -> str:
    return cipher.decrypt(
        tenant.linkedin_client_secret_enc, tenant_id=str(tenant.id), column="linkedin_client_secret"
    )


def ats_token(tenant: Tenant, *, cipher: crypto.Cipher) -> str:
    return cipher.decrypt(tenant.ats_token_enc, tenant_id=str(tenant.id), column="ats_token")
