"""Registering tenants directly: credentials, the ATS-facing API key, webhook secrets
(docs/architecture.md#1-tenants)."""

from __future__ import annotations

import re
import secrets
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from rsc_service import crypto, urls
from rsc_service.errors import Conflict, FieldProblem, NotFound, Unprocessable
from rsc_service.integrations.ats import signatures
from rsc_service.tenants import in_ats_credential, lifecycle, repository
from rsc_service.tenants.models import (
    KEY_LENGTH,
    Stage,
    StageChange,
    Tenant,
    TenantContract,
    TenantIntegration,
    TenantWebhookSecret,
)
from rsc_service.tenants.schemas import TenantCreate, TenantUpdate

API_KEY_PREFIX = "rsc_"


class NotProvisioned(Conflict):
    """The tenant has no LinkedIn child application yet: its onboarding has not provisioned one."""

    code = "not_provisioned"

    def __init__(self, tenant: Tenant) -> None:
        super().__init__(f"tenant {tenant.key} has no LinkedIn application yet (stage {tenant.stage.value})")


@dataclass(frozen=True)
class Registered:
    tenant: Tenant
    api_key: str
    webhook_secret: str
    in_ats_credential: str | None = None  # issued when the tenant comes with its child application


async def _checked_ats_url(url: str, *, allow_insecure_local: bool) -> str:
    try:  # resolved off the event loop (docs/architecture.md#16-security)
        return await urls.check_outbound_async(url, allow_insecure_local=allow_insecure_local)
    except urls.UnsafeUrl as error:
        raise Unprocessable(
            f"ats_base_url {error}", errors=[FieldProblem(field="body.ats_base_url", reason=str(error))]
        ) from None


def _new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def _shown_prefix(api_key: str) -> str:
    """What reads show of a key (`api_key_prefix`), to tell keys apart."""
    return api_key[:10]


# What only one tenant may hold: the uniqueForeignId its child application was provisioned with (RSC-103), and
# the application's URN, by which alone a job resync names the customer (docs/pull.md#job-resync).
_ONE_TENANTS: tuple[tuple[str, InstrumentedAttribute[str | None]], ...] = (
    ("linkedin_unique_foreign_id", Tenant.linkedin_unique_foreign_id),
    ("linkedin_app_urn", Tenant.linkedin_app_urn),
)


async def _refuse_taken(session: AsyncSession, data: TenantCreate) -> None:
    """Conflict naming each field whose value another tenant already holds."""
    problems = []
    for name, column in _ONE_TENANTS:
        value = getattr(data, name)
        if value is not None and await repository.held(session, column, value):
            problems.append(FieldProblem(field=f"body.{name}", reason=f"another tenant has {value!r}"))
    if problems:
        named = "; ".join(f"{problem.field.removeprefix('body.')}: {problem.reason}" for problem in problems)
        raise Conflict(f"a tenant already holds what this one names ({named})", errors=problems)


async def refuse_app_taken(session: AsyncSession, tenant: Tenant) -> None:
    """Conflict when another tenant holds the LinkedIn application URN `tenant` was just given: a job
    resync names the customer by it alone (docs/pull.md#job-resync)."""
    urn = tenant.linkedin_app_urn
    if urn is not None and await repository.held(session, Tenant.linkedin_app_urn, urn, besides=tenant.id):
        raise Conflict(
            f"another tenant holds LinkedIn application {urn!r}: an operator must free it first",
            errors=[FieldProblem(field="linkedin_app_urn", reason=f"another tenant has {urn!r}")],
        )


