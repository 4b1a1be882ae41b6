"""Deactivation's routes: who may deactivate (an ATS Admin or Owner, or the operator), the choice of
LinkedIn's copy, asking again, webhooks refused, and a customer activating again once all is purged."""

# ruff: noqa: F811 - the fixtures of the LinkedIn flows are imported below and named as test parameters

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from rsc_service.context import AppContext
from rsc_service.db.models import AtsRecord, OutboxMessage, ReconcileCursor
from rsc_service.onboarding import deactivation
from rsc_service.onboarding.models import SetupProgress
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.reconcile import service as reconcile
from rsc_service.tenants import ats as tenant_ats
from rsc_service.tenants.apps import TenantApps
from rsc_service.tenants.models import Stage, StageChange, Tenant
from tests.conftest import ADMIN_TOKEN, FrozenClock
from tests.factories import Ats, candidate
from tests.flows.conftest import FakeAts, drain, seed_every_kind
from tests.onboarding.test_deactivation import (  # noqa: F401 - fixtures shared with the LinkedIn flows
    ORG_A,
    Tenancy,
    app,
    apps,
    deactivate,
    dispatcher,
    fake_ats,
    finish,
    linkedin_http,
    linkedin_sim,
    owner,
    plant_local_data,
    service_asgi,
    tenant_a,
    wired,
)

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert body["code"] == code, body
    return body


async def stage_of(ctx: AppContext, tenancy: Tenancy) -> Tenant:
    async with ctx.sessionmaker() as session:
        return await session.get_one(Tenant, tenancy.id)


class TestWhoMayDeactivate:
    async def test_a_recruiter_is_refused_and_nothing_changes(
        self, fake_ats: FakeAts, tenant_a: Tenancy, client: httpx.AsyncClient, wired: AppContext
    ) -> None:
        recruiter = owner(fake_ats, "recruiter")

        refused = await deactivate(client, tenant_a, recruiter)
        unknown = await deactivate(client, tenant_a, "u-nobody")

        body = problem(refused, 422, "requirements_unmet")
        assert body["errors"][0]["field"] == "body.ats_user_id"
        assert "Admin or Owner" in body["errors"][0]["reason"]
        assert "no ATS user" in problem(unknown, 422, "requirements_unmet")["errors"][0]["reason"]
        assert (await stage_of(wired, tenant_a)).stage is Stage.ACTIVE
        problem(await client.get("/v1/integration/deactivation", headers=tenant_a.auth), 404, "not_found")

    async def test_the_choice_must_be_made_and_the_key_given(
        self, fake_ats: FakeAts, tenant_a: Tenancy, client: httpx.AsyncClient
    ) -> None:
        user = owner(fake_ats)

        unchosen = await client.post(
            "/v1/integration/deactivation", json={"ats_user_id": user}, headers=tenant_a.auth
        )
        anonymous = await client.post(
            "/v1/integration/deactivation", json={"ats_user_id": user, "delete_linkedin_data": True}
        )

        body = problem(unchosen, 422, "validation_error")
        assert body["errors"][0]["field"] == "body.delete_linkedin_data"
        problem(anonymous, 401, "unauthorized")

    async def test_asking_again_answers_the_progress_and_the_other_choice_is_a_conflict(
        self, fake_ats: FakeAts, tenant_a: Tenancy, client: httpx.AsyncClient, wired: AppContext
    ) -> None:
        user = owner(fake_ats)
        first = await deactivate(client, tenant_a, user)

        again = await deactivate(client, tenant_a, user)
        other = await deactivate(client, tenant_a, user, delete=False)

        assert again.status_code == 202
        assert again.json()["kinds"] == first.json()["kinds"]
        assert "mode delete" in problem(other, 409, "already_deactivated")["detail"]
        async with wired.sessionmaker() as session:
            moves = await session.scalar(
                select(func.count()).where(
                    StageChange.tenant_id == tenant_a.id, StageChange.to_stage == Stage.DEACTIVATED
                )
            )
        assert moves == 1

    async def test_the_operator_deactivates_with_a_reason_kept_in_the_audit_trail(
        self, tenant_a: Tenancy, client: httpx.AsyncClient, wired: AppContext
    ) -> None:
        url = f"/v1/admin/tenants/{tenant_a.key}/deactivation"
        body = {"delete_linkedin_data": False, "reason": "contract ended"}

        answer = await client.post(url, json=body, headers=ADMIN)
        shown = await client.get(url, headers=ADMIN)

        assert answer.status_code == 202, answer.text
        assert answer.json()["mode"] == "keep"
        assert shown.status_code == 200 and shown.json()["tenant_key"] == tenant_a.key
        problem(await client.post(url, json=body), 401, "unauthorized")
        problem(
            await client.post("/v1/admin/tenants/tn_nope/deactivation", json=body, headers=ADMIN),
            404,
            "not_found",
        )
        async with wired.sessionmaker() as session:
            last = (
                await session.scalars(
                    select(StageChange).where(StageChange.tenant_id == tenant_a.id).order_by(StageChange.id)
                )
            ).all()[-1]
        assert (last.to_stage, last.actor) == (Stage.DEACTIVATED, "operator")
        assert last.reason == "deactivated; LinkedIn keeps its copy: contract ended"


