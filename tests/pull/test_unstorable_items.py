"""Item fields from LinkedIn that no row can hold as sent (an id or a member carrying NUL or half a surrogate
pair, a timestamp past any calendar) never hold back the stream behind them: the id and member are stored
with U+FFFD in place, as all text from outside is, and a time out of range reads as absent
(docs/pull.md#what-is-written)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from rsc_service.pull import mapping
from rsc_service.pull.mapping import Stream
from tests.pull.conftest import Pull

DAN = "urn:li:person:m1004"


class Edit(httpx.AsyncBaseTransport):
    """LinkedIn answering the elements of one finder (`path`) changed by `change`."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, path: str, change: Callable[[dict[str, Any]], None]
    ) -> None:
        self.inner, self.path, self.change = inner, path, change

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.path not in request.url.path:
            return response
        body = json.loads(await response.aread())
        for element in body.get("elements", []):
            self.change(element)
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        # ensure_ascii keeps a lone surrogate as its JSON escape, as LinkedIn's JSON would carry it
        content = json.dumps(body, ensure_ascii=True).encode()
        return httpx.Response(response.status_code, headers=headers, content=content, request=request)


def edit_notes(pull: Pull, change: Callable[[dict[str, Any]], None]) -> None:
    pull.linkedin._transport = Edit(pull.linkedin._transport, "/prospectNotes", change)


async def two_notes(pull: Pull) -> str:
    dan = pull.candidate()
    await pull.link(dan, DAN)
    pull.clock.advance(minutes=5)
    await pull.note(3001, "m1004", "First call went well.", note_id="n-bad")
    pull.clock.advance(minutes=1)
    await pull.note(3001, "m1004", "Second interview booked.", note_id="n-good")
    pull.clock.advance(minutes=1)
    return dan


def errors(report: Any) -> list[tuple[str, str]]:
    return [(s.stream, s.error) for t in report.tenants for s in t.streams if s.error]


class TestUnstorableIds:
    async def test_a_note_id_with_half_a_surrogate_pair_is_written_and_so_is_the_next(
        self, pull: Pull
    ) -> None:
        def cut(element: dict[str, Any]) -> None:
            if element.get("id") == "n-bad":
                element["id"] = "n-bad\ud83d"

        edit_notes(pull, cut)
        dan = await two_notes(pull)

        report = await pull.run()

        assert errors(report) == []
        notes = sorted(
            (n["external_id"], n["candidate_id"]) for n in pull.records("note") if n.get("external_id")
        )
        assert notes == [
            (mapping.external_id(Stream.NOTES, "n-bad\ufffd"), dan),
            (mapping.external_id(Stream.NOTES, "n-good"), dan),
        ]
        assert sorted(i.item_id for i in await pull.items()) == ["n-bad\ufffd", "n-good"]

        pull.clock.advance(minutes=30)
        again = await pull.run()  # the stored id is the one read next time: nothing is written twice
        assert errors(again) == []
        assert len([n for n in pull.records("note") if n.get("external_id")]) == 2

    async def test_a_note_id_and_member_holding_nul_are_recorded_and_the_stream_goes_on(
        self, pull: Pull
    ) -> None:
        def nul(element: dict[str, Any]) -> None:
            if element.get("id") == "n-bad":
                element["id"] = "n-bad\x00"
                element["prospect"] = "urn:li:person:m1004\x00"

        edit_notes(pull, nul)
        dan = await two_notes(pull)

        report = await pull.run()

        assert errors(report) == []
        items = {i.item_id: (i.outcome, i.reason, i.member_urn) for i in await pull.items()}
        assert items == {
            "n-bad\ufffd": ("skipped", mapping.Skip.NO_CANDIDATE.value, "urn:li:person:m1004\ufffd"),
            "n-good": ("written", None, DAN),
        }
        assert [n["candidate_id"] for n in pull.records("note") if n.get("external_id")] == [dan]


class TestTimesOutOfRange:
    async def test_a_note_dated_past_any_calendar_is_written_at_its_pull_time(self, pull: Pull) -> None:
        def far(element: dict[str, Any]) -> None:
            if element.get("id") == "n-bad":
                element["created"] = 10**20
                element["lastModified"] = -(10**20)

        edit_notes(pull, far)
        await two_notes(pull)
        pulled_at = pull.clock()

        report = await pull.run()

        assert errors(report) == []
        written = {n["external_id"]: n["written_at"] for n in pull.records("note") if n.get("external_id")}
        assert set(written) == {mapping.external_id(Stream.NOTES, n) for n in ("n-bad", "n-good")}
        assert written[mapping.external_id(Stream.NOTES, "n-bad")].startswith(pulled_at.date().isoformat())

    def test_a_time_past_any_calendar_reads_as_absent(self) -> None:
        assert mapping.from_ms(10**20) is None
        assert mapping.from_ms(-(10**20)) is None
        assert mapping.from_ms(0) is not None
