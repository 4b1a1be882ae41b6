"""Items the ATS refuses: one it refuses as invalid is recorded as skipped with the ATS's status, code and
field (never its content) and the stream goes on past it; a refusal that is not about the item still stops
the stream; a note or InMail by a seat whose ATS user was deleted in the ATS is written with the seat
holder's name instead."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest
from prometheus_client import REGISTRY

from rsc_service.pull.routes import _run_read
from rsc_service.simulators.ats.world import World as AtsWorld
from tests.pull.conftest import Pull, ats_world
from tests.seats.conftest import ATS_URL

DAN = "urn:li:person:m1004"


class RefuseOne(httpx.AsyncBaseTransport):
    """The ATS's API, answering `status` to every write of one item (a 422: a note longer than it stores)
    and serving the rest."""

    def __init__(self, inner: httpx.AsyncBaseTransport, external_id: str, status: int = 422) -> None:
        self.inner, self.external_id, self.status = inner, external_id, status
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.content:
            body = json.loads(request.content)
            if body.get("external_id") == self.external_id:
                self.refused += 1
                problem = {
                    "type": "about:blank",
                    "title": "Invalid",
                    "status": self.status,
                    "code": "invalid",
                    "detail": "body: longer than this ATS stores",
                }
                return httpx.Response(
                    self.status, json=problem, headers={"content-type": "application/problem+json"}
                )
        return await self.inner.handle_async_request(request)


@asynccontextmanager
async def _refusing(pull: Pull, external_id: str, status: int = 422) -> AsyncIterator[tuple[RefuseOne, Pull]]:
    """The ATS refusing every write of one item, and a pull that writes to it."""
    refusing = RefuseOne(httpx.ASGITransport(app=pull.ats), external_id, status)
    async with httpx.AsyncClient(transport=refusing, base_url=ATS_URL) as http:
        yield refusing, replace(pull, ctx=replace(pull.ctx, ats_http=http))


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TestOneItemTheAtsRefuses:
    async def test_the_notes_after_it_are_still_written_and_it_is_recorded_with_the_reason(
        self, pull: Pull
    ) -> None:
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        bad = await pull.note(3001, "m1004", "A note the ATS will not take.")
        pull.clock.advance(minutes=1)
        good = await pull.note(3001, "m1004", "Call back in May.")
        pull.clock.advance(minutes=1)
        rejected_before = _sample("rsc_pull_items_total", stream="notes", outcome="rejected")
        reports = []
        async with _refusing(pull, f"linkedin:notes:{bad}") as (refusing, faulty):
            for _ in range(4):  # two hours of runs
                reports.append(await faulty.run())
                pull.clock.advance(minutes=30)

        written = [n for n in pull.records("note") if n.get("external_id")]
        assert [n["external_id"] for n in written] == [f"linkedin:notes:{good}"]
        assert refusing.refused == 1  # refused once, recorded, never asked again
        items = {i.item_id: i for i in await pull.items()}
        reason = "ats_rejected: 422 invalid (body)"
        assert (items[bad].outcome, items[bad].reason, items[good].outcome) == ("skipped", reason, "written")
        notes = next(c for c in await pull.cursors() if c.stream == "notes")
        assert (notes.failures, notes.last_error) == (0, None)
        assert all(r.failed == [] for r in reports)
        # What the operator reads: pull-now's and POST /v1/admin/pull's report, and the metric.
        shown = _run_read(reports[0]).model_dump()
        streams = [s for t in shown["tenants"] for s in t["streams"] if s["stream"] == "notes"]
        assert [(s["written"], s["skipped"], s["rejected"]) for s in streams] == [
            (1, 0, [{"item_id": bad, "reason": reason}])
        ]
        assert _sample("rsc_pull_items_total", stream="notes", outcome="rejected") == rejected_before + 1

    async def test_the_inmails_after_it_are_still_written(self, pull: Pull) -> None:
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        bad = await pull.inmail(3002, "m1004", body="An InMail the ATS will not take.")
        pull.clock.advance(minutes=1)
        good = await pull.inmail(3002, "m1004", body="Are you open to a chat?")
        pull.clock.advance(minutes=1)
        async with _refusing(pull, f"linkedin:inmails:{bad}") as (_, faulty):
            report = await faulty.run()

        assert report.failed == []
        assert [e["external_id"] for e in pull.records("email")] == [f"linkedin:inmails:{good}"]
        items = {i.item_id: i for i in await pull.items()}
        assert (items[bad].outcome, items[bad].reason) == ("skipped", "ats_rejected: 422 invalid (body)")

    @pytest.mark.parametrize("status", [401, 403, 409])
    async def test_a_refusal_not_about_the_item_stops_the_stream_and_skips_nothing(
        self, pull: Pull, status: int
    ) -> None:
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        refused = await pull.note(3001, "m1004", "Call back in May.")
        pull.clock.advance(minutes=1)
        async with _refusing(pull, f"linkedin:notes:{refused}", status) as (_, faulty):
            assert (await faulty.run()).failed == [pull.tenancy.key]

        assert [i.item_id for i in await pull.items() if i.stream == "notes"] == []
        notes = next(c for c in await pull.cursors() if c.stream == "notes")
        assert notes.failures == 1 and f"ATS answered {status}" in (notes.last_error or "")

        pull.clock.advance(minutes=30)
        assert (await pull.run()).failed == []  # once the ATS takes it, the next run writes it
        assert [n["external_id"] for n in pull.records("note") if n.get("external_id")] == [
            f"linkedin:notes:{refused}"
        ]


class TestASeatWhoseAtsUserWasDeleted:
    """The seat's connected ATS user was deleted in the ATS, and the seat store is refreshed later: the
    ATS refuses the unknown author as invalid (422 naming the field); the note and the InMail are written
    with the seat holder's name instead."""

    async def test_its_note_and_inmail_are_written_with_the_seat_holders_name(self, pull: Pull) -> None:
        dan = pull.candidate()
        await pull.link(dan, DAN)
        world: AtsWorld = ats_world(pull.ats)
        world.delete("user", pull.rita)
        pull.clock.advance(minutes=5)
        note = await pull.note(3001, "m1004", "Strong in Rust; call back in May.")
        inmail = await pull.inmail(3001, "m1004", body="Would you talk to us?")
        pull.clock.advance(minutes=1)

        assert (await pull.run()).failed == []

        notes = [n for n in pull.records("note") if n.get("external_id") == f"linkedin:notes:{note}"]
        emails = [e for e in pull.records("email") if e.get("external_id") == f"linkedin:inmails:{inmail}"]
        assert [(n["candidate_id"], n.get("author_user_id"), n["author_name"]) for n in notes] == [
            (dan, None, "Alice Recruiter")
        ]
        assert [(e["candidate_id"], e["sender_user_id"], e["sender_name"]) for e in emails] == [
            (dan, None, "Alice Recruiter")
        ]
        items = {i.item_id: i for i in await pull.items()}
        assert (items[note].outcome, items[note].author_user_id, items[note].author_name) == (
            "written",
            None,
            "Alice Recruiter",
        )
        assert (items[inmail].outcome, items[inmail].author_name) == ("written", "Alice Recruiter")
