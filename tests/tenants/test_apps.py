"""Each tenant's LinkedIn application: re-read now and then for a new secret, its throttle kept for good."""

from __future__ import annotations

import httpx

from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.tenants.apps import KEEP_SECONDS, TenantApps
from rsc_service.throttle import service as throttle
from rsc_service.throttle.service import DatabaseThrottle
from tests.factories import make_tenant


async def test_a_re_read_app_keeps_its_throttle_and_so_linkedins_retry_after(ctx: AppContext) -> None:
    async with ctx.sessionmaker.begin() as session:
        tenant = (await make_tenant(session, ctx)).tenant
    made: list[DatabaseThrottle] = []
    config = throttle.config(ctx.settings.linkedin, lease_seconds=ctx.settings.outbox.lease_seconds)

    def make(app: str) -> DatabaseThrottle:
        made.append(DatabaseThrottle(ctx.sessionmaker, app=app, config=config, now=ctx.db_now))
        return made[-1]

    clock = [0.0]
    async with httpx.AsyncClient() as http:
        apps = TenantApps(
            ctx.sessionmaker,
            linkedin=LinkedInClient(http, api_url="http://linkedin.test"),
            cipher=lambda: ctx.cipher,
            throttle=make,
            monotonic=lambda: clock[0],
        )
        first = await apps.for_tenant(tenant.id)
        await made[0].note_retry_after("integrations", 120.0)  # LinkedIn said: wait two minutes
        clock[0] += KEEP_SECONDS + 1
        second = await apps.for_tenant(tenant.id)

    assert second is not first  # re-read, so a new client secret would be used
    assert len(made) == 1  # and the throttle that remembers the pause is the same
