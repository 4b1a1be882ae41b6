"""Two tenants, each with a candidate arrived by a signed webhook and linked to its own member."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from rsc_service.context import AppContext
from rsc_service.links import service as link_service
from rsc_service.links.models import LinkSource
from tests.conftest import FrozenClock
from tests.factories import Ats, candidate, make_tenant


@dataclass
class Side:
    """One tenant as each of its callers sees it."""

    ats: Ats
    credential: str
    member: str
    candidate_id: str

    @property
    def key(self) -> str:
        return self.ats.tenant_key

    @property
    def in_ats(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.credential}"}

    @property
    def api(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.ats.api_key}"}


async def make_side(
    ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock, *, n: int, member: str, candidate_id: str
) -> Side:
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(
            session,
            ctx,
            linkedin_client_id=f"client-{n}",
            linkedin_client_secret=f"secret-{n}",
            linkedin_app_urn=f"urn:li:developerApplication:{n}",
            linkedin_unique_foreign_id=f"foreign-{n}",
            linkedin_organization_urn=f"urn:li:organization:{n}",
        )
    assert registered.in_ats_credential is not None
    ats = Ats(client, clock, registered.tenant.key, registered.webhook_secret, registered.api_key)
    sent = await ats.send("candidate.created", candidate(candidate_id, first_name=f"Person{n}"))
    assert sent.status_code == 202, sent.text
    async with ctx.sessionmaker.begin() as session:
        await link_service.set_link(
            session,
            tenant_id=registered.tenant.id,
            ats_candidate_id=candidate_id,
            member_urn=member,
            source=LinkSource.MANUAL,
            now=clock(),
        )
    return Side(ats, registered.in_ats_credential, member, candidate_id)


@pytest.fixture
async def one(ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock) -> Side:
    return await make_side(ctx, client, clock, n=1, member="urn:li:person:one", candidate_id="cand_one")


@pytest.fixture
async def other(ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock) -> Side:
    return await make_side(ctx, client, clock, n=2, member="urn:li:person:two", candidate_id="cand_two")
