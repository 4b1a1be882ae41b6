"""reconcile_tenant() and the ATS's times: a time no timestamp column holds is skipped, a future-dated record
never moves a cursor past the walk's start, and a cursor left anywhere is walked from safely."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.integrations.ats import AtsClient
from rsc_service.mirror import service as mirror_service
from rsc_service.reconcile import service as reconcile_service
from rsc_service.reconcile.models import ReconcileCursor
from tests.conftest import FrozenClock
from tests.factories import candidate, job, make_tenant

ATS_URL = "http://ats.test"
PATHS = {
    "user": "/users",
    "job": "/jobs",
    "candidate": "/candidates",
    "application": "/applications",
    "note": "/notes",
    "interview_feedback": "/interview_feedback",
}


def _changed_at(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record.get("deleted_at") or record["updated_at"])


@dataclass
class ListingAts:
    """An ATS that lists its records by kind, those changed since `updated_since` only, oldest change first,
    `limit` to a page, and keeps each list request's `updated_since` (None when absent). It answers 503 for
    pages from `failing_page` on (counted from 0)."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failing_page: int | None = None
    asked: list[tuple[str, str | None]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        since = request.url.params.get("updated_since")
        self.asked.append((request.url.path, since))
        kind = next(kind for kind, path in PATHS.items() if path == request.url.path)
        listed = [
            record
            for record in self.records.get(kind, [])
            if since is None or _changed_at(record) >= datetime.fromisoformat(since)
        ]
        listed.sort(key=_changed_at)
        start, limit = int(request.url.params.get("cursor", "0")), int(request.url.params["limit"])
        if self.failing_page is not None and start >= self.failing_page * limit:
            return httpx.Response(503, json={"title": "Service Unavailable"})
        more = start + limit < len(listed)
        page = {"data": listed[start : start + limit], "next_cursor": str(start + limit) if more else None}
        return httpx.Response(200, content=json.dumps(page).encode())

    def client(self, *, page_size: int = 100) -> AtsClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))
        return AtsClient(http, base_url=ATS_URL, token="t", retries=0, page_size=page_size)

    def since(self, kind: str) -> Iterator[str | None]:
        return (since for path, since in self.asked if path == PATHS[kind])


@pytest.fixture
async def tenant(ctx: AppContext) -> tuple[uuid.UUID, str]:
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(session, ctx)
    return registered.tenant.id, registered.tenant.key


async def _run(
    ctx: AppContext, tenant: tuple[uuid.UUID, str], ats: ListingAts, *, page_size: int = 100
) -> reconcile_service.Report:
    tenant_id, tenant_key = tenant
    return await reconcile_service.reconcile_tenant(
        ctx.sessionmaker, tenant_id=tenant_id, tenant_key=tenant_key, ats=ats.client(page_size=page_size),
        clock=ctx.clock, page_size=page_size,
    )  # fmt: skip


async def _cursors(ctx: AppContext) -> dict[str, ReconcileCursor]:
    async with ctx.sessionmaker() as session:
        return {c.kind: c for c in (await session.scalars(select(ReconcileCursor))).all()}