class TestWebhooks:
    async def test_a_deactivated_tenants_webhooks_are_gone_at_once_and_after_the_purge(
        self,
        fake_ats: FakeAts,
        tenant_a: Tenancy,
        client: httpx.AsyncClient,
        apps: TenantApps,
        wired: AppContext,
        clock: FrozenClock,
    ) -> None:
        ats = Ats(client=client, clock=clock, tenant_key=tenant_a.key, secret=tenant_a.webhook_secret)
        assert (await ats.send("candidate.created", candidate())).status_code == 202

        assert (await deactivate(client, tenant_a, owner(fake_ats), delete=False)).status_code == 202
        during = await ats.send("candidate.updated", candidate(version=2))
        await finish(wired, apps, clock, tenant_a)
        after = await ats.send("candidate.updated", candidate(version=3))

        # 410 Gone: the ATS stops retrying, where a 5xx or 404 would make it try again or look misrouted.
        problem(during, 410, "gone")
        problem(after, 410, "gone")
        async with wired.sessionmaker() as session:
            stored = await session.scalar(select(func.count()).where(AtsRecord.tenant_id == tenant_a.id))
        assert stored == 0


class TestActivatingAgain:
    def test_activation_is_refused_until_the_deactivation_has_finished(self) -> None:
        tenant = Tenant(key="tn_x", stage=Stage.DEACTIVATED, deactivation_mode="delete")
        with pytest.raises(deactivation.DeactivationRunning):
            deactivation.ensure_deactivation_finished(tenant)

        tenant.deactivation_finished_at = FrozenClock()()
        deactivation.ensure_deactivation_finished(tenant)
        deactivation.ensure_deactivation_finished(Tenant(key="tn_y", stage=Stage.ACTIVE))

    async def test_the_activation_route_answers_409_while_the_deletion_runs(
        self, fake_ats: FakeAts, tenant_a: Tenancy, client: httpx.AsyncClient
    ) -> None:
        user = owner(fake_ats)
        assert (await deactivate(client, tenant_a, user)).status_code == 202

        again = await client.post(
            "/v1/integration/activation", json={"ats_user_id": user}, headers=tenant_a.auth
        )

        problem(again, 409, "deactivation_running")

    async def test_after_the_purge_the_customer_activates_again_and_its_sync_starts_from_nothing(
        self,
        fake_ats: FakeAts,
        tenant_a: Tenancy,
        client: httpx.AsyncClient,
        dispatcher: Dispatcher,
        apps: TenantApps,
        wired: AppContext,
        clock: FrozenClock,
    ) -> None:
        await seed_every_kind(fake_ats)
        await drain(dispatcher, clock, rounds=20)
        await plant_local_data(wired, tenant_a)
        user = owner(fake_ats)
        assert (await deactivate(client, tenant_a, user)).status_code == 202
        await finish(wired, apps, clock, tenant_a)

        activated = await client.post(
            "/v1/integration/activation", json={"ats_user_id": user}, headers=tenant_a.auth
        )

        assert activated.status_code == 200, activated.text
        assert activated.json()["sign_in_url"].startswith("http://linkedin.test/oauth/v2/authorization")
        tenant = await stage_of(wired, tenant_a)
        assert tenant.stage is Stage.REQUESTED
        # Nothing is left to say what was synced before: the initial sync walks the whole ATS again.
        async with wired.sessionmaker() as session:
            for model in (AtsRecord, OutboxMessage, ReconcileCursor):
                found = await session.scalar(select(func.count()).where(model.tenant_id == tenant_a.id))
                assert found == 0, model
            synced = await session.scalar(
                select(func.count()).where(
                    SetupProgress.tenant_id == tenant_a.id, SetupProgress.task == "initial_sync"
                )
            )
            assert synced == 0
        walked = await reconcile.reconcile_tenant(
            wired.sessionmaker,
            tenant_id=tenant.id,
            tenant_key=tenant.key,
            ats=await tenant_ats.ats_client(wired, tenant),
            clock=wired.clock,
        )
        assert walked.error is None
        in_ats = sum(1 for kind in reconcile.KINDS for _ in fake_ats.world.stores[kind].live())
        assert in_ats >= 7  # the seeded records and their users
        assert walked.seen == walked.applied == in_ats
