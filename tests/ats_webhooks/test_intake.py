"""Intake: concurrent webhooks committed together, a bad delivery failing alone, the kept signing keys."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import structlog.testing
from prometheus_client import REGISTRY
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from rsc_service import bootstrap
from rsc_service.app import create_app
from rsc_service.ats_webhooks.intake import Intake
from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.context import AppContext, open_context
from rsc_service.mirror.models import AtsRecord
from rsc_service.outbox.models import OutboxMessage
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Stage, Tenant
from tests.conftest import ADMIN_TOKEN, FrozenClock, make_settings
from tests.factories import Ats, candidate, make_tenant
from tests.observe import statements


async def _count(ctx: AppContext, model: type, tenant_key: str) -> int:
    async with ctx.sessionmaker() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.key == tenant_key))
        query = select(func.count()).select_from(model).where(model.tenant_id == tenant_id)  # type: ignore[attr-defined]
        return int(await session.scalar(query) or 0)


def _batches() -> tuple[float, float]:
    count = REGISTRY.get_sample_value("rsc_ingest_batch_size_count") or 0.0
    total = REGISTRY.get_sample_value("rsc_ingest_batch_size_sum") or 0.0
    return count, total


Committed = tuple[AppContext, httpx.AsyncClient, FrozenClock]


@pytest.fixture
async def committed(
    fresh_database: Callable[[bool], Awaitable[str]], clock: FrozenClock
) -> AsyncIterator[Committed]:
    """The service on a database of its own, with real commits: a batch's failure and retries are real."""
    settings = make_settings(await fresh_database(True))
    async with open_context(settings) as ctx:
        ctx.clock = clock
        transport = httpx.ASGITransport(app=create_app(settings, context=ctx), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as client:
            yield ctx, client, clock


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _watched(ats: Ats, ctx: AppContext, monotonic: FakeMonotonic) -> Ats:
    """The same tenant's webhooks, sent to an app whose intake keeps signing keys by `monotonic`."""
    service = bootstrap.build(ctx, intake=Intake(ctx, monotonic=monotonic))
    app = create_app(ctx.settings, service=service)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rsc.test")
    return dataclasses.replace(ats, client=client)


async def _two_tenants(committed: Committed) -> tuple[Ats, Ats]:
    """The ATSes of two new tenants: one to send what cannot be stored, one to send what can."""
    ctx, client, clock = committed
    async with ctx.sessionmaker.begin() as session:
        a, b = await make_tenant(session, ctx), await make_tenant(session, ctx)
    return (
        Ats(client=client, clock=clock, tenant_key=a.tenant.key, secret=a.webhook_secret),
        Ats(client=client, clock=clock, tenant_key=b.tenant.key, secret=b.webhook_secret),
    )


class TestGroupCommit:
    async def test_concurrent_webhooks_share_commits_and_each_is_answered_for_itself(
        self, ats: Ats, ctx: AppContext
    ) -> None:
        events = [ats.event("candidate.created", candidate(f"cand_{n:03d}")) for n in range(40)]
        repeats = events[:10]  # delivered twice, concurrently with the first delivery
        before = _batches()

        responses = await asyncio.gather(*(ats.post(event) for event in [*events, *repeats]))

        assert all(r.status_code == 202 for r in responses), [
            r.text for r in responses if r.status_code != 202
        ]
        statuses = [r.json()["status"] for r in responses]
        assert statuses.count("accepted") == 40 and statuses.count("duplicate") == 10
        for event in repeats:  # exactly one of the two deliveries of each repeated event was the new one
            answers = [r.json()["status"] for r in responses if r.json()["event_id"] == event["id"]]
            assert sorted(answers) == ["accepted", "duplicate"]
        assert await _count(ctx, AtsWebhookEvent, ats.tenant_key) == 40
        assert await _count(ctx, AtsRecord, ats.tenant_key) == 40
        assert await _count(ctx, OutboxMessage, ats.tenant_key) == 40
        after = _batches()
        commits, written = after[0] - before[0], after[1] - before[1]
        assert written == 50 and commits < 50  # some webhooks were committed together

    async def test_a_batch_writes_its_mirror_and_outbox_rows_in_one_statement_on_postgresql(
        self, ats: Ats, ctx: AppContext
    ) -> None:
        events = [ats.event("candidate.created", candidate(f"cand_{n:03d}")) for n in range(12)]
        with statements(ctx.engine, lambda sql: "INSERT INTO" in sql) as inserts:
            responses = await asyncio.gather(*(ats.post(event) for event in events))

        assert [r.status_code for r in responses] == [202] * 12
        assert await _count(ctx, AtsRecord, ats.tenant_key) == 12
        assert await _count(ctx, OutboxMessage, ats.tenant_key) == 12
        mirror = [sql for sql in inserts if "INSERT INTO ats_records" in sql]
        inbox = [sql for sql in inserts if "INSERT INTO ats_webhook_events" in sql]
        if ctx.engine.dialect.name == "postgresql":
            # Each round trip counts a batch's cost whatever its size (docs/architecture.md#14-ingest): the
            # new records go inside the outbox's INSERT, one statement for both tables.
            assert mirror and all("INSERT INTO outbox_messages" in sql for sql in mirror), mirror
            assert len(inserts) == 2 * len(inbox)
        else:  # a statement costs SQLite no round trip: one per table
            assert len(inserts) == 3 * len(inbox)

    async def test_unstorable_deliveries_are_refused_before_they_reach_a_shared_commit(
        self, committed: Committed
    ) -> None:
        ctx = committed[0]
        bad, good = await _two_tenants(committed)
        nul = [bad.send("candidate.created", candidate(f"cand_{n}", first_name="A\x00")) for n in range(3)]
        fine = [good.send("candidate.created", candidate(f"cand_{n:03d}")) for n in range(60)]

        with structlog.testing.capture_logs() as logged:
            responses = await asyncio.gather(*nul, *fine)

        assert [r.status_code for r in responses[:3]] == [422] * 3
        assert [r.status_code for r in responses[3:]] == [202] * 60
        assert "ats_webhooks.batch_split" not in [entry["event"] for entry in logged]
        assert await _count(ctx, AtsRecord, bad.tenant_key) == 0
        assert await _count(ctx, AtsRecord, good.tenant_key) == 60

    @pytest.mark.parametrize("occurred_at", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
    async def test_a_time_no_timestamp_column_holds_is_refused_alone_and_the_batch_goes_through(
        self, committed: Committed, occurred_at: str
    ) -> None:
        ctx = committed[0]
        bad, good = await _two_tenants(committed)
        # The first and last times a timestamp column holds (in UTC) are as good as any other.
        times = {"cand_first": "0001-01-01T00:00:00+00:00", "cand_last": "9999-12-31T23:59:59.999999+00:00"}
        edges = [
            good.post(good.event("candidate.created", candidate(ats_id)) | {"occurred_at": at})
            for ats_id, at in times.items()
        ]
        refused = [
            bad.post(bad.event("candidate.created", candidate(f"cand_{n}")) | {"occurred_at": occurred_at})
            for n in range(3)
        ]
        fine = [good.send("candidate.created", candidate(f"cand_{n:03d}")) for n in range(60)]

        with structlog.testing.capture_logs() as logged:
            responses = await asyncio.gather(*refused, *edges, *fine)

        for response in responses[:3]:
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert [problem["field"] for problem in response.json()["errors"]] == ["body.occurred_at"]
        assert [r.status_code for r in responses[3:]] == [202] * 62
        assert "ats_webhooks.batch_split" not in [entry["event"] for entry in logged]
        assert await _count(ctx, AtsRecord, bad.tenant_key) == 0
        assert await _count(ctx, AtsWebhookEvent, bad.tenant_key) == 0
        assert await _count(ctx, AtsRecord, good.tenant_key) == 62
        assert await _count(ctx, AtsWebhookEvent, good.tenant_key) == 62
        async with ctx.sessionmaker() as session:
            stored = await session.execute(
                select(AtsRecord.ats_id, AtsRecord.occurred_at).where(AtsRecord.ats_id.in_(times))
            )
        assert {ats_id: at.isoformat() for ats_id, at in stored.all()} == times

    async def test_commits_side_by_side_keep_the_newest_version_of_each_record(
        self, committed: Committed
    ) -> None:
        ctx, client, clock = committed
        async with ctx.sessionmaker.begin() as session:
            registered = await make_tenant(session, ctx)
        ats = Ats(
            client=client, clock=clock, tenant_key=registered.tenant.key, secret=registered.webhook_secret
        )
        versions = [7, 3, 11, 1, 9, 2, 12, 5, 4, 10, 6, 8]  # delivered at once, in no order
        same = [ats.send("candidate.updated", candidate(version=v, current_title=f"v{v}")) for v in versions]
        others = [ats.send("candidate.created", candidate(f"cand_{n:03d}")) for n in range(60)]

        responses = await asyncio.gather(*same, *others)

        assert {r.status_code for r in responses} == {202}
        async with ctx.sessionmaker() as session:
            record = await session.scalar(select(AtsRecord).where(AtsRecord.ats_id == "cand_1"))
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == "cand_1"))
        assert record is not None and record.version == 12
        assert row is not None and row.payload is not None and row.payload["currentJobTitle"] == "v12"

    async def test_a_delivery_that_cannot_be_written_fails_alone(self, committed: Committed) -> None:
        ctx, client, clock = committed
        async with ctx.sessionmaker.begin() as session:
            kept, other = await make_tenant(session, ctx), await make_tenant(session, ctx)
        ats = Ats(client=client, clock=clock, tenant_key=kept.tenant.key, secret=kept.webhook_secret)
        gone = Ats(client=client, clock=clock, tenant_key=other.tenant.key, secret=other.webhook_secret)
        assert (await gone.send("candidate.created", candidate("cand_warm"))).status_code == 202
        # Deleted behind this replica's back: its signing keys are still kept here, its rows are gone.
        async with ctx.sessionmaker.begin() as session:
            await tenant_service.delete(session, await tenant_service.get_by_key(session, gone.tenant_key))

        good = [ats.post(ats.event("candidate.created", candidate(f"cand_{n:03d}"))) for n in range(20)]
        orphan = gone.send("candidate.created", candidate("cand_orphan"))
        responses = await asyncio.gather(*good, orphan)

        assert [r.status_code for r in responses[:20]] == [202] * 20
        assert responses[20].status_code == 404
        assert responses[20].headers["content-type"] == "application/problem+json"
        assert await _count(ctx, AtsRecord, ats.tenant_key) == 20
        assert await _count(ctx, AtsWebhookEvent, ats.tenant_key) == 20
        async with ctx.sessionmaker() as session:
            orphans = await session.scalar(
                select(func.count()).select_from(AtsRecord).where(AtsRecord.ats_id == "cand_orphan")
            )
        assert orphans == 0


