"""A deactivated tenant is not pulled, not even one member at once: `pull_member` reads nothing from LinkedIn
and writes nothing to the ATS (docs/pull.md#one-member-now)."""

from __future__ import annotations

from fastapi import FastAPI

from rsc_service.pull import service as pull_service
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage, Tenant
from tests.pull.conftest import Pull
from tests.seats.conftest import li_world

DAN = "urn:li:person:m1004"


async def deactivate(pull: Pull) -> None:
    async with pull.ctx.sessionmaker.begin() as session:
        tenant = await session.get(Tenant, pull.tenancy.tenant_id)
        assert tenant is not None
        tenant.stage = Stage.DEACTIVATED


class TestMemberPullOfADeactivatedTenant:
    async def test_nothing_is_read_or_written(self, pull: Pull, linkedin_sim: FastAPI) -> None:
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        await pull.note(3001, "m1004", "Strong in Rust.")
        await pull.inmail(3001, "m1004", subject="Robotics role")
        pull.clock.advance(minutes=1)
        async with pull.ctx.sessionmaker() as session:
            tenant = await tenant_service.get(session, pull.tenancy.tenant_id)  # read while still active
        await deactivate(pull)
        asked = len(li_world(linkedin_sim).requests)

        pulled = await pull_service.pull_member(pull.ctx, pull.apps, tenant, member_urn=DAN)

        assert pulled == pull_service.MemberPulled()
        assert len(li_world(linkedin_sim).requests) == asked  # LinkedIn was not read
        assert [r for r in pull.records("note") + pull.records("email") if r.get("external_id")] == []
        assert await pull.items() == []

    async def test_an_active_tenants_member_is_pulled(self, pull: Pull) -> None:
        """The same member pull while the tenant is active writes both (what the test above withholds)."""
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        await pull.note(3001, "m1004", "Strong in Rust.")
        await pull.inmail(3001, "m1004", subject="Robotics role")
        pull.clock.advance(minutes=1)
        async with pull.ctx.sessionmaker() as session:
            tenant = await tenant_service.get(session, pull.tenancy.tenant_id)

        pulled = await pull_service.pull_member(pull.ctx, pull.apps, tenant, member_urn=DAN)

        assert (pulled.notes_written, pulled.inmails_written, pulled.error) == (1, 1, None)