async def register(
    session: AsyncSession,
    *,
    data: TenantCreate,
    cipher: crypto.Cipher,
    now: datetime,
    allow_insecure_local: bool,
) -> Registered:
    await _refuse_taken(session, data)
    tenant_id = uuid.uuid4()
    api_key = _new_api_key()
    webhook_secret = signatures.new_secret()
    sealed = str(tenant_id)
    tenant = Tenant(
        id=tenant_id,
        key="tn_" + secrets.token_hex(8),
        name=data.name,
        ats_base_url=await _checked_ats_url(data.ats_base_url, allow_insecure_local=allow_insecure_local),
        ats_token_enc=cipher.encrypt(data.ats_token.get_secret_value(), tenant_id=sealed, column="ats_token"),
        api_key_hash=crypto.hash_api_key(api_key),
        api_key_prefix=_shown_prefix(api_key),
        linkedin_organization_urn=data.linkedin_organization_urn,
        linkedin_client_id=data.linkedin_client_id,
        linkedin_client_secret_enc=None
        if data.linkedin_client_secret is None
        else cipher.encrypt(
            data.linkedin_client_secret.get_secret_value(), tenant_id=sealed, column="linkedin_client_secret"
        ),
        linkedin_app_urn=data.linkedin_app_urn,
        linkedin_unique_foreign_id=data.linkedin_unique_foreign_id,
        contracts=[TenantContract(contract_urn=urn) for urn in dict.fromkeys(data.contracts)],
        created_at=now,
        updated_at=now,
    )
    # Registered with an existing child app, the tenant is already enabled; otherwise its admin activates it.
    stage, why = (
        (Stage.ACTIVE, "registered with an existing child application")
        if data.registers_child_app
        else (Stage.REQUESTED, "registered for onboarding")
    )
    lifecycle.begin(session, tenant, stage, actor=lifecycle.OPERATOR, reason=why, now=now)
    # LinkedIn's side may call the In-ATS routes once the child application exists (docs/in-ats.md).
    in_ats = in_ats_credential.issue(tenant, cipher=cipher) if data.registers_child_app else None
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
    except IntegrityError:  # another registration, committed since the check, holds one of them
        given = [f"{name} {getattr(data, name)!r}" for name, _ in _ONE_TENANTS if getattr(data, name)]
        raise Conflict(
            f"another tenant registered at the same time holds {' or '.join(given) or 'the same key'}"
        ) from None
    return Registered(tenant=tenant, api_key=api_key, webhook_secret=webhook_secret, in_ats_credential=in_ats)


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
        tenant.ats_base_url = await _checked_ats_url(
            data.ats_base_url, allow_insecure_local=allow_insecure_local
        )
    if data.ats_token is not None:
        tenant.ats_token_enc = cipher.encrypt(
            data.ats_token.get_secret_value(), tenant_id=sealed, column="ats_token"
        )
    if data.linkedin_client_secret is not None:
        tenant.linkedin_client_secret_enc = cipher.encrypt(
            data.linkedin_client_secret.get_secret_value(), tenant_id=sealed, column="linkedin_client_secret"
        )
    if data.contracts is not None:
        # As the integration request and its contracts do (onboarding.service): of two changes of the
        # contracts at once, the second sees the contracts the first one left.
        await repository.lock_stage(session, tenant)
        await session.refresh(tenant, attribute_names=["contracts"])
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


async def rotate_api_key(session: AsyncSession, tenant: Tenant, *, now: datetime) -> str:
    """A new ATS-facing API key, stored hashed as at registration and returned to be shown once. The old key
    opens nothing from the commit on, in every replica: each request looks its key's hash up afresh
    (tenants/deps.py), so there is no grace period; a leaked key is revoked this way."""
    api_key = _new_api_key()
    tenant.api_key_hash = crypto.hash_api_key(api_key)
    tenant.api_key_prefix = _shown_prefix(api_key)
    tenant.updated_at = now
    await session.flush()
    return api_key


async def rotate_webhook_secret(
    session: AsyncSession, tenant: Tenant, *, cipher: crypto.Cipher, now: datetime, grace: timedelta
) -> tuple[str, datetime]:
    """A new signing secret; the old ones stay valid for `grace` at most, so in-flight deliveries still
    verify. A zero grace revokes them at once (a leaked secret)."""
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


# A control character (NUL above all: PostgreSQL refuses it in a parameter, failing the whole statement) or a
# lone surrogate (not encodable) is in no key; neither is anything longer than the column.
_NOT_IN_A_KEY = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def could_be_key(key: str) -> bool:
    """Whether `key` could name a tenant at all. A path's key that cannot is not found without a database
    read (docs/architecture.md#16-security); every lookup by key below checks it first."""
    return 0 < len(key) <= KEY_LENGTH and _NOT_IN_A_KEY.search(key) is None


async def lock_stage(session: AsyncSession, tenant: Tenant) -> None:
    """Lock the tenant's row until the transaction ends and read its stage as committed now: of two callers
    deciding a move on the same stage, the second sees the stage the first one left (PostgreSQL; SQLite has
    one writer anyway)."""
    await repository.lock_stage(session, tenant)


async def hold_stage(session: AsyncSession, tenant: Tenant) -> None:
    """Read the tenant's stage as committed now and keep it from changing until the transaction ends: work
    that writes for the tenant checks it is not deactivated, and a deactivation (which takes lock_stage)
    comes wholly before or after that transaction. Shared, so such work of the tenant goes on side by side,
    and the tenant's rows are still added meanwhile (PostgreSQL; SQLite has one writer anyway)."""
    await repository.lock_stage(session, tenant, shared=True)


