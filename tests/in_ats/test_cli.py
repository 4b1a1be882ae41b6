"""`rsc-service tenant in-ats-credential`: the operator reads the In-ATS credential, or rotates it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from rsc_service.context import open_context
from rsc_service.tenants import in_ats_credential
from rsc_service.tenants import service as tenant_service
from tests import processes
from tests.conftest import ENCRYPTION_KEY, make_settings

FreshDatabase = Callable[[bool], Awaitable[str]]


async def _stored(url: str) -> str | None:
    async with open_context(make_settings(url)) as ctx:
        async with ctx.sessionmaker() as session:
            (tenant,) = await tenant_service.list_all(session)
            return in_ats_credential.reveal(tenant, cipher=ctx.cipher)


async def test_read_and_rotate(fresh_database: FreshDatabase) -> None:
    url = await fresh_database(True)
    env = processes.tenant_env(url, ENCRYPTION_KEY)
    key = processes.create_tenant(env)["tenant_key"]

    read = processes.run(["tenant", "in-ats-credential", key, "--json"], env)
    rotated = processes.run(["tenant", "in-ats-credential", key, "--rotate", "--json"], env)
    unknown = processes.run(["tenant", "in-ats-credential", "tn_nobody"], env)

    assert read.returncode == 0, read.stderr
    first = json.loads(read.stdout)["in_ats_credential"]
    assert rotated.returncode == 0, rotated.stderr
    second = json.loads(rotated.stdout)["in_ats_credential"]
    assert first.startswith("rscin_") and second.startswith("rscin_") and first != second
    assert await _stored(url) == second
    assert unknown.returncode != 0 and "tn_nobody" in unknown.stderr + unknown.stdout