class TestSigningKeys:
    async def test_a_tenant_deleted_through_the_admin_api_is_refused_at_once(
        self, ats: Ats, client: httpx.AsyncClient
    ) -> None:
        assert (await ats.send("candidate.created", candidate())).status_code == 202

        deleted = await client.delete(
            f"/v1/admin/tenants/{ats.tenant_key}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )

        assert deleted.status_code == 204
        assert (await ats.send("candidate.updated", candidate(version=2))).status_code == 404

    async def test_a_secret_rotated_elsewhere_verifies_at_once(self, ats: Ats, ctx: AppContext) -> None:
        assert (await ats.send("candidate.created", candidate())).status_code == 202
        async with ctx.sessionmaker.begin() as session:  # as another replica or the CLI would
            tenant = await tenant_service.get_by_key(session, ats.tenant_key)
            new, _ = await tenant_service.rotate_webhook_secret(
                session, tenant, cipher=ctx.cipher, now=ats.clock(), grace=timedelta(hours=1)
            )

        with_new = await ats.post(ats.event("candidate.updated", candidate(version=2)), secret=new)
        with_old = await ats.post(ats.event("candidate.updated", candidate(version=3)))
        forged = await ats.post(
            ats.event("candidate.updated", candidate(version=4)), secret="whsec_" + "B" * 32
        )

        assert (with_new.status_code, with_old.status_code, forged.status_code) == (202, 202, 401)

    async def test_a_flood_of_unknown_keys_is_read_a_batch_at_a_time(self, ats: Ats, ctx: AppContext) -> None:
        reads: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if "FROM tenants" in statement:
                reads.append(statement)

        strangers = [
            Ats(client=ats.client, clock=ats.clock, tenant_key=f"tn_{n:016x}", secret=ats.secret)
            for n in range(300)
        ]
        sa_event.listen(ctx.engine.sync_engine, "before_cursor_execute", count)
        try:
            responses = await asyncio.gather(
                *(stranger.send("candidate.created", candidate()) for stranger in strangers),
                ats.send("candidate.created", candidate("cand_known")),
            )
        finally:
            sa_event.remove(ctx.engine.sync_engine, "before_cursor_execute", count)

        assert [r.status_code for r in responses[:300]] == [404] * 300
        assert responses[300].status_code == 202
        assert len(reads) <= 10, len(reads)  # one read per key would be 300

    async def test_a_deactivation_elsewhere_is_seen_once_the_kept_copy_is_too_old(
        self, ats: Ats, ctx: AppContext
    ) -> None:
        monotonic = FakeMonotonic()
        ats = await _watched(ats, ctx, monotonic)
        assert (await ats.send("candidate.created", candidate())).status_code == 202
        async with ctx.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, ats.tenant_key)
            tenant.stage = Stage.DEACTIVATED

        kept_for = ctx.settings.ats.tenant_cache_seconds
        monotonic.now += kept_for / 2
        within = await ats.send("candidate.updated", candidate(version=2))
        monotonic.now += kept_for * 4
        after = await ats.send("candidate.updated", candidate(version=3))

        assert within.status_code == 202
        assert after.status_code == 410

    async def test_a_copy_past_the_cache_time_serves_while_it_is_read_again(
        self, ats: Ats, ctx: AppContext
    ) -> None:
        monotonic = FakeMonotonic()
        ats = await _watched(ats, ctx, monotonic)
        assert (await ats.send("candidate.created", candidate())).status_code == 202
        async with ctx.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, ats.tenant_key)
            tenant.stage = Stage.DEACTIVATED

        monotonic.now += ctx.settings.ats.tenant_cache_seconds * 1.5
        stale = await ats.send("candidate.updated", candidate(version=2))  # answered from the kept copy
        reread = await ats.send("candidate.updated", candidate(version=3))  # the read it started has landed

        assert (stale.status_code, reread.status_code) == (202, 410)
