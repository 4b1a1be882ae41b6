"""The seat service below the routes: the push's look-up of seat holders, paging guards, the scheduled job."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.dialects import sqlite

from rsc_service import scheduler
from rsc_service.context import AppContext
from rsc_service.db import migrate
from rsc_service.integrations.linkedin import wire
from rsc_service.onboarding import deactivation
from rsc_service.seats import jobs, repository, service
from rsc_service.seats.models import Seat
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage, Tenant
from tests.conftest import FrozenClock
from tests.flows.conftest import clocked_apps
from tests.seats.conftest import ALICE, CONTRACT, Tenancy, add_user, delivered, register


class TestMembers:
    async def test_only_active_seats_with_a_member_count(
        self, ctx: AppContext, tenancy: Tenancy, clock: FrozenClock
    ) -> None:
        other = await register(ctx, linkedin_app_urn="urn:li:developerApplication:102")
        rows = [
            (tenancy, "1", "usr_a", "urn:li:person:a", True),
            (tenancy, "2", "usr_b", "urn:li:person:b", False),  # inactive seat
            (tenancy, "3", "usr_c", None, True),  # no member known
            (other, "1", "usr_d", "urn:li:person:d", True),  # another tenant's
        ]
        async with ctx.sessionmaker.begin() as session:
            for owner, seat_id, user, member, active in rows:
                session.add(
                    Seat(
                        tenant_id=owner.tenant_id,
                        contract_urn=CONTRACT,
                        seat_id=seat_id,
                        member_urn=member,
                        active=active,
                        roles=[],
                        ats_user_id=user,
                        assigned_by="manual",
                        refreshed_at=clock(),
                    )
                )
        async with ctx.sessionmaker() as session:
            found = await service.members(
                session, tenancy.tenant_id, ["usr_a", "usr_b", "usr_c", "usr_d", "usr_z"]
            )
            assert await service.members(session, tenancy.tenant_id, []) == {}

        assert found == {"usr_a": "urn:li:person:a"}

    def test_the_look_up_is_an_index_search(self, tmp_path: Path) -> None:
        path = tmp_path / "plans.db"
        migrate.upgrade(f"sqlite+aiosqlite:///{path}")
        compiled = repository._MEMBERS.sqlite.params(tenant_id=uuid.uuid4(), values=["a", "b"]).compile(
            dialect=sqlite.dialect(paramstyle="qmark"), compile_kwargs={"render_postcompile": True}
        )
        with sqlite3.connect(path) as connection:
            parameters = [None] * len(compiled.positiontup or [])
            plan = [
                str(row[3])
                for row in connection.execute(f"EXPLAIN QUERY PLAN {compiled.string}", parameters).fetchall()
            ]
        assert plan and all(step.startswith("SEARCH") for step in plan), plan
        # The unique (tenant_id, ats_user_id) constraint's index, both columns bound.
        assert any(s.endswith("(tenant_id=? AND ats_user_id=?)") for s in plan), plan


def _page(*ids: int) -> wire.Page[wire.Seat]:
    return wire.Page[wire.Seat](elements=[wire.Seat(id=i, contract=CONTRACT, state="ACTIVE") for i in ids])


class TestPaging:
    async def test_pages_until_an_empty_page(self) -> None:
        asked: list[int] = []
        pages = {0: _page(1, 2), 2: _page(3), 3: _page()}

        async def read(start: int) -> wire.Page[wire.Seat]:
            asked.append(start)
            return pages[start]

        found = await service._every_page(read, "seats")

        assert (list(found), asked) == (["1", "2", "3"], [0, 2, 3])

    async def test_a_page_served_again_stops_the_read_rather_than_looping(self) -> None:
        async def read(start: int) -> wire.Page[wire.Seat]:
            return _page(1, 2)  # LinkedIn ignoring `start`

        with pytest.raises(service.UpstreamFailed, match="repeated a page"):
            await service._every_page(read, "seats")


class TestScheduledRefresh:
    def test_runs_hourly_once_across_replicas(self) -> None:
        [job] = [job for job in scheduler.JOBS if job.name == "refresh_seats"]
        assert (job.interval.total_seconds(), job.singleton) == (3600, True)

    async def test_refreshes_tenants_from_enabled_on_and_one_failing_stops_no_other(
        self, app: FastAPI, ctx_seats: AppContext, tenancy: Tenancy, ats_sim: FastAPI, clock: FrozenClock
    ) -> None:
        alice = add_user(ats_sim, "alice@sim-customer.example")
        await delivered(ats_sim)
        broken = await register(  # the ATS answers 401
            ctx_seats, ats_token="not-the-ats-token", linkedin_app_urn="urn:li:developerApplication:102"
        )
        waiting = await register(
            ctx_seats,
            linkedin_client_id=None,
            linkedin_client_secret=None,
            linkedin_app_urn=None,
            linkedin_organization_urn=None,
            linkedin_unique_foreign_id=None,
            contracts=[],
        )
        async with ctx_seats.sessionmaker() as session:
            stages = {t.key: t.stage for t in await tenant_service.list_all(session)}
        assert stages == {tenancy.key: Stage.ACTIVE, broken.key: Stage.ACTIVE, waiting.key: Stage.REQUESTED}

        outcomes = {
            o.tenant_key: o for o in await jobs.refresh_all(ctx_seats, clocked_apps(ctx_seats, clock))
        }

        assert set(outcomes) == {tenancy.key, broken.key}  # a tenant not yet enabled is left out
        good = outcomes[tenancy.key].refreshed
        assert good is not None and (good.listed, good.connected) == (3, 1)
        assert outcomes[broken.key].refreshed is None
        assert "UpstreamFailed" in (outcomes[broken.key].error or "")
        async with ctx_seats.sessionmaker() as session:
            assert await service.members(session, tenancy.tenant_id, [alice]) == {
                alice: "urn:li:person:m1001"
            }
            assert await repository.list_for_tenant(session, broken.tenant_id) == []

    async def test_a_tenant_deactivated_while_its_seats_are_read_keeps_none(
        self, app: FastAPI, ctx_seats: AppContext, tenancy: Tenancy, ats_sim: FastAPI, clock: FrozenClock
    ) -> None:
        """Else the old customer's seats, and who held them, are written back after the purge."""
        add_user(ats_sim, ALICE)
        await delivered(ats_sim)
        apps = clocked_apps(ctx_seats, clock)
        left: list[deactivation.Finished] = []

        async def customer_leaves(request: httpx.Request) -> None:
            # While the refresh reads the ATS's users, the customer leaves and the job purges the tenant.
            if request.url.path.endswith("/users") and not left:
                async with ctx_seats.sessionmaker.begin() as session:
                    tenant = await tenant_service.get(session, tenancy.tenant_id)
                    await deactivation.deactivate(
                        session, ctx_seats, tenant, mode=deactivation.Mode.KEEP,
                        actor=lifecycle.OPERATOR, now=clock(),
                    )  # fmt: skip
                left.extend(
                    await deactivation.finish_deactivations(ctx_seats, apps, tenant_ids=[tenancy.tenant_id])
                )

        ctx_seats.ats_http.event_hooks["request"].append(customer_leaves)

        [outcome] = await jobs.refresh_all(ctx_seats, apps)

        assert [finished.finished for finished in left] == [True]
        assert outcome.refreshed is None and "deactivated" in (outcome.error or "")
        async with ctx_seats.sessionmaker() as session:
            tenant = await session.get_one(Tenant, tenancy.tenant_id)
            assert await repository.list_for_tenant(session, tenancy.tenant_id) == []
        assert tenant.stage is Stage.DEACTIVATED and tenant.deactivation_finished_at is not None
