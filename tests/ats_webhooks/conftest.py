"""A registered tenant whose signed ATS webhooks the tests deliver to the service."""

from __future__ import annotations

import httpx
import pytest

from rsc_service.context import AppContext
from tests.conftest import FrozenClock
from tests.factories import Ats, make_tenant


@pytest.fixture
async def ats(client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock) -> Ats:
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(session, ctx)
    return Ats(client=client, clock=clock, tenant_key=registered.tenant.key, secret=registered.webhook_secret)
