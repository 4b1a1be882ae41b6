"""Only the ATS contract's "record not found" (its 404 problem, `code: not_found`) says a candidate is gone.
Any other 404 (a gateway or proxy answering for a route it does not know, say during the ATS's deploy) stops
the stream like an unavailable ATS: the item is not disposed of, and the next run writes it
(docs/pull.md#what-is-written)."""

from __future__ import annotations

from dataclasses import replace

import httpx

from tests.pull.conftest import Pull
from tests.seats.conftest import ATS_URL, ats_world

DAN = "urn:li:person:m1004"


class GatewayNotFound(httpx.AsyncBaseTransport):
    """The ATS's edge answering its own 404 to every write: plain text, or JSON but no contract problem."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, json: bool = False) -> None:
        self.inner, self.json = inner, json

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return await self.inner.handle_async_request(request)
        if self.json:
            return httpx.Response(404, json={"message": "no Route matched with those values"})
        return httpx.Response(404, text="404 page not found", headers={"content-type": "text/plain"})


async def noted(pull: Pull) -> str:
    dan = pull.candidate()
    await pull.link(dan, DAN)
    pull.clock.advance(minutes=5)
    await pull.note(3001, "m1004", "Second interview booked.")
    pull.clock.advance(minutes=1)
    return dan


async def run_behind(pull: Pull, edge: GatewayNotFound) -> None:
    async with httpx.AsyncClient(transport=edge, base_url=ATS_URL) as http:
        report = await replace(pull, ctx=replace(pull.ctx, ats_http=http)).run()
    notes = [(s.stream, s.error or "") for t in report.tenants for s in t.streams if s.stream == "notes"]
    assert [(stream, "404" in error) for stream, error in notes] == [("notes", True)], notes


class TestGatewayNotFound:
    async def test_a_plain_text_404_stops_the_stream_and_the_next_run_writes_the_note(
        self, pull: Pull
    ) -> None:
        dan = await noted(pull)

        await run_behind(pull, GatewayNotFound(httpx.ASGITransport(app=pull.ats)))

        assert [i for i in await pull.items() if i.stream == "notes"] == []  # nothing disposed of
        [cursor] = [c for c in await pull.cursors() if c.stream == "notes"]
        assert cursor.failures == 1 and cursor.last_success_at is None
        pull.clock.advance(minutes=30)  # the ATS's deploy is over
        assert (await pull.run()).failed == []
        notes = [(n["body"], n["candidate_id"]) for n in pull.records("note") if n.get("external_id")]
        assert notes == [("Second interview booked.", dan)]
        assert {(i.stream, i.outcome) for i in await pull.items()} == {("notes", "written")}

    async def test_a_json_404_that_is_no_contract_problem_stops_the_stream_too(self, pull: Pull) -> None:
        dan = await noted(pull)

        await run_behind(pull, GatewayNotFound(httpx.ASGITransport(app=pull.ats), json=True))
        pull.clock.advance(minutes=30)
        assert (await pull.run()).failed == []

        notes = [(n["body"], n["candidate_id"]) for n in pull.records("note") if n.get("external_id")]
        assert notes == [("Second interview booked.", dan)]

    async def test_the_contracts_not_found_still_skips_a_candidate_deleted_in_the_ats(
        self, pull: Pull
    ) -> None:
        """Deleted before the mirror heard of it: the ATS answers its `not_found` problem for Dan."""
        dan = await noted(pull)
        ats_world(pull.ats).delete("candidate", dan)  # its webhook held: the mirror still holds Dan live

        assert (await pull.run()).failed == []

        assert [n for n in pull.records("note") if n.get("external_id")] == []
        assert {(i.stream, i.outcome, i.reason) for i in await pull.items()} == {
            ("notes", "skipped", "no_linked_candidate")
        }
