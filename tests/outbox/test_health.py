"""Sync health per tenant (docs/architecture.md#20-operations) and the outbox gauges built from it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from prometheus_client import REGISTRY
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.integrations.ats import parse_event
from rsc_service.mirror import changes
from rsc_service.outbox import health as outbox_health
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.push import service as push_service
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Tenant
from rsc_service.throttle import service as throttle_service
from rsc_service.throttle.service import DatabaseThrottle, ThrottleConfig
from rsc_service.web import metrics_collect
from tests.conftest import FrozenClock
from tests.factories import candidate, make_tenant


async def _candidate_arrives(ctx: AppContext, tenant: Tenant, ats_id: str) -> None:
    event = {"type": "candidate.created", "id": f"evt_{ats_id}", "occurred_at": ctx.clock().isoformat()}
    async with ctx.sessionmaker.begin() as session:
        await push_service.apply_ats_changes(
            session,
            [(tenant, changes.from_event(parse_event(json.dumps(event | {"data": candidate(ats_id)}))))],
            now=ctx.clock(),
        )


async def _health(ctx: AppContext, tenant: Tenant) -> outbox_health.SyncHealth:
    async with ctx.sessionmaker() as session:
        fresh = await tenant_service.get(session, tenant.id)
        return await outbox_health.for_tenant(
            session, tenant=fresh, budgets=throttle_service.budgets(ctx.settings.linkedin), now=ctx.clock()
        )


class TestSyncHealth:
    async def test_a_new_tenant_owes_nothing_and_has_its_whole_quota(self, ctx: AppContext) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant

        health = await _health(ctx, tenant)

        assert set(health.depth.values()) == {0} and health.dead == 0
        assert (health.oldest_owed_at, health.oldest_age_seconds, health.last_error) == (None, None, None)
        assert (health.paused_until, health.paused_reason) == (None, None)
        assert [(q.group, q.records_left, q.requests_left) for q in health.quotas] == [
            ("sync", 10_000, 100_000),
            ("acls", 10_000, 100_000),
            ("prospect", None, 100_000),
            ("job_tasks", None, 300_000),
        ]

    async def test_depth_age_dead_letters_and_the_last_error(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
        first_owed = clock()
        await _candidate_arrives(ctx, tenant, "cand_1")
        clock.advance(minutes=1)
        await _candidate_arrives(ctx, tenant, "cand_2")
        async with ctx.sessionmaker.begin() as session:
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == "cand_2"))
            assert row is not None
            row.state, row.last_error, row.updated_at = (
                State.DEAD,
                "422 ERROR :: /firstName :: required",
                clock(),
            )
        clock.advance(minutes=9)

        health = await _health(ctx, tenant)

        assert (health.depth["pending"], health.depth["dead"], health.dead) == (1, 1, 1)
        assert health.oldest_owed_at == first_owed and health.oldest_age_seconds == 600
        assert health.last_error is not None
        assert (health.last_error.key, health.last_error.state) == ("cand_2", "dead")
        assert "/firstName" in health.last_error.message

    async def test_a_refused_integration_shows_why_until_the_pause_ends(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            await tenant_service.pause_sending(
                session,
                tenant_id=tenant.id,
                until=clock() + timedelta(hours=1),
                reason="LinkedIn refused the integration (403): integration not enabled",
            )

        paused = await _health(ctx, tenant)
        clock.advance(hours=2)
        resumed = await _health(ctx, tenant)

        assert paused.paused_until == clock() - timedelta(hours=1)
        assert paused.paused_reason is not None and "403" in paused.paused_reason
        assert (resumed.paused_until, resumed.paused_reason) == (None, None)

    async def test_quota_left_follows_the_shared_throttle(self, ctx: AppContext, clock: FrozenClock) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant

        async def now() -> datetime:
            return clock()

        throttle = DatabaseThrottle(
            ctx.sessionmaker,
            app=tenant.linkedin_client_id,
            config=ThrottleConfig(budgets=throttle_service.budgets(ctx.settings.linkedin)),
            now=now,
        )
        await throttle.acquire("sync", 40)
        await throttle.note_retry_after("sync", 30)

        sync = next(q for q in (await _health(ctx, tenant)).quotas if q.group == "sync")

        assert (sync.records_left, sync.requests_left) == (10_000 - 40, 100_000 - 1)
        assert sync.paused_until == clock() + timedelta(seconds=30)


class TestOutboxGauges:
    async def test_gauges_carry_each_tenants_depth_age_and_quota(
        self, ctx: AppContext, clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx, linkedin_client_id="gauged-app")).tenant
        await _candidate_arrives(ctx, tenant, "cand_1")
        clock.advance(seconds=90)

        await metrics_collect.refresh_outbox_gauges(ctx, outbox_health.samples)

        def value(name: str, **labels: str) -> float | None:
            return REGISTRY.get_sample_value(name, labels)

        assert value("rsc_outbox_depth", tenant=tenant.key, state="pending") == 1
        assert value("rsc_outbox_depth", tenant=tenant.key, state="dead") == 0
        assert value("rsc_outbox_oldest_age_seconds", tenant=tenant.key) == 90
        assert value("rsc_linkedin_quota_records_left", app="gauged-app", group="sync") == 10_000
        assert value("rsc_linkedin_quota_requests_left", app="gauged-app", group="prospect") == 100_000

        metrics_collect.publish([])

        assert value("rsc_outbox_depth", tenant=tenant.key, state="pending") is None