async def get_by_key(session: AsyncSession, key: str) -> Tenant:
    if not could_be_key(key):
        raise NotFound("no tenant with this key")
    return await repository.get_by_key(session, key)


async def find_by_key(session: AsyncSession, key: str) -> Tenant | None:
    if not could_be_key(key):
        return None
    return await repository.find_by_key(session, key)


async def find_by_keys(session: AsyncSession, keys: Sequence[str]) -> Sequence[Tenant]:
    """The tenants with these keys, in one statement (the webhook intake reads many keys at once); a key
    that cannot be one is left out, so it can never fail the statement for the others."""
    return await repository.find_by_keys(session, [key for key in keys if could_be_key(key)])


async def list_all(session: AsyncSession) -> Sequence[Tenant]:
    return await repository.list_tenants(session)


async def paused_ids(session: AsyncSession, *, now: datetime) -> set[uuid.UUID]:
    """Tenants whose outbox is held: LinkedIn refused their sending and they wait until the pause is over,
    or they are not (or no longer) in a sending stage (lifecycle.SENDING)."""
    return await repository.paused_ids(session, now=now)


async def pause_sending(session: AsyncSession, *, tenant_id: uuid.UUID, until: datetime, reason: str) -> None:
    await repository.set_sending_pause(session, tenant_id=tenant_id, until=until, reason=reason)


