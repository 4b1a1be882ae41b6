"""The jobs: process_pending_notifications against the simulator (a LinkedIn admin enables the integration,
its signed notification reaches our route, the job records the status), retries, what is ignored or left,
and poll_integration_status for a notification that never arrived (docs/onboarding.md#notifications)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from rsc_service import scheduler
from rsc_service.bootstrap import Service
from rsc_service.context import AppContext
from rsc_service.exports.models import Export
from rsc_service.linkedin_notifications import jobs as notification_jobs
from rsc_service.linkedin_notifications import service as notification_service
from rsc_service.linkedin_notifications.models import LinkedInNotification
from rsc_service.simulators.linkedin.world import World
from rsc_service.tenants.models import Stage, Tenant
from tests.conftest import FrozenClock

from .conftest import (
    CHILD_ID,
    CONTRACT,
    ORG,
    enabled,
    integrations,
    notification,
    notifications,
    signed,
    stage_changes,
    tenant_of,
    wait_for_linkedin,
)

ALL_FOUR = {
    (ORG, "IN_ATS_INDICATOR"),
    (ORG, "ONE_CLICK_EXPORT"),
    (ORG, "PROFILE_PLUGIN"),
    (CONTRACT, "CSA_API"),
}


def processed(outcome: str, kind: str = "INTEGRATION_STATUS_CHANGE") -> float:
    value = REGISTRY.get_sample_value(
        "rsc_linkedin_notifications_processed_total", {"type": kind, "outcome": outcome}
    )
    return value or 0.0


async def enable_in_linkedin(linkedin_http: httpx.AsyncClient, **body: object) -> dict[str, object]:
    answer = await linkedin_http.post("/_sim/admin/enable", json={"clientId": CHILD_ID, **body})
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


async def add_fault(linkedin_http: httpx.AsyncClient, **rule: object) -> None:
    answer = await linkedin_http.post("/_sim/faults", json=rule)
    assert answer.status_code in {200, 201}, answer.text


class TestStatusChange:
    async def test_an_enabled_integration_moves_the_tenant_to_enabled(
        self, ctx: AppContext, running: Service, linkedin_http: httpx.AsyncClient, world: World
    ) -> None:
        onboarding = await wait_for_linkedin(ctx, running)
        tenant_id = onboarding.tenant.id
        done_before = processed("done")

        result = await enable_in_linkedin(linkedin_http)

        delivery = result["delivery"]
        assert isinstance(delivery, dict)
        assert delivery["delivered"] is True, delivery["attempts"]
        assert (
            world.callbacks[onboarding.callback_url].validated_at is not None
        )  # our challenge answer passed
        [row] = await notifications(ctx, tenant_id)
        assert (row.kind, row.request_id, row.state) == (
            "INTEGRATION_STATUS_CHANGE",
            result["requestId"],
            "pending",
        )
        assert (await tenant_of(ctx, tenant_id)).stage is Stage.PARTNER_READY  # nothing happens on arrival

        await notification_jobs.process_pending_notifications(running)

        assert (await tenant_of(ctx, tenant_id)).stage is Stage.ENABLED
        last = (await stage_changes(ctx, tenant_id))[-1]
        assert (last.from_stage, last.to_stage, last.actor) == (
            Stage.PARTNER_READY,
            Stage.ENABLED,
            "linkedin",
        )
        stored = await integrations(ctx, tenant_id)
        assert set(stored) == ALL_FOUR
        assert enabled(stored)
        [row] = await notifications(ctx, tenant_id)
        assert (row.state, row.attempts, row.last_error) == ("done", 0, None)
        assert row.processed_at == ctx.clock()
        assert processed("done") == done_before + 1

    async def test_a_repeated_delivery_is_processed_once(
        self,
        ctx: AppContext,
        running: Service,
        linkedin_http: httpx.AsyncClient,
        world: World,
    ) -> None:
        world.config.notification_duplicates = 2  # LinkedIn delivers the same notification three times
        onboarding = await wait_for_linkedin(ctx, running)
        result = await enable_in_linkedin(linkedin_http)
        delivery = result["delivery"]
        assert isinstance(delivery, dict)
        assert [a.get("status") for a in delivery["attempts"]] == [200, 200, 200]
        assert len(await notifications(ctx, onboarding.tenant.id)) == 1
        await notification_jobs.process_pending_notifications(running)
        changes = await stage_changes(ctx, onboarding.tenant.id)
        assert [c.to_stage for c in changes].count(Stage.ENABLED) == 1

    async def test_a_linkedin_error_is_retried_with_backoff_then_done(
        self, ctx: AppContext, running: Service, linkedin_http: httpx.AsyncClient, clock: FrozenClock
    ) -> None:
        onboarding = await wait_for_linkedin(ctx, running)
        tenant_id = onboarding.tenant.id
        await enable_in_linkedin(linkedin_http)
        await add_fault(linkedin_http, kind="error", status=503, count=2, pathPrefix="/v2/atsIntegrations")
        retried_before = processed("retried")

        await notification_jobs.process_pending_notifications(running)
        [row] = await notifications(ctx, tenant_id)
        assert (row.state, row.attempts) == ("pending", 1)
        assert row.next_attempt_at == clock() + timedelta(seconds=5)
        assert row.last_error is not None and "503" in row.last_error
        assert (await tenant_of(ctx, tenant_id)).stage is Stage.PARTNER_READY

        await notification_jobs.process_pending_notifications(running)  # not due yet: nothing happens
        assert (await notifications(ctx, tenant_id))[0].attempts == 1

        clock.advance(seconds=5)
        await notification_jobs.process_pending_notifications(running)
        [row] = await notifications(ctx, tenant_id)
        assert (row.state, row.attempts) == ("pending", 2)
        assert row.next_attempt_at == clock() + timedelta(seconds=10)  # doubled

        clock.advance(seconds=10)
        await notification_jobs.process_pending_notifications(running)
        [row] = await notifications(ctx, tenant_id)
        assert (row.state, row.attempts, row.last_error) == ("done", 2, None)
        assert (await tenant_of(ctx, tenant_id)).stage is Stage.ENABLED
        assert processed("retried") == retried_before + 2

    async def test_gives_up_after_twenty_attempts(
        self, ctx: AppContext, running: Service, linkedin_http: httpx.AsyncClient
    ) -> None:
        onboarding = await wait_for_linkedin(ctx, running)
        await enable_in_linkedin(linkedin_http)
        async with ctx.sessionmaker.begin() as session:
            await session.execute(update(LinkedInNotification).values(attempts=19))
        await add_fault(linkedin_http, kind="error", status=500, count=1, pathPrefix="/v2/atsIntegrations")
        await notification_jobs.process_pending_notifications(running)
        [row] = await notifications(ctx, onboarding.tenant.id)
        assert (row.state, row.attempts) == ("failed", 20)
        assert row.last_error is not None and row.last_error.startswith("gave up (20 attempts)")
        assert (await tenant_of(ctx, onboarding.tenant.id)).stage is Stage.PARTNER_READY

    async def test_gives_up_once_the_notification_expired(
        self, ctx: AppContext, running: Service, linkedin_http: httpx.AsyncClient, clock: FrozenClock
    ) -> None:
        onboarding = await wait_for_linkedin(ctx, running)
        await enable_in_linkedin(linkedin_http)  # the simulator's notifications expire after an hour
        await add_fault(linkedin_http, kind="error", status=503, count=1, pathPrefix="/v2/atsIntegrations")
        await notification_jobs.process_pending_notifications(running)
        assert (await notifications(ctx, onboarding.tenant.id))[0].state == "pending"
        clock.advance(hours=1)
        await notification_jobs.process_pending_notifications(running)
        [row] = await notifications(ctx, onboarding.tenant.id)
        assert row.state == "failed"
        assert row.last_error is not None and "expired" in row.last_error


class TestOtherTypes:
    async def test_exports_go_to_the_export_feature_and_unknown_types_are_ignored(
        self, ctx: AppContext, running: Service, client: httpx.AsyncClient, provisioned: Tenant
    ) -> None:
        export, other = notification("EXPORT_CANDIDATE_PROFILE"), notification("SOMETHING_NEW")
        for sent in (export, other):
            body, headers = signed(sent)
            answer = await client.post(
                f"/v1/linkedin/notifications/{provisioned.key}", content=body, headers=headers
            )
            assert answer.status_code == 200
        ignored_before = processed("ignored", kind="other")

        await notification_jobs.process_pending_notifications(running)

        rows = {row.kind: row for row in await notifications(ctx, provisioned.id)}
        acted, ignored = rows["EXPORT_CANDIDATE_PROFILE"], rows["SOMETHING_NEW"]
        # LinkedIn serves no export for this request id: recorded as such, nothing written, notification done.
        assert (acted.state, acted.attempts) == ("done", 0)
        async with ctx.sessionmaker() as session:
            found = await session.scalar(select(Export).where(Export.request_id == export["id"]))
        assert found is not None and found.outcome == "not_found"
        assert found.ats_candidate_id is None
        assert ignored.state == "ignored"
        assert ignored.last_error == "SOMETHING_NEW notifications are not acted on"
        assert processed("ignored", kind="other") == ignored_before + 1

    async def test_without_an_export_handler_exports_wait(
        self, ctx: AppContext, running: Service, client: httpx.AsyncClient, provisioned: Tenant
    ) -> None:
        body, headers = signed(notification("EXPORT_CANDIDATE_PROFILE"))
        await client.post(f"/v1/linkedin/notifications/{provisioned.key}", content=body, headers=headers)

        await notification_service.process_pending(ctx.sessionmaker, running.tenant_apps, now=ctx.db_now)

        (waiting,) = await notifications(ctx, provisioned.id)
        assert (waiting.state, waiting.attempts, waiting.next_attempt_at) == (
            "pending",
            0,
            waiting.received_at,
        )


class TestBackoff:
    def test_doubles_from_five_seconds_up_to_ten_minutes(self) -> None:
        waits = [notification_service.backoff(n).total_seconds() for n in range(1, 21)]
        assert waits[:8] == [5, 10, 20, 40, 80, 160, 320, 600]
        assert set(waits[7:]) == {600}


class TestPolling:
    async def test_a_lost_notification_is_made_up_for_by_polling(
        self, ctx: AppContext, running: Service, linkedin_http: httpx.AsyncClient, world: World
    ) -> None:
        onboarding = await wait_for_linkedin(ctx, running, callback=False)
        result = await enable_in_linkedin(linkedin_http)
        delivery = result["delivery"]
        assert isinstance(delivery, dict)
        assert delivery["delivered"] is False  # no CALLBACK_URL: the notification never reaches us
        assert await notifications(ctx, onboarding.tenant.id) == []

        job = next(j for j in scheduler.JOBS if j.name == "poll_integration_status")
        assert await scheduler.run_singleton(running, job, job.interval)

        tenant = await tenant_of(ctx, onboarding.tenant.id)
        assert tenant.stage is Stage.ENABLED
        last = (await stage_changes(ctx, tenant.id))[-1]
        assert (last.from_stage, last.to_stage, last.actor) == (Stage.PARTNER_READY, Stage.ENABLED, "service")
        assert enabled(await integrations(ctx, tenant.id))

    async def test_nothing_moves_while_linkedin_has_not_enabled_anything(
        self, ctx: AppContext, running: Service
    ) -> None:
        onboarding = await wait_for_linkedin(ctx, running)
        await notification_jobs.poll_integration_status(running)
        assert (await tenant_of(ctx, onboarding.tenant.id)).stage is Stage.PARTNER_READY
        stored = await integrations(ctx, onboarding.tenant.id)
        assert set(stored) == ALL_FOUR
        assert set(stored.values()) == {"DISABLED"}  # as LinkedIn reports a named, not yet enabled one

    async def test_a_failing_read_is_left_for_the_next_run(
        self, ctx: AppContext, running: Service, linkedin_http: httpx.AsyncClient
    ) -> None:
        onboarding = await wait_for_linkedin(ctx, running, callback=False)
        await enable_in_linkedin(linkedin_http)
        await add_fault(linkedin_http, kind="error", status=503, count=1, pathPrefix="/v2/atsIntegrations")
        await notification_jobs.poll_integration_status(running)
        assert (await tenant_of(ctx, onboarding.tenant.id)).stage is Stage.PARTNER_READY
        await notification_jobs.poll_integration_status(running)
        assert (await tenant_of(ctx, onboarding.tenant.id)).stage is Stage.ENABLED


class TestRegistration:
    def test_jobs_are_scheduled(self) -> None:
        jobs = {job.name: job for job in scheduler.JOBS}
        process, poll = jobs["process_pending_notifications"], jobs["poll_integration_status"]
        assert (process.interval, process.singleton) == (timedelta(seconds=5), False)
        assert (poll.interval, poll.singleton) == (timedelta(minutes=1), True)
