"""Re-encrypting stored secrets under the newest key: in batches, idempotent, envelopes kept, and after it
the old key can go (docs/architecture.md#15-secrets)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.crypto import Cipher, SecretsUnavailable
from rsc_service.db.models import Base  # with every table of the schema registered
from rsc_service.tenants import in_ats_credential, repository
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Tenant, TenantWebhookSecret
from tests.factories import tenant_create

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
KEY_C = Fernet.generate_key().decode()


async def _register(session: AsyncSession, ctx: AppContext, cipher: Cipher, n: int) -> dict[str, list[str]]:
    """`n` tenants sealed under `cipher`, each with two webhook secret rows; the plaintexts by tenant key."""
    plain: dict[str, list[str]] = {}
    for i in range(n):
        registered = await tenant_service.register(
            session,
            data=tenant_create(
                ats_token=f"ats-token-{i}",
                linkedin_client_secret=f"client-secret-{i}",
                linkedin_app_urn=f"urn:li:developerApplication:{3001 + i}",  # one tenant's each
            ),
            cipher=cipher,
            now=ctx.clock(),
            allow_insecure_local=True,
        )
        new, _ = await tenant_service.rotate_webhook_secret(
            session, registered.tenant, cipher=cipher, now=ctx.clock(), grace=timedelta(hours=1)
        )
        plain[registered.tenant.key] = [
            f"ats-token-{i}",
            f"client-secret-{i}",
            registered.in_ats_credential or "",
            new,
            registered.webhook_secret,
        ]
    return plain


async def _rotate_all(
    session: AsyncSession, cipher: Cipher, *, limit: int
) -> tuple[tenant_service.KeyRotation, int]:
    """Every batch, as `rsc-service rotate-keys` runs them; returns the totals and how many batches ran."""
    total = tenant_service.KeyRotation()
    cursor: tenant_service.RotationCursor | None = tenant_service.RotationCursor()
    batches = 0
    while cursor is not None:
        done, cursor = await tenant_service.rotate_encryption_keys(
            session, cipher=cipher, after=cursor, limit=limit
        )
        batches += 1
        total.add(done)
    return total, batches


async def _read_every_secret(session: AsyncSession, cipher: Cipher) -> dict[str, list[str]]:
    """Each tenant's ATS token, client secret and every webhook secret row (expired ones too), decrypted."""
    read: dict[str, list[str]] = {}
    for tenant in await tenant_service.list_all(session):
        rows = (
            await session.scalars(
                select(TenantWebhookSecret)
                .where(TenantWebhookSecret.tenant_id == tenant.id)
                .order_by(TenantWebhookSecret.id.desc())
            )
        ).all()
        read[tenant.key] = [
            tenant_service.ats_token(tenant, cipher=cipher),
            tenant_service.linkedin_client_secret(tenant, cipher=cipher),
            in_ats_credential.reveal(tenant, cipher=cipher) or "",
            *(cipher.decrypt(r.secret_enc, tenant_id=str(tenant.id), column="webhook_secret") for r in rows),
        ]
    return read


async def _stored(session: AsyncSession) -> list[str]:
    tenants = (
        await session.execute(
            select(Tenant.ats_token_enc, Tenant.linkedin_client_secret_enc, Tenant.in_ats_credential_enc)
        )
    ).all()
    secrets = (await session.scalars(select(TenantWebhookSecret.secret_enc))).all()
    return sorted([*(v for row in tenants for v in row), *secrets])


