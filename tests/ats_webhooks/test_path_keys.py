"""The tenant key in the webhook's path, and the shared key read: a key that cannot be one is not found
without a database read, and one tenant's key or secret the read trips on fails only that tenant's webhooks
(docs/architecture.md#14-ingest, #16-security)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import structlog.testing
from cryptography.fernet import Fernet
from sqlalchemy import event, select, update
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncEngine

from rsc_service.context import AppContext
from rsc_service.crypto import Cipher
from rsc_service.tenants.models import Tenant, TenantWebhookSecret
from tests.factories import Ats, candidate, make_tenant
from tests.observe import statements

PROBLEM = "application/problem+json"
# NUL, other control characters, and one character longer than tenants.key (64).
IMPOSSIBLE = ["%00", "tn_%00", "tn_0000%0A0000", "%1F", "tn_%7F", "tn_%C2%85", "tn_" + "0" * 62]


def _ignored(statement: str) -> bool:
    """What the tests' own transaction wrapper sends around a session; not a read of the service's."""
    return statement.split(" ", 1)[0].upper() not in {"SAVEPOINT", "RELEASE", "ROLLBACK"}


async def _second_tenant(ats: Ats, ctx: AppContext) -> Ats:
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(session, ctx)
    return dataclasses.replace(ats, tenant_key=registered.tenant.key, secret=registered.webhook_secret)


async def _key_of(ctx: AppContext, tenant_key: str) -> Tenant:
    async with ctx.sessionmaker() as session:
        found = await session.scalar(select(Tenant).where(Tenant.key == tenant_key))
    assert found is not None
    return found


class TestImpossibleKeys:
    @pytest.mark.parametrize("key", IMPOSSIBLE)
    async def test_is_not_found_without_a_database_read(
        self, ats: Ats, engine: AsyncEngine, key: str
    ) -> None:
        stranger = dataclasses.replace(ats, tenant_key=key)
        with statements(engine, _ignored) as sent:
            unsigned = await ats.client.post(f"/v1/webhooks/ats/{key}", content=b"{}")
            signed = await stranger.send("candidate.created", candidate())

        for answer in (unsigned, signed):
            assert answer.status_code == 404, answer.text
            assert answer.headers["content-type"] == PROBLEM
        assert sent == []

    async def test_nul_keys_sent_beside_signed_webhooks_fail_none_of_them(
        self, ats: Ats, ctx: AppContext
    ) -> None:
        # The review's reproduction: 30 NUL keys sent together with 30 signed webhooks for each of two
        # tenants, no key kept yet. On PostgreSQL the NUL failed the one shared key read: all 90 were 500.
        other = await _second_tenant(ats, ctx)
        nul = dataclasses.replace(ats, tenant_key="%00")
        sends = [nul.client.post("/v1/webhooks/ats/%00", content=b"{}") for _ in range(30)]
        sends += [
            t.send("candidate.created", candidate(f"cand_{n}")) for t in (ats, other) for n in range(30)
        ]

        answers = await asyncio.gather(*sends)

        assert [a.status_code for a in answers[:30]] == [404] * 30
        assert [a.status_code for a in answers[30:]] == [202] * 60


@contextmanager
def _refusing(engine: AsyncEngine, key: str, seen: list[bool]) -> Iterator[None]:
    """The database refuses any read of tenants naming `key`, as PostgreSQL refused a NUL: the statement
    fails whatever else it reads. `seen` records, per such read, whether it named other keys too."""

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM tenants" in statement and key in str(parameters):
            seen.append(str(parameters).count("tn_") > 1)
            raise DataError(statement, parameters, Exception("invalid byte sequence for encoding"))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


class TestSharedKeyRead:
    async def test_a_key_the_database_refuses_fails_only_its_own_webhooks(
        self, ats: Ats, ctx: AppContext, engine: AsyncEngine
    ) -> None:
        other = await _second_tenant(ats, ctx)
        refused = dataclasses.replace(ats, tenant_key="tn_refused00000000")
        sends = [refused.send("candidate.created", candidate(f"cand_{n}")) for n in range(30)]
        sends += [
            t.send("candidate.created", candidate(f"cand_{n}")) for t in (ats, other) for n in range(30)
        ]
        shared: list[bool] = []

        with _refusing(engine, refused.tenant_key, shared):
            answers = await asyncio.gather(*sends)

        assert any(shared), "the refused key was never read together with the others"
        assert all(a.status_code != 202 for a in answers[:30])
        assert [a.status_code for a in answers[30:]] == [202] * 60

    async def test_a_tenant_whose_secret_cannot_be_read_fails_alone_with_503(
        self, ats: Ats, ctx: AppContext
    ) -> None:
        # Sealed under a key this replica lacks, as on a replica started without the newest encryption key.
        unreadable = await _second_tenant(ats, ctx)
        tenant = await _key_of(ctx, unreadable.tenant_key)
        foreign = Cipher([Fernet.generate_key().decode()])
        async with ctx.sessionmaker.begin() as session:
            await session.execute(
                update(TenantWebhookSecret)
                .where(TenantWebhookSecret.tenant_id == tenant.id)
                .values(
                    secret_enc=foreign.encrypt(
                        unreadable.secret, tenant_id=str(tenant.id), column="webhook_secret"
                    )
                )
            )
        sends = [unreadable.send("candidate.created", candidate(f"cand_{n}")) for n in range(20)]
        sends += [ats.send("candidate.created", candidate(f"cand_{n}")) for n in range(20)]

        with structlog.testing.capture_logs() as logged:
            answers = await asyncio.gather(*sends)

        for answer in answers[:20]:
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == PROBLEM
            assert int(answer.headers["retry-after"]) > 0
        assert [a.status_code for a in answers[20:]] == [202] * 20
        named = [
            e for e in logged if e.get("tenant_key") == unreadable.tenant_key and e["log_level"] == "error"
        ]
        assert named, logged
        assert unreadable.secret not in repr(logged)
        # Once readable again (its key configured), the tenant's webhooks are taken at once: nothing kept it.
        async with ctx.sessionmaker.begin() as session:
            await session.execute(
                update(TenantWebhookSecret)
                .where(TenantWebhookSecret.tenant_id == tenant.id)
                .values(
                    secret_enc=ctx.cipher.encrypt(
                        unreadable.secret, tenant_id=str(tenant.id), column="webhook_secret"
                    )
                )
            )
        assert (await unreadable.send("candidate.created", candidate("cand_after"))).status_code == 202