async def _mirrored(ctx: AppContext, tenant: tuple[uuid.UUID, str]) -> dict[str, datetime]:
    async with ctx.sessionmaker() as session:
        return {
            r.ats_id: r.occurred_at for r in await mirror_service.list_records(session, tenant_id=tenant[0])
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class TestTimes:
    async def test_a_listed_time_no_timestamp_column_holds_is_skipped_and_the_walk_goes_on(
        self, ctx: AppContext, tenant: tuple[uuid.UUID, str], clock: FrozenClock
    ) -> None:
        late = job("job_late", updated_at="9999-12-31T23:59:59-23:59")  # 10000-01-01T23:58:59Z
        early = job("job_early", version=2, deleted_at="0001-01-01T00:00:00+23:59")  # in the year 0
        ats = ListingAts({"job": [late, job("job_ok"), early], "candidate": [candidate("cand_1")]})
        started = clock()

        first = await _run(ctx, tenant, ats)
        clock.advance(hours=1)
        again = await _run(ctx, tenant, ats)

        reason = "not a time from 0001-01-01 to 9999-12-31 in UTC"
        assert first.skipped == [f"job job_early: deleted_at {reason}", f"job job_late: updated_at {reason}"]
        assert (first.seen, first.applied, first.error) == (4, 2, None)
        assert await _mirrored(ctx, tenant) == {
            "job_ok": datetime(2026, 11, 1, 9, tzinfo=UTC),
            "cand_1": datetime(2026, 11, 20, 9, tzinfo=UTC),
        }
        cursors = await _cursors(ctx)
        assert set(cursors) == set(PATHS)  # the kinds after jobs were walked too
        assert cursors["job"].since == cursors["candidate"].since == clock()  # the second run's start
        assert all(c.last_error is None for c in cursors.values())
        assert list(ats.since("candidate")) == [None, _iso(started - reconcile_service.OVERLAP)]
        assert again.error is None and again.skipped == first.skipped[1:]  # the one changed since, again

    async def test_a_future_dated_record_never_moves_the_cursor_past_the_walk_start(
        self, ctx: AppContext, tenant: tuple[uuid.UUID, str], clock: FrozenClock
    ) -> None:
        ats = ListingAts({"candidate": [candidate("cand_future", updated_at="9999-12-31T00:00:00Z")]})
        started = clock()

        first = await _run(ctx, tenant, ats)

        assert (first.applied, first.error) == (1, None)
        assert (await _cursors(ctx))["candidate"].since == started

        # Changed in the ATS after that walk started: the next walk still lists it.
        ats.records["candidate"].append(
            candidate("cand_new", updated_at=_iso(started + timedelta(minutes=5)))
        )
        clock.advance(hours=1)
        second = await _run(ctx, tenant, ats)

        assert (second.applied, second.error) == (1, None)
        assert set(await _mirrored(ctx, tenant)) == {"cand_future", "cand_new"}
        assert list(ats.since("candidate"))[1] == _iso(started - reconcile_service.OVERLAP)
        assert (await _cursors(ctx))["candidate"].since == clock()

    async def test_a_walk_that_fails_after_a_future_dated_record_leaves_the_cursor_at_the_walk_start(
        self, ctx: AppContext, tenant: tuple[uuid.UUID, str], clock: FrozenClock
    ) -> None:
        records = [
            candidate("cand_1"),
            candidate("cand_future", updated_at="9999-12-31T00:00:00Z"),
            candidate("cand_later", updated_at="9999-12-31T01:00:00Z"),
        ]
        ats = ListingAts({"candidate": records}, failing_page=2)

        report = await _run(ctx, tenant, ats, page_size=1)

        assert report.error is not None and report.error.startswith("candidate: ")
        assert set(await _mirrored(ctx, tenant)) == {"cand_1", "cand_future"}
        cursor = (await _cursors(ctx))["candidate"]
        assert cursor.since == clock() and cursor.last_error is not None

    async def test_a_cursor_left_past_the_walk_start_is_walked_from_the_start(
        self, ctx: AppContext, tenant: tuple[uuid.UUID, str], clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            await reconcile_service.start_cursors(
                session, tenant_id=tenant[0], since=datetime(9999, 12, 31, tzinfo=UTC)
            )
        changed = clock() - timedelta(minutes=1)
        ats = ListingAts({"candidate": [candidate("cand_1", updated_at=_iso(changed))]})

        report = await _run(ctx, tenant, ats)

        assert (report.applied, report.error) == (1, None)
        assert set(await _mirrored(ctx, tenant)) == {"cand_1"}
        assert {since for _, since in ats.asked} == {_iso(clock() - reconcile_service.OVERLAP)}
        assert {c.since for c in (await _cursors(ctx)).values()} == {clock()}

    async def test_a_cursor_within_the_overlap_of_year_one_walks_everything(
        self, ctx: AppContext, tenant: tuple[uuid.UUID, str], clock: FrozenClock
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            await reconcile_service.start_cursors(
                session, tenant_id=tenant[0], since=datetime(1, 1, 1, 0, 5, tzinfo=UTC)
            )
        ats = ListingAts({"candidate": [candidate("cand_1")]})

        report = await _run(ctx, tenant, ats)

        assert (report.applied, report.error) == (1, None)
        assert {since for _, since in ats.asked} == {None}
        assert {c.since for c in (await _cursors(ctx)).values()} == {clock()}


class TestTextNoColumnHolds:
    async def test_a_record_with_a_lone_surrogate_is_skipped_and_its_page_goes_through(
        self, ctx: AppContext, tenant: tuple[uuid.UUID, str], clock: FrozenClock
    ) -> None:
        # json.dumps writes the lone surrogate as JSON's escape, \ud800, as an ATS's list may carry it.
        records = [candidate("cand_1"), candidate("cand_odd", first_name="Ada\ud800"), candidate("cand_2")]
        ats = ListingAts({"candidate": records})

        report = await _run(ctx, tenant, ats)

        assert report.error is None
        assert report.skipped == [
            "candidate cand_odd: first_name contains a lone surrogate, which is not text"
        ]
        assert set(await _mirrored(ctx, tenant)) == {"cand_1", "cand_2"}


class TestWhatTheAtsSaid:
    async def test_an_ats_error_with_bytes_no_column_holds_is_recorded(
        self, ctx: AppContext, tenant: tuple[uuid.UUID, str], clock: FrozenClock
    ) -> None:
        def garbled(request: httpx.Request) -> httpx.Response:  # a NUL byte in the text the error quotes
            return httpx.Response(400, headers={"content-type": "text/plain"}, content=b"no \x00 such cursor")

        http = httpx.AsyncClient(transport=httpx.MockTransport(garbled))
        ats = AtsClient(http, base_url=ATS_URL, token="t", retries=0)

        report = await reconcile_service.reconcile_tenant(
            ctx.sessionmaker, tenant_id=tenant[0], tenant_key=tenant[1], ats=ats, clock=clock
        )

        assert report.error is not None
        recorded = [cursor.last_error for cursor in (await _cursors(ctx)).values() if cursor.last_error]
        assert recorded and all("\x00" not in error for error in recorded), recorded
