"""The operator API for one tenant's sync: health, dead letters and their replay, reconcile now."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from rsc_service import bootstrap
from rsc_service.admin import sync_routes
from rsc_service.app import create_app
from rsc_service.context import AppContext
from rsc_service.integrations.ats import parse_event
from rsc_service.mirror import changes
from rsc_service.mirror.models import AtsRecord
from rsc_service.onboarding import deactivation
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.push import service as push_service
from rsc_service.settings import Settings
from rsc_service.simulators.ats.app import create_app as create_ats_sim
from rsc_service.simulators.ats.config import AtsSimConfig
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Tenant
from tests.conftest import ADMIN_TOKEN, FrozenClock
from tests.factories import candidate, make_tenant

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ATS_URL = "http://ats.test"


@pytest.fixture
def ats_sim(clock: FrozenClock) -> FastAPI:
    return create_ats_sim(AtsSimConfig(), clock=clock)  # no webhook URL: changes reach us only by reconcile


@pytest.fixture
async def ctx(ctx: AppContext, ats_sim: FastAPI) -> AsyncIterator[AppContext]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ats_sim)) as http:
        yield replace(ctx, ats_http=http)


@pytest.fixture
def app(settings: Settings, ctx: AppContext) -> FastAPI:
    app = create_app(settings, context=ctx)
    if not any(getattr(route, "path", "").endswith("/dead-letters/replay") for route in app.routes):
        app.include_router(sync_routes.router)
    return app


@pytest.fixture
async def tenant(ctx: AppContext) -> Tenant:
    async with ctx.sessionmaker.begin() as session:
        return (await make_tenant(session, ctx, ats_base_url=ATS_URL, ats_token="ats-sim-token")).tenant


async def _dead(ctx: AppContext, tenant: Tenant, *ats_ids: str) -> list[int]:
    ids = []
    async with ctx.sessionmaker.begin() as session:
        for ats_id in ats_ids:
            event = {
                "type": "candidate.created",
                "id": f"evt_{ats_id}",
                "occurred_at": ctx.clock().isoformat(),
            }
            data = json.dumps(event | {"data": candidate(ats_id)})
            await push_service.apply_ats_changes(
                session, [(tenant, changes.from_event(parse_event(data)))], now=ctx.clock()
            )
            row = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.tenant_id == tenant.id, OutboxMessage.key == ats_id)
            )
            assert row is not None
            row.state, row.attempts, row.last_error = State.DEAD, 1, "422 ERROR :: /firstName :: required"
            await session.flush()
            ids.append(row.id)
    return ids


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return dict(response.json())


class TestSyncHealth:
    async def test_shows_depth_dead_letters_quota_and_a_403_pause(
        self, client: httpx.AsyncClient, ctx: AppContext, tenant: Tenant, clock: FrozenClock
    ) -> None:
        await _dead(ctx, tenant, "cand_1")
        async with ctx.sessionmaker.begin() as session:
            await tenant_service.pause_sending(
                session,
                tenant_id=tenant.id,
                until=clock().replace(year=2027),
                reason="LinkedIn refused (403)",
            )

        response = await client.get(f"/v1/admin/tenants/{tenant.key}/sync", headers=AUTH)

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["depth"]["dead"] == 1 and body["dead_letters"] == 1
        assert body["last_error"]["key"] == "cand_1"
        assert (body["sending_paused"], body["paused_reason"]) == (True, "LinkedIn refused (403)")
        assert {q["group"]: q["records_left"] for q in body["quotas"]} == {
            "sync": 10_000,
            "acls": 10_000,
            "prospect": None,
            "job_tasks": None,
        }
        assert body["reconcile"] == {"last_started_at": None, "last_finished_at": None, "last_error": None}

    async def test_needs_the_admin_token_and_a_known_tenant(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        assert (await client.get(f"/v1/admin/tenants/{tenant.key}/sync")).status_code == 401
        assert _problem(await client.get("/v1/admin/tenants/tn_missing/sync", headers=AUTH), 404)


class TestDeadLetterRoutes:
    async def test_lists_in_pages_and_replays_once(
        self, client: httpx.AsyncClient, ctx: AppContext, tenant: Tenant
    ) -> None:
        ids = await _dead(ctx, tenant, "cand_1", "cand_2")
        base = f"/v1/admin/tenants/{tenant.key}/dead-letters"

        first = (await client.get(base, params={"limit": 1}, headers=AUTH)).json()
        second = (await client.get(base, params={"after": first["next_after"]}, headers=AUTH)).json()
        replay = await client.post(f"{base}/replay", json={"ids": [ids[0]]}, headers=AUTH)
        again = await client.post(f"{base}/replay", json={"ids": [ids[0]]}, headers=AUTH)
        rest = await client.post(f"{base}/replay", json={"all": True}, headers=AUTH)

        assert [item["id"] for item in first["items"]] == ids[:1] and first["next_after"] == ids[0]
        assert [item["id"] for item in second["items"]] == ids[1:] and second["next_after"] is None
        assert "/firstName" in first["items"][0]["last_error"]
        assert replay.json() == {"replayed": [ids[0]], "skipped": [], "remaining": 1}
        assert again.json() == {"replayed": [], "skipped": [ids[0]], "remaining": 1}
        assert rest.json() == {"replayed": [ids[1]], "skipped": [], "remaining": 0}
        async with ctx.sessionmaker() as session:
            rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        assert [(row.state, row.attempts) for row in rows] == [(State.PENDING, 0), (State.PENDING, 0)]

    async def test_another_tenants_row_is_404(
        self, client: httpx.AsyncClient, ctx: AppContext, tenant: Tenant
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            other = (
                await make_tenant(session, ctx, linkedin_app_urn="urn:li:developerApplication:3002")
            ).tenant
        [theirs] = await _dead(ctx, other, "cand_1")

        response = await client.post(
            f"/v1/admin/tenants/{tenant.key}/dead-letters/replay", json={"ids": [theirs]}, headers=AUTH
        )

        assert _problem(response, 404)["code"] == "not_found"

    @pytest.mark.parametrize(
        "body", [{}, {"ids": [1], "all": True}, {"ids": []}, {"ids": list(range(1, 502))}]
    )
    async def test_a_replay_names_rows_or_all_within_the_cap(
        self, client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any]
    ) -> None:
        response = await client.post(
            f"/v1/admin/tenants/{tenant.key}/dead-letters/replay", json=body, headers=AUTH
        )

        assert _problem(response, 422)["code"] == "validation_error"


class TestReconcileRoute:
    async def test_runs_now_and_a_second_run_owes_nothing(
        self, client: httpx.AsyncClient, ctx: AppContext, tenant: Tenant, ats_sim: FastAPI
    ) -> None:
        created = ats_sim.state.world.create(
            "candidate",
            {"first_name": "Lost", "last_name": "Webhook", "emails": [{"address": "lost@x.example"}]},
        )
        url = f"/v1/admin/tenants/{tenant.key}/reconcile"

        first = await client.post(url, headers=AUTH)
        second = await client.post(url, headers=AUTH)
        health = (await client.get(f"/v1/admin/tenants/{tenant.key}/sync", headers=AUTH)).json()

        assert first.json() == {
            "tenant_key": tenant.key,
            "seen": 1,
            "applied": 1,
            "error": None,
            "skipped": [],
        }
        assert second.json() == {
            "tenant_key": tenant.key,
            "seen": 1,
            "applied": 0,
            "error": None,
            "skipped": [],
        }
        assert health["depth"]["pending"] == 1
        assert health["reconcile"]["last_finished_at"] is not None
        async with ctx.sessionmaker() as session:
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == created["id"]))
        assert row is not None and row.source_version == created["version"]

    async def test_a_deactivated_tenant_is_409_and_its_ats_is_not_read_again(
        self, client: httpx.AsyncClient, ctx: AppContext, tenant: Tenant, ats_sim: FastAPI
    ) -> None:
        # Its deactivation finished: the purge the customer was promised must not be undone by a reconcile.
        async with ctx.sessionmaker.begin() as session:
            found = await tenant_service.get_by_key(session, tenant.key)
            await deactivation.deactivate(
                session, ctx, found, mode=deactivation.Mode.KEEP, actor=lifecycle.OPERATOR,
                now=ctx.clock(), reason="customer left",
            )  # fmt: skip
        assert await deactivation.finish_one(ctx, bootstrap.tenant_apps(ctx), tenant.id)
        ats_sim.state.world.create("candidate", {"first_name": "Gone", "last_name": "Customer"})

        response = await client.post(f"/v1/admin/tenants/{tenant.key}/reconcile", headers=AUTH)

        assert _problem(response, 409)["code"] == "wrong_stage"
        async with ctx.sessionmaker() as session:
            stored = await session.scalar(
                select(func.count()).select_from(AtsRecord).where(AtsRecord.tenant_id == tenant.id)
            )
        assert stored == 0

    async def test_an_unknown_tenant_is_404(self, client: httpx.AsyncClient) -> None:
        assert _problem(await client.post("/v1/admin/tenants/tn_missing/reconcile", headers=AUTH), 404)
