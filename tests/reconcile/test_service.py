"""reconcile_tenant(): cursors per kind, one transaction per page, overlap, and failures of the ATS."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from rsc_service.context import AppContext
from rsc_service.integrations.ats import AtsClient
from rsc_service.mirror import service as mirror_service
from rsc_service.outbox.models import OutboxMessage
from rsc_service.reconcile import service as reconcile_service
from rsc_service.reconcile.models import ReconcileCursor
from rsc_service.simulators.ats.webhooks import Faults
from rsc_service.tenants import service as tenant_service
from tests.conftest import FrozenClock
from tests.factories import Ats, deactivate_by_operator
from tests.flows.conftest import FakeAts
from tests.reconcile.conftest import ATS_TOKEN, ATS_URL


class FailingAfter(httpx.AsyncBaseTransport):
    """The fake ATS, until it answers 503 from the n-th list request of `path` on."""

    def __init__(self, app: FastAPI, *, path: str, after: int) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._path, self._after, self.calls = path, after, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self._path:
            self.calls += 1
            if self.calls > self._after:
                return httpx.Response(503, json={"title": "Service Unavailable"})
        return await self._inner.handle_async_request(request)


class DeactivatedOnTheWay(httpx.AsyncBaseTransport):
    """The fake ATS, with the tenant deactivated by the operator as the `after`+1-th list request of `path`
    is on its way."""

    def __init__(self, app: FastAPI, ats: Ats, *, path: str, after: int) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._ats, self._path, self._after, self.calls = ats, path, after, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self._path:
            self.calls += 1
            if self.calls == self._after + 1:
                await deactivate_by_operator(self._ats.client, self._ats.tenant_key)
        return await self._inner.handle_async_request(request)


def _client(
    fake: FakeAts, *, token: str = ATS_TOKEN, transport: httpx.AsyncBaseTransport | None = None
) -> AtsClient:
    http = httpx.AsyncClient(transport=transport or httpx.ASGITransport(app=fake.app))
    return AtsClient(http, base_url=ATS_URL, token=token, retries=0, page_size=2)


def _create_candidates(fake: FakeAts, clock: FrozenClock, count: int) -> list[str]:
    fake.webhooks.set_faults(Faults(drop=1.0))
    made = []
    for n in range(count):
        clock.advance(seconds=1)
        made.append(fake.world.create("candidate", {"first_name": f"Ann {n}", "last_name": "Lost"})["id"])
    return made


async def _tenant_id(ctx: AppContext, ats: Ats) -> uuid.UUID:
    async with ctx.sessionmaker() as session:
        return (await tenant_service.get_by_key(session, ats.tenant_key)).id


async def _cursors(ctx: AppContext) -> dict[str, ReconcileCursor]:
    async with ctx.sessionmaker() as session:
        return {c.kind: c for c in (await session.scalars(select(ReconcileCursor))).all()}


async def _mirrored(ctx: AppContext, ats: Ats) -> set[str]:
    async with ctx.sessionmaker() as session:
        tenant = await tenant_service.get_by_key(session, ats.tenant_key)
        return {
            r.ats_id
            for r in await mirror_service.list_records(session, tenant_id=tenant.id, kind="candidate")
        }


class TestReconcileTenant:
    async def test_a_record_that_can_never_be_stored_is_reported_and_skipped_not_failed_on(
        self, fake_ats: FakeAts, ats: Ats, ctx_ats: AppContext, clock: FrozenClock
    ) -> None:
        created = _create_candidates(fake_ats, clock, 3)
        clock.advance(seconds=1)
        broken = fake_ats.world.create("candidate", {"first_name": "Nul\x00", "last_name": "Byte"})["id"]
        tenant_id = await _tenant_id(ctx_ats, ats)

        runs = [
            await reconcile_service.reconcile_tenant(
                ctx_ats.sessionmaker,
                tenant_id=tenant_id,
                tenant_key=ats.tenant_key,
                ats=_client(fake_ats),
                clock=clock,
                page_size=2,
            )
            for _ in range(2)
        ]

        first, again = runs
        assert (first.seen, first.applied, first.error) == (4, 3, None)
        assert first.skipped == [f"candidate {broken}: first_name contains a NUL character"]
        assert await _mirrored(ctx_ats, ats) == set(created)
        assert again.error is None and again.skipped == first.skipped  # listed again, skipped again
        assert (await _cursors(ctx_ats))["candidate"].last_error is None

    async def test_cursors_move_to_the_start_and_later_runs_read_only_what_changed(
        self, fake_ats: FakeAts, ats: Ats, ctx_ats: AppContext, clock: FrozenClock
    ) -> None:
        created = _create_candidates(fake_ats, clock, 5)
        tenant_id = await _tenant_id(ctx_ats, ats)
        started = clock()

        first = await reconcile_service.reconcile_tenant(
            ctx_ats.sessionmaker, tenant_id=tenant_id, tenant_key=ats.tenant_key, ats=_client(fake_ats),
            clock=clock, page_size=2,
        )  # fmt: skip

        assert (first.seen, first.applied, first.error) == (5, 5, None)
        assert await _mirrored(ctx_ats, ats) == set(created)
        cursors = await _cursors(ctx_ats)
        assert set(cursors) == {"user", "job", "candidate", "application", "note", "interview_feedback"}
        assert all(c.since == started and c.last_finished_at == started for c in cursors.values())

        # Within the overlap before the last start, records are listed again; nothing is applied twice.
        clock.advance(hours=1)
        overlapping = await reconcile_service.reconcile_tenant(
            ctx_ats.sessionmaker,
            tenant_id=tenant_id,
            tenant_key=ats.tenant_key,
            ats=_client(fake_ats),
            clock=clock,
        )
        assert (overlapping.seen, overlapping.applied) == (5, 0)

        clock.advance(minutes=1)
        quiet = await reconcile_service.reconcile_tenant(
            ctx_ats.sessionmaker,
            tenant_id=tenant_id,
            tenant_key=ats.tenant_key,
            ats=_client(fake_ats),
            clock=clock,
        )
        assert (quiet.seen, quiet.applied) == (0, 0)

        fake_ats.world.update("candidate", created[2], {"current_title": "Welder"})
        changed = await reconcile_service.reconcile_tenant(
            ctx_ats.sessionmaker,
            tenant_id=tenant_id,
            tenant_key=ats.tenant_key,
            ats=_client(fake_ats),
            clock=clock,
        )
        assert (changed.seen, changed.applied) == (1, 1)

    async def test_a_failed_page_keeps_the_pages_before_it_and_the_next_run_resumes(
        self, fake_ats: FakeAts, ats: Ats, ctx_ats: AppContext, clock: FrozenClock
    ) -> None:
        created = _create_candidates(fake_ats, clock, 5)
        tenant_id = await _tenant_id(ctx_ats, ats)
        failing = _client(fake_ats, transport=FailingAfter(fake_ats.app, path="/candidates", after=1))

        broken = await reconcile_service.reconcile_tenant(
            ctx_ats.sessionmaker, tenant_id=tenant_id, tenant_key=ats.tenant_key, ats=failing, clock=clock,
            page_size=2,
        )  # fmt: skip

        assert broken.error is not None and broken.error.startswith("candidate: ")
        assert await _mirrored(ctx_ats, ats) == set(created[:2])
        cursor = (await _cursors(ctx_ats))["candidate"]
        second_created = fake_ats.world.get("candidate", created[1])["updated_at"]
        assert cursor.since is not None and cursor.since.isoformat().replace("+00:00", "Z") == second_created
        assert cursor.last_error is not None and cursor.last_finished_at is None
        async with ctx_ats.sessionmaker() as session:
            status = await reconcile_service.status(session, tenant_id=tenant_id)
        assert status.last_finished_at is None and status.last_error is not None

        resumed = await reconcile_service.reconcile_tenant(
            ctx_ats.sessionmaker, tenant_id=tenant_id, tenant_key=ats.tenant_key, ats=_client(fake_ats),
            clock=clock,
        )  # fmt: skip

        assert resumed.error is None and resumed.applied == 3
        assert await _mirrored(ctx_ats, ats) == set(created)
        assert (await _cursors(ctx_ats))["candidate"].last_error is None

    async def test_a_walk_stops_at_the_page_after_the_tenant_is_deactivated(
        self, fake_ats: FakeAts, ats: Ats, ctx_ats: AppContext, clock: FrozenClock
    ) -> None:
        """A walk under way when the customer is deactivated went on storing the ATS's records (and owing
        them to LinkedIn) after the deactivation had dropped what was owed, and after its purge too."""
        created = _create_candidates(fake_ats, clock, 5)
        tenant_id = await _tenant_id(ctx_ats, ats)
        deactivating = DeactivatedOnTheWay(fake_ats.app, ats, path="/candidates", after=1)

        report = await reconcile_service.reconcile_tenant(
            ctx_ats.sessionmaker, tenant_id=tenant_id, tenant_key=ats.tenant_key,
            ats=_client(fake_ats, transport=deactivating), clock=clock, page_size=2,
        )  # fmt: skip

        assert deactivating.calls == 2
        assert report.error == "candidate: the tenant was deactivated: the walk stopped"
        assert (report.seen, report.applied) == (2, 2)
        assert await _mirrored(ctx_ats, ats) == set(created[:2])
        async with ctx_ats.sessionmaker() as session:
            owed = await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.tenant_id == tenant_id)
            )
        assert owed == 0  # what the first page owed was dropped by the deactivation; nothing owed since

    async def test_a_refused_token_is_reported_without_moving_any_cursor(
        self, fake_ats: FakeAts, ats: Ats, ctx_ats: AppContext, clock: FrozenClock
    ) -> None:
        _create_candidates(fake_ats, clock, 1)
        tenant_id = await _tenant_id(ctx_ats, ats)

        report = await reconcile_service.reconcile_tenant(
            ctx_ats.sessionmaker, tenant_id=tenant_id, tenant_key=ats.tenant_key,
            ats=_client(fake_ats, token="wrong"), clock=clock,
        )  # fmt: skip

        assert report.error is not None and report.error.startswith("user: ")
        assert (report.seen, report.applied) == (0, 0)
        cursors = await _cursors(ctx_ats)
        assert cursors["user"].since is None and cursors["user"].last_error is not None
        assert set(cursors) == {"user"}  # later kinds wait for their parents to be readable
