"""L5 connect before alert: a new applicant is linked by LinkedIn's email match within a bounded wait, and
the member's existing Recruiter notes and InMails land on it at once, each once; without a match the answer
is pending within the wait."""

from __future__ import annotations

import time

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, select

from rsc_service.links.models import CandidateLink
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.outbox.models import OutboxMessage
from rsc_service.push.candidates import CANDIDATES
from tests.flows.conftest import drain
from tests.links_api.connecting import DAN, applies, fail, history, noted
from tests.links_api.connecting import arrives as _arrives
from tests.links_api.connecting import connect as _connect
from tests.pull.conftest import Pull


async def _outbox_row(pull: Pull, candidate: str) -> OutboxMessage | None:
    async with pull.ctx.sessionmaker() as session:
        return await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.resource == CANDIDATES.name, OutboxMessage.key == candidate
            )
        )


async def _link(pull: Pull, candidate: str) -> CandidateLink | None:
    async with pull.ctx.sessionmaker() as session:
        return await session.scalar(select(CandidateLink).where(CandidateLink.ats_candidate_id == candidate))


class TestConnectBeforeAlert:
    async def test_a_matched_applicant_gets_the_members_notes_and_inmails_once(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        seen_note, seen_inmail = await history(pull, "Strong in Rust; call back in May.")
        assert (await pull.run()).failed == []  # no candidate yet: both recorded as skipped
        assert {(i.item_id, i.outcome, i.reason) for i in await pull.items()} == {
            (seen_note, "skipped", "no_linked_candidate"),
            (seen_inmail, "skipped", "no_linked_candidate"),
        }
        pull.clock.advance(minutes=5)
        unread_note = await pull.note(3002, "m1004", "Met at the meetup.")  # the pull has not reached it
        pull.clock.advance(minutes=1)
        dan = await _arrives(pull, ats_sim, dispatcher, "dan@candidates.example")

        first = await _connect(client, pull, dan)
        again = await _connect(client, pull, dan)
        pull.clock.advance(minutes=40)
        assert (await pull.run()).failed == []  # reaches the unread note, already written

        assert first.status_code == 200, first.text
        assert first.json() == {
            "state": "linked",
            "candidate_id": dan,
            "member_urn": DAN,
            "source": "email",
            "notes_written": 2,
            "inmails_written": 1,
            "pull_error": None,
        }
        assert again.status_code == 200, again.text
        assert (again.json()["notes_written"], again.json()["inmails_written"]) == (0, 0)
        link = await _link(pull, dan)
        assert link is not None and (link.member_urn, link.source) == (DAN, "email")
        notes = sorted(
            (n["candidate_id"], n["external_id"], n["body"])
            for n in pull.records("note")
            if n.get("external_id")
        )
        assert notes == sorted(
            [
                (dan, f"linkedin:notes:{seen_note}", "Strong in Rust; call back in May."),
                (dan, f"linkedin:notes:{unread_note}", "Met at the meetup."),
            ]
        )
        emails = [(e["candidate_id"], e["external_id"], e["subject"]) for e in pull.records("email")]
        assert emails == [(dan, f"linkedin:inmails:{seen_inmail}", "Robotics role")]
        assert pull.duplicates() == []  # no external_id was written twice
        items = {i.item_id: i for i in await pull.items()}
        assert {(i.outcome, i.ats_candidate_id) for i in items.values()} == {("written", dan)}
        assert set(items) == {seen_note, seen_inmail, unread_note}

    async def test_the_cursors_do_not_move(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        await noted(pull)
        await pull.run()
        before = [(c.stream, c.seat_id, c.position, c.window_end, c.page_start) for c in await pull.cursors()]
        dan = await _arrives(pull, ats_sim, dispatcher, "dan@candidates.example")

        answer = await _connect(client, pull, dan)

        assert answer.status_code == 200 and answer.json()["notes_written"] == 1, answer.text
        after = [(c.stream, c.seat_id, c.position, c.window_end, c.page_start) for c in await pull.cursors()]
        assert after == before

    async def test_without_a_match_the_answer_is_pending_within_the_wait(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        pull.ctx.settings.links.connect_wait_seconds = 0.5
        nobody = await _arrives(pull, ats_sim, dispatcher, "nobody@nowhere.example")

        began = time.monotonic()
        answer = await _connect(client, pull, nobody)
        took = time.monotonic() - began

        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert (body["state"], body["candidate_id"], body["reason"]) == ("pending", nobody, "no_match_yet")
        assert 0.49 <= body["waited_seconds"] <= took  # the whole wait (timers may fire a hair early)
        assert took < 0.5 + 10  # bounded by the wait (the margin is a loaded machine's, not a speed target)
        link = await _link(pull, nobody)
        # No member: LinkedIn's answer was stored without one, or (on a loaded machine) the wait ended the
        # read before it was stored.
        assert link is None or link.member_urn is None
        assert pull.records("note") == [] and pull.records("email") == []

    async def test_a_candidate_not_in_the_mirror_is_404(self, pull: Pull, client: httpx.AsyncClient) -> None:
        answer = await _connect(client, pull, "cand_never_arrived")

        assert answer.status_code == 404, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "candidate_not_found"


class TestWhenSomethingFails:
    async def test_a_failing_stream_is_named_and_the_others_still_land(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        _, inmail = await history(pull)
        dan = await _arrives(pull, ats_sim, dispatcher, "dan@candidates.example")
        await fail(pull, "/v2/prospectNotes")
        pull.ctx.settings.pull.page_retries = 0

        answer = await _connect(client, pull, dan)

        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["state"], body["member_urn"]) == ("linked", DAN)
        assert (body["notes_written"], body["inmails_written"]) == (0, 1)
        assert str(body["pull_error"]).startswith("LinkedIn 500")
        assert [e["external_id"] for e in pull.records("email")] == [f"linkedin:inmails:{inmail}"]
        assert [n for n in pull.records("note") if n.get("external_id")] == []
        link = await _link(pull, dan)
        assert link is not None and link.member_urn == DAN  # the link stands

    async def test_linkedin_failing_the_match_read_ends_pending_within_the_wait(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        dan = await _arrives(pull, ats_sim, dispatcher, "dan@candidates.example")
        await fail(pull, "/v2/atsCandidates")
        pull.ctx.settings.links.connect_wait_seconds = 0.5

        began = time.monotonic()
        answer = await _connect(client, pull, dan)
        took = time.monotonic() - began

        assert answer.status_code == 202, answer.text
        assert (answer.json()["state"], answer.json()["reason"]) == ("pending", "no_match_yet")
        assert took < 0.5 + 10  # bounded by the wait (the margin is a loaded machine's, not a speed target)
        link = await _link(pull, dan)
        assert link is None or link.member_urn is None

    async def test_a_candidate_unlinked_by_hand_is_pending_at_once(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        dan = await _arrives(pull, ats_sim, dispatcher, "dan@candidates.example")
        unlinked = await client.delete(f"/v1/integration/candidates/{dan}/link", headers=pull.tenancy.auth)
        assert unlinked.status_code == 200, unlinked.text

        answer = await _connect(client, pull, dan)

        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert (body["state"], body["reason"], body["waited_seconds"]) == ("pending", "unlinked_by_hand", 0.0)
        link = await _link(pull, dan)
        assert link is not None and (link.member_urn, link.source) == (None, "manual")


class TestBeforeLinkedInHasTheCandidate:
    async def test_a_candidate_not_sent_yet_is_pending_then_linked_once_it_lands(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        pull.ctx.settings.links.connect_wait_seconds = 0.3
        dan = await applies(pull, ats_sim, "dan@candidates.example")

        before_sent = await _connect(client, pull, dan)  # owed, not sent: nothing to read at LinkedIn yet
        await drain(dispatcher, pull.clock)
        after_sent = await _connect(client, pull, dan)

        assert before_sent.status_code == 202, before_sent.text
        assert after_sent.status_code == 200, after_sent.text
        assert (after_sent.json()["member_urn"], after_sent.json()["source"]) == (DAN, "email")

    async def test_a_candidate_the_outbox_does_not_hold_is_owed_to_linkedin(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        pull.ctx.settings.links.connect_wait_seconds = 0.3
        dan = await _arrives(pull, ats_sim, dispatcher, "dan@candidates.example")
        async with pull.ctx.sessionmaker.begin() as session:
            await session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.resource == CANDIDATES.name, OutboxMessage.key == dan
                )
            )

        pending = await _connect(client, pull, dan)
        owed = await _outbox_row(pull, dan)
        await drain(dispatcher, pull.clock)
        linked = await _connect(client, pull, dan)

        assert pending.status_code == 202, pending.text
        assert owed is not None and owed.state == "pending"
        assert linked.status_code == 200 and linked.json()["member_urn"] == DAN, linked.text