async def get(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    return await repository.get(session, tenant_id)


def linkedin_client_secret(tenant: Tenant, *, cipher: crypto.Cipher) -> str:
    if tenant.linkedin_client_secret_enc is None:
        raise NotProvisioned(tenant)
    return cipher.decrypt(
        tenant.linkedin_client_secret_enc, tenant_id=str(tenant.id), column="linkedin_client_secret"
    )


def ats_token(tenant: Tenant, *, cipher: crypto.Cipher) -> str:
    return cipher.decrypt(tenant.ats_token_enc, tenant_id=str(tenant.id), column="ats_token")


# ---- re-encrypting stored secrets under the newest key (rsc-service rotate-keys) ----


# Every encrypted column as (table, column, the column name its envelope carries); a test checks that no
# `*_enc` column of the schema is missing, so a new one cannot be left under a key about to be removed.
SEALED_COLUMNS = (
    ("tenants", "ats_token_enc", "ats_token"),
    ("tenants", "linkedin_client_secret_enc", "linkedin_client_secret"),
    ("tenants", "in_ats_credential_enc", "in_ats_credential"),
    ("tenant_webhook_secrets", "secret_enc", "webhook_secret"),
)


@dataclass(frozen=True)
class RotationCursor:
    """How far a key rotation has come: the tenants' own columns by tenant id, then webhook secrets by id."""

    tenant_after: uuid.UUID | None = None
    tenants_done: bool = False
    secret_after: int | None = None


@dataclass
class KeyRotation:
    """What re-encrypting did, per envelope column (ats_token, linkedin_client_secret, webhook_secret)."""

    rotated: Counter[str] = field(default_factory=Counter)
    already_current: Counter[str] = field(default_factory=Counter)
    # Rewritten by someone else between our read and our write; a second run picks them up if needed.
    changed_meanwhile: Counter[str] = field(default_factory=Counter)
    # "tn_… column": no configured key opens it, or its envelope names another row; left as it is.
    unreadable: list[str] = field(default_factory=list)

    def add(self, other: KeyRotation) -> None:
        self.rotated.update(other.rotated)
        self.already_current.update(other.already_current)
        self.changed_meanwhile.update(other.changed_meanwhile)
        self.unreadable.extend(other.unreadable)


async def _rotate_one(
    session: AsyncSession,
    done: KeyRotation,
    cipher: crypto.Cipher,
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    *,
    row_id: uuid.UUID | int,
    tenant_id: uuid.UUID,
    tenant_key: str,
    sealed_as: str,
    token: str | None,
) -> None:
    if token is None:  # a tenant still onboarding has no child app secret yet
        return
    try:
        rotated = cipher.rotate(token, tenant_id=str(tenant_id), column=sealed_as)
    except crypto.SecretsUnavailable:
        row = f"#{row_id}" if isinstance(row_id, int) else ""  # which of the tenant's webhook secrets
        done.unreadable.append(f"{tenant_key} {sealed_as}{row}")
        return
    if rotated is None:
        done.already_current[sealed_as] += 1
    elif await repository.replace_sealed(session, column, row_id=row_id, old=token, new=rotated):
        done.rotated[sealed_as] += 1
    else:
        done.changed_meanwhile[sealed_as] += 1


async def rotate_encryption_keys(
    session: AsyncSession, *, cipher: crypto.Cipher, after: RotationCursor, limit: int
) -> tuple[KeyRotation, RotationCursor | None]:
    """One batch of stored secrets re-encrypted under the newest key, envelopes unchanged
    (docs/architecture.md#15-secrets); returns what it did and where the next batch starts (None: all done).

    Only flushes: the caller commits each batch, so a long rotation holds no lock for long and an
    interrupted one resumes where it stopped. Secrets already under the newest key are left alone, so a
    repeated run rewrites nothing, and once a run has finished with nothing unreadable, the older keys can
    be removed from RSC_SECURITY__ENCRYPTION_KEYS.
    """
    done = KeyRotation()
    if not after.tenants_done:
        tenants = await repository.sealed_tenant_columns(session, after=after.tenant_after, limit=limit)
        for tenant_id, key, ats_token_enc, client_secret_enc, in_ats_enc in tenants:
            for column, sealed_as, token in (
                (Tenant.ats_token_enc, "ats_token", ats_token_enc),
                (Tenant.linkedin_client_secret_enc, "linkedin_client_secret", client_secret_enc),
                (Tenant.in_ats_credential_enc, "in_ats_credential", in_ats_enc),
            ):
                await _rotate_one(
                    session,
                    done,
                    cipher,
                    column,
                    row_id=tenant_id,
                    tenant_id=tenant_id,
                    tenant_key=key,
                    sealed_as=sealed_as,
                    token=token,
                )
        await session.flush()
        if len(tenants) == limit:
            return done, RotationCursor(tenant_after=tenants[-1][0])
        return done, RotationCursor(tenants_done=True)
    secrets_page = await repository.sealed_webhook_secrets(session, after=after.secret_after, limit=limit)
    for secret_id, tenant_id, key, secret_enc in secrets_page:
        await _rotate_one(
            session,
            done,
            cipher,
            TenantWebhookSecret.secret_enc,
            row_id=secret_id,
            tenant_id=tenant_id,
            tenant_key=key,
            sealed_as="webhook_secret",
            token=secret_enc,
        )
    await session.flush()
    if len(secrets_page) == limit:
        return done, RotationCursor(tenants_done=True, secret_after=secrets_page[-1][0])
    return done, None


# ---- onboarding: the integrations LinkedIn reports (docs/onboarding.md#stages) ----

ENABLED = "ENABLED"
DISABLED = "DISABLED"
REQUESTED = "REQUESTED"


@dataclass(frozen=True)
class IntegrationStatus:
    integration_context: str  # the organization URN, or a contract URN for CSA_API
    integration_type: str
    status: str  # ENABLED | DISABLED | REQUESTED


async def record_integration_status(
    session: AsyncSession,
    tenant: Tenant,
    statuses: Sequence[IntegrationStatus],
    *,
    actor: lifecycle.Actor,
    now: datetime,
) -> None:
    """Store what LinkedIn says of the tenant's integrations and move its stage to match: the first one
    enabled makes a `partner_ready` tenant `enabled`; every one disabled before the initial sync began
    makes it `partner_ready` again. Integrations of other contexts than the tenant's are ignored."""
    # A notification and the polling job may answer for the same tenant at once: the second waits here and
    # sees the stage the first one left (PostgreSQL; SQLite has one writer anyway).
    await repository.lock_stage(session, tenant)
    ours = {tenant.linkedin_organization_urn, *(c.contract_urn for c in tenant.contracts)}
    for status in statuses:
        if status.integration_context in ours:
            await repository.set_integration_status(
                session,
                tenant_id=tenant.id,
                context=status.integration_context,
                integration_type=status.integration_type,
                status=status.status,
                now=now,
            )
    stored = await repository.list_integrations(session, tenant_id=tenant.id)
    enabled = [i for i in stored if i.status == ENABLED]
    if tenant.stage is Stage.PARTNER_READY and enabled:
        names = ", ".join(f"{i.integration_type}" for i in enabled)
        lifecycle.advance(
            session, tenant, Stage.ENABLED, actor=actor, reason=f"LinkedIn enabled {names}", now=now
        )
    elif tenant.stage is Stage.ENABLED and stored and not enabled:
        lifecycle.advance(
            session,
            tenant,
            Stage.PARTNER_READY,
            actor=actor,
            reason="LinkedIn disabled every integration",
            now=now,
        )


async def list_integrations(session: AsyncSession, *, tenant_id: uuid.UUID) -> Sequence[TenantIntegration]:
    return await repository.list_integrations(session, tenant_id=tenant_id)


async def stage_changes(session: AsyncSession, *, tenant_id: uuid.UUID) -> Sequence[StageChange]:
    return await repository.stage_changes(session, tenant_id=tenant_id)