class TestRotateEncryptionKeys:
    async def test_after_rotating_to_a_new_key_the_old_one_can_be_removed(self, ctx: AppContext) -> None:
        async with ctx.sessionmaker() as session:
            plain = await _register(session, ctx, Cipher([KEY_A]), 3)

            total, batches = await _rotate_all(session, Cipher([KEY_B, KEY_A]), limit=2)

            assert total.rotated == {
                "ats_token": 3,
                "linkedin_client_secret": 3,
                "in_ats_credential": 3,
                "webhook_secret": 6,
            }
            assert total.already_current.total() == 0 and total.unreadable == []
            assert batches == 2 + 4  # tenants two at a time (2 batches), then 6 secret rows (3 batches + 1)
            session.expunge_all()  # read what is stored, not what the session remembers
            assert await _read_every_secret(session, Cipher([KEY_B])) == plain
            with pytest.raises(SecretsUnavailable):
                await _read_every_secret(session, Cipher([KEY_A]))

    async def test_a_second_run_rewrites_nothing(self, ctx: AppContext) -> None:
        both = Cipher([KEY_B, KEY_A])
        async with ctx.sessionmaker() as session:
            await _register(session, ctx, Cipher([KEY_A]), 2)
            await _rotate_all(session, both, limit=100)
            before = await _stored(session)

            again, _ = await _rotate_all(session, both, limit=100)

            assert again.rotated.total() == 0
            assert again.already_current == {
                "ats_token": 2,
                "linkedin_client_secret": 2,
                "in_ats_credential": 2,
                "webhook_secret": 4,
            }
            assert await _stored(session) == before

    async def test_the_envelope_still_binds_each_secret_to_its_tenant_and_column(
        self, ctx: AppContext
    ) -> None:
        async with ctx.sessionmaker() as session:
            await _register(session, ctx, Cipher([KEY_A]), 2)
            await _rotate_all(session, Cipher([KEY_B, KEY_A]), limit=100)
            first, second = await tenant_service.list_all(session)
            only_b = Cipher([KEY_B])

            with pytest.raises(SecretsUnavailable, match="another tenant or column"):
                only_b.decrypt(first.ats_token_enc, tenant_id=str(second.id), column="ats_token")
            with pytest.raises(SecretsUnavailable, match="another tenant or column"):
                only_b.decrypt(first.ats_token_enc, tenant_id=str(first.id), column="linkedin_client_secret")

    async def test_a_secret_no_key_opens_is_reported_and_left_alone(self, ctx: AppContext) -> None:
        async with ctx.sessionmaker() as session:
            await _register(session, ctx, Cipher([KEY_A]), 2)
            first, second = await tenant_service.list_all(session)
            lost = Cipher([KEY_C]).encrypt("lost", tenant_id=str(first.id), column="ats_token")
            moved = second.linkedin_client_secret_enc  # another tenant's ciphertext, copied here
            await session.execute(
                update(Tenant)
                .where(Tenant.id == first.id)
                .values(ats_token_enc=lost, linkedin_client_secret_enc=moved)
            )

            total, _ = await _rotate_all(session, Cipher([KEY_B, KEY_A]), limit=100)

            assert sorted(total.unreadable) == [
                f"{first.key} ats_token",
                f"{first.key} linkedin_client_secret",
            ]
            assert total.rotated == {
                "ats_token": 1,
                "linkedin_client_secret": 1,
                "in_ats_credential": 2,
                "webhook_secret": 4,
            }
            stored = await session.scalar(select(Tenant.ats_token_enc).where(Tenant.id == first.id))
            assert stored == lost

    async def test_a_secret_changed_meanwhile_is_not_overwritten(self, ctx: AppContext) -> None:
        async with ctx.sessionmaker() as session:
            await _register(session, ctx, Cipher([KEY_A]), 1)
            (tenant,) = await tenant_service.list_all(session)

            replaced = await repository.replace_sealed(
                session, Tenant.ats_token_enc, row_id=tenant.id, old="not what is stored", new="rotated"
            )

            assert replaced is False
            assert await session.scalar(select(Tenant.ats_token_enc)) == tenant.ats_token_enc

    def test_every_encrypted_column_of_the_schema_is_rotated(self) -> None:
        encrypted = {
            (table.name, column.name)
            for table in Base.metadata.tables.values()
            for column in table.columns
            if column.name.endswith("_enc")
        }
        assert encrypted == {(table, column) for table, column, _ in tenant_service.SEALED_COLUMNS}
