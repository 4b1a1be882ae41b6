"""Text from LinkedIn that no ATS request can carry (the JSON escape of half a surrogate pair, as in a note
cut in the middle of an emoji: valid JSON, no UTF-8 text) is written with U+FFFD in its place, and never
holds back the stream behind it nor reaches sync health (docs/pull.md#what-is-written)."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from rsc_service.integrations.ats import AtsUnavailable
from rsc_service.integrations.ats import wire as ats
from rsc_service.pull import mapping
from rsc_service.pull import service as pull_service
from rsc_service.pull.mapping import Skip
from tests.pull.conftest import Pull

DAN = "urn:li:person:m1004"
MARK = "LONE-SURROGATE-HERE"
HALF_AN_EMOJI = b"\\ud83d"


class Rewrite(httpx.AsyncBaseTransport):
    """LinkedIn answering `old` as `new` in the bodies of one finder (`path`)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, path: str, old: bytes, new: bytes) -> None:
        self.inner, self.path, self.old, self.new = inner, path, old, new

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.path not in request.url.path:
            return response
        body = (await response.aread()).replace(self.old, self.new)
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)


def cut_notes(pull: Pull) -> None:
    """The service's LinkedIn client (the one `pull.linkedin` talks through) answering notes cut mid-emoji."""
    pull.linkedin._transport = Rewrite(
        pull.linkedin._transport, "/prospectNotes", MARK.encode(), HALF_AN_EMOJI
    )


class TestCutNotes:
    async def test_the_note_is_written_with_a_replacement_character_and_the_next_one_too(
        self, pull: Pull
    ) -> None:
        cut_notes(pull)
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        await pull.note(3001, "m1004", f"Great call {MARK}")
        pull.clock.advance(minutes=1)
        await pull.note(3001, "m1004", "Second interview booked.")
        pull.clock.advance(minutes=1)

        report = await pull.run()

        errors = [(s.stream, s.error) for t in report.tenants for s in t.streams if s.error]
        assert errors == []
        notes = sorted((n["body"], n["candidate_id"]) for n in pull.records("note") if n.get("external_id"))
        assert notes == [("Great call \ufffd", dan), ("Second interview booked.", dan)]
        assert {(i.outcome, i.reason) for i in await pull.items()} == {("written", None)}

    async def test_no_note_text_reaches_sync_health_or_the_items(self, pull: Pull) -> None:
        cut_notes(pull)
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        await pull.note(3001, "m1004", f"Salary expectation 180k {MARK}")
        pull.clock.advance(minutes=1)

        await pull.run()

        errors = [c.last_error or "" for c in await pull.cursors()]
        reasons = [i.reason or "" for i in await pull.items()]
        assert not [e for e in errors + reasons if "Salary" in e], (errors, reasons)


class TestCutStubName:
    async def test_the_stub_is_made_and_the_contracts_inmails_are_not_held(self, pull: Pull) -> None:
        """The stub stream failing holds the contract's InMail streams (docs/pull.md#streams-and-cursors):
        a stub whose name ends in half an emoji must not stop every seat's InMails."""
        pull.linkedin._transport = Rewrite(
            pull.linkedin._transport, "/mailStubs", b'"Eve"', b'"Eve ' + HALF_AN_EMOJI + b'"'
        )
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        await pull.inmail(3002, "m1004", subject="Robotics role")  # Bob writes to Dan, a candidate already
        inmail = await pull.inmail(3001, "m1005", subject="Another role")
        pull.clock.advance(minutes=2)
        assert (await pull.reply(inmail, email=True, phone=False))["mailStub"] is not None
        pull.clock.advance(minutes=1)

        report = await pull.run()

        assert report.failed == [], report
        [eve] = [c for c in pull.records("candidate") if c.get("source") == "inmail_stub"]
        assert (eve["first_name"], eve["last_name"]) == ("Eve \ufffd", "Prospect")
        assert [e["subject"] for e in pull.records("email") if e["candidate_id"] == dan] == ["Robotics role"]
        assert {e["direction"] for e in pull.records("email") if e["candidate_id"] == eve["id"]} == {
            "inbound",
            "outbound",
        }


class TestMappedText:
    def test_nul_and_lone_surrogates_become_replacement_characters(self) -> None:
        assert mapping.text("a\x00b\ud83dc\udc00") == "a\ufffdb\ufffdc\ufffd"
        assert mapping.text("\U0001f600 whole") == "\U0001f600 whole"  # a whole pair is kept
        assert mapping.text(None) == ""

    def test_an_item_no_request_can_carry_is_named_by_its_fields_never_its_text(self) -> None:
        with pytest.raises(ValidationError) as refused:
            ats.CandidateCreate(external_id="", first_name="Secret\ud83d", last_name="")
        reason = mapping.unwritable(refused.value)
        assert reason == f"{Skip.UNWRITABLE.value} (external_id,first_name,last_name)"
        assert "Secret" not in reason

    def test_sync_health_words_an_unforeseen_error_by_its_type_alone(self) -> None:
        """Its text may quote what it was given: a model's error quotes the note it refused."""
        with pytest.raises(ValidationError) as refused:
            ats.NoteCreate(external_id="n", body="Salary expectation 180k \ud83d", written_at="2026-01-01")

        assert pull_service._describe(refused.value) == "ValidationError"
        unavailable = AtsUnavailable("POST /candidates/cand_1/notes: ATS answered 503", status=503)
        assert pull_service._describe(unavailable) == f"AtsUnavailable: {unavailable}"
