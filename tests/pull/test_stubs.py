"""R2/L4: an InMail reply that shares contact details creates one unassigned ATS candidate (source
`inmail_stub`) linked to the member, with only the details the member shared, and never a second candidate for
a member already linked; R5: a note by a seat holder with no ATS user is written with the holder's name."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from sqlalchemy import select

from rsc_service.links.models import CandidateLink
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.pull import jobs
from rsc_service.seats.models import Seat
from rsc_service.simulators.linkedin.config import SimConfig
from tests.pull.conftest import Pull, ats_world, delivered
from tests.seats.conftest import ATS_URL

DAN, EVE = "urn:li:person:m1004", "urn:li:person:m1005"


async def links_of(pull: Pull, member: str) -> list[tuple[str, str]]:
    async with pull.ctx.sessionmaker() as session:
        rows = await session.scalars(select(CandidateLink).where(CandidateLink.member_urn == member))
        return [(link.ats_candidate_id, link.source) for link in rows.all()]


def created_by_pull(pull: Pull) -> list[dict[str, object]]:
    return [c for c in pull.records("candidate") if str(c.get("external_id", "")).startswith("linkedin:")]


class TestReplyCandidates:
    async def test_a_reply_sharing_its_email_makes_one_unassigned_linked_candidate(self, pull: Pull) -> None:
        pull.clock.advance(minutes=5)
        inmail = await pull.inmail(3001, "m1005", subject="Robotics role")
        pull.clock.advance(minutes=2)
        reply = await pull.reply(inmail, email=True, phone=False)
        assert reply["mailStub"] is not None
        pull.clock.advance(minutes=1)

        report = await pull.run()
        assert report.failed == [], report
        pull.clock.advance(minutes=40)
        await pull.run()

        [candidate] = created_by_pull(pull)
        assert candidate["source"] == "inmail_stub"
        assert (candidate["first_name"], candidate["last_name"]) == ("Eve", "Prospect")
        assert candidate["emails"] == [{"address": "eve@candidates.example", "type": "home"}]
        assert candidate["phones"] == []  # the member did not share the phone LinkedIn knows
        assert candidate["external_id"] == f"linkedin:member:{EVE}"
        assert not [a for a in pull.records("application") if a["candidate_id"] == candidate["id"]]
        assert await links_of(pull, EVE) == [(candidate["id"], "inmail_stub")]
        # The InMail and the reply land on the new candidate as emails, once each.
        emails = sorted((e["direction"], e["candidate_id"]) for e in pull.records("email"))
        assert emails == [("inbound", candidate["id"]), ("outbound", candidate["id"])]
        [thread] = {e["thread_id"] for e in pull.records("email")}  # the reply is in the InMail's thread
        assert str(thread).startswith("urn:li:messagingThread:")
        assert pull.duplicates() == []

    async def test_a_reply_without_consent_to_the_email_carries_no_email(self, pull: Pull) -> None:
        pull.clock.advance(minutes=5)
        inmail = await pull.inmail(3001, "m1005")
        reply = await pull.reply(inmail, email=False, phone=True)
        assert reply["mailStub"] is not None
        pull.clock.advance(minutes=1)

        assert (await pull.run()).failed == []

        [candidate] = created_by_pull(pull)
        assert candidate["emails"] == []  # LinkedIn knows eve@candidates.example; she did not share it
        assert candidate["phones"] == [{"number": "+1 555 0101", "type": "mobile"}]

    async def test_a_member_with_two_linked_candidates_gets_no_third(self, pull: Pull) -> None:
        first, second = pull.candidate("Dan", "Candidate"), pull.candidate("Daniel", "Candidate")
        await pull.link(first, DAN)
        await pull.link(second, DAN)
        pull.clock.advance(minutes=5)
        inmail = await pull.inmail(3001, "m1004")
        await pull.reply(inmail, email=True, phone=True)
        pull.clock.advance(minutes=1)

        assert (await pull.run()).failed == []

        assert created_by_pull(pull) == []
        assert len(pull.records("candidate")) == 2
        assert sorted(await links_of(pull, DAN)) == sorted([(first, "manual"), (second, "manual")])
        stubs = [i for i in await pull.items() if i.stream == "mail_stubs"]
        assert [(i.outcome, i.reason, i.ats_candidate_id) for i in stubs] == [
            ("skipped", "member_already_linked", first)
        ]
        # The conversation goes on the first linked candidate, once.
        assert sorted(e["candidate_id"] for e in pull.records("email")) == [first, first]


class TestNoteAuthors:
    async def test_a_note_by_a_seat_holder_without_an_ats_user_names_the_holder(self, pull: Pull) -> None:
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        await pull.note(3003, "m1004", "Met at the robotics fair.")  # Carol's seat: no ATS user
        await pull.note(3001, "m1004", "Rita's own note.")  # Alice's seat, connected to Rita
        pull.clock.advance(minutes=1)

        assert (await pull.run()).failed == []

        async with pull.ctx.sessionmaker() as session:
            carol = await session.scalar(select(Seat).where(Seat.seat_id == "3003"))
        assert carol is not None and carol.ats_user_id is None
        notes = {n["body"]: n for n in pull.records("note") if n.get("external_id")}
        assert notes["Met at the robotics fair."]["author_user_id"] is None
        assert notes["Met at the robotics fair."]["author_name"] == f"{carol.first_name} {carol.last_name}"
        assert notes["Rita's own note."]["author_user_id"] == pull.rita
        assert notes["Rita's own note."]["author_name"] is None


class TestStubWindows:
    @pytest.fixture
    def sim_config(self) -> SimConfig:
        # LinkedIn refuses a mail-stub query matching more than this many (20,000 on the real one).
        return SimConfig(
            task_completion_seconds=1,
            sync_records_per_window=None,
            sync_requests_per_day=None,
            mail_stub_result_ceiling=1,
        )

    async def test_a_window_matching_too_many_stubs_is_read_in_halves(self, pull: Pull) -> None:
        pull.clock.advance(minutes=5)
        for member in ("m1004", "m1005"):
            inmail = await pull.inmail(3001, member)
            await pull.reply(inmail, email=True, phone=False)
            pull.clock.advance(minutes=25)

        report = await pull.run()

        assert report.failed == [], report
        [stubs] = [s for s in report.tenants[0].streams if s.stream == "mail_stubs"]
        assert stubs.written == 2 and stubs.error is None
        assert sorted(c["first_name"] for c in created_by_pull(pull)) == ["Dan", "Eve"]
        refused = await pull.linkedin.get("/_sim/requests", params={"pathPrefix": "/v2/mailStubs"})
        assert any(r["status"] == 400 for r in refused.json()["elements"])  # halved after LinkedIn said so


class WritesDown(httpx.AsyncBaseTransport):
    """The ATS's API answering 503 to every write, serving the reads."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.refused = inner, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.refused += 1
            problem = {"type": "about:blank", "title": "Unavailable", "status": 503, "code": "unavailable"}
            return httpx.Response(503, json=problem, headers={"content-type": "application/problem+json"})
        return await self.inner.handle_async_request(request)


def inmails_on(pull: Pull, candidate: object) -> bool:
    emails = sorted((e["direction"], e["candidate_id"]) for e in pull.records("email"))
    return emails == [("inbound", candidate), ("outbound", candidate)]


async def _later_runs_give_the_reply_its_inmails(pull: Pull) -> None:
    """Two more runs, half an hour apart, go through; the one candidate made by the pull has its InMails."""
    for _ in range(2):
        pull.clock.advance(minutes=30)
        assert (await pull.run()).failed == []

    [candidate] = created_by_pull(pull)
    items = [(i.stream, i.outcome, i.reason) for i in await pull.items()]
    assert inmails_on(pull, candidate["id"]), (pull.records("email"), items)


class TestReplyAndItsInMail:
    async def test_a_reply_made_while_the_run_reads_another_seats_inmails_lands_on_its_candidate(
        self, pull: Pull
    ) -> None:
        """Else the InMail and the reply are read before their stub, skipped for good, and never land."""
        pull.clock.advance(minutes=5)
        # Seat 3001's first InMail page fails once: the run pauses before asking again.
        fault = {"kind": "error", "status": 500, "pathPrefix": "/v2/conversationEvents", "count": 1}
        assert (await pull.linkedin.post("/_sim/faults", json=fault)).status_code in (200, 201)
        replied: list[str] = []

        async def sleep(seconds: float) -> None:
            pull.clock.advance(seconds=seconds)
            if not replied:
                # Meanwhile Bob (seat 3002) sends Eve an InMail and she replies, sharing her email: after
                # the stub stream read LinkedIn, before seat 3002's InMails are read.
                pull.clock.advance(seconds=30)
                inmail = await pull.inmail(3002, "m1005", subject="Robotics role")
                pull.clock.advance(seconds=30)
                assert (await pull.reply(inmail, email=True, phone=False))["mailStub"] is not None
                replied.append(inmail)
                pull.clock.advance(seconds=1)

        first = await jobs.pull_now(pull.ctx, pull.apps, tenant_keys=[pull.tenancy.key], sleep=sleep)
        assert replied and first.failed == [], first
        await _later_runs_give_the_reply_its_inmails(pull)

    async def test_an_ats_unavailable_for_the_stub_does_not_lose_the_reply_and_its_inmail(
        self, pull: Pull
    ) -> None:
        """Else the run goes on to the InMails without the reply's candidate and skips them for good."""
        pull.clock.advance(minutes=5)
        inmail = await pull.inmail(3001, "m1005", subject="Robotics role")
        pull.clock.advance(minutes=2)
        assert (await pull.reply(inmail, email=True, phone=False))["mailStub"] is not None
        pull.clock.advance(minutes=1)

        down = WritesDown(httpx.ASGITransport(app=pull.ats))
        async with httpx.AsyncClient(transport=down, base_url=ATS_URL) as http:
            first = await replace(pull, ctx=replace(pull.ctx, ats_http=http)).run()
        streams = [(s.stream, s.error is not None) for t in first.tenants for s in t.streams]
        assert down.refused > 0 and ("mail_stubs", True) in streams, streams
        assert "inmails" not in {stream for stream, _ in streams}  # not read while the stubs wait
        assert [i for i in await pull.items() if i.stream == "inmails"] == []
        await _later_runs_give_the_reply_its_inmails(pull)


class TestOnlyLinkedCandidateDeleted:
    async def test_a_reply_of_a_member_whose_only_candidate_was_deleted_makes_a_candidate(
        self, pull: Pull
    ) -> None:
        """Else the reply counts the deleted candidate as the member's, and the member is no candidate."""
        gone = pull.candidate("Eve", "Prospect")
        await pull.link(gone, EVE)
        ats_world(pull.ats).delete("candidate", gone)
        pull.ats.state.webhooks.release()
        await delivered(pull.ats)
        pull.clock.advance(minutes=5)
        inmail = await pull.inmail(3001, "m1005", subject="Robotics role")
        pull.clock.advance(minutes=2)
        await pull.reply(inmail, email=True, phone=False)
        pull.clock.advance(minutes=1)

        assert (await pull.run()).failed == []

        [candidate] = created_by_pull(pull)
        assert set(await links_of(pull, EVE)) == {(gone, "manual"), (candidate["id"], "inmail_stub")}
        assert inmails_on(pull, candidate["id"])


class TestStubLinkReachesLinkedIn:
    async def test_a_stub_whose_webhook_came_before_its_link_is_sent_again_with_the_link(
        self, pull: Pull
    ) -> None:
        # The reply shares only a phone: without its link LinkedIn has nothing to match the candidate by. The
        # stub's webhook is applied before the run records the link (an earlier try made the candidate, or
        # the ATS is quick): the candidate was refused as built, and must go again carrying the link.
        webhooks = pull.ats.state.webhooks
        webhooks.release()
        made = ats_world(pull.ats).create(
            "candidate",
            {
                "first_name": "Eve",
                "last_name": "Prospect",
                "external_id": f"linkedin:member:{EVE}",
                "source": "inmail_stub",
                "phones": [{"number": "+1 555 0101", "type": "mobile"}],
            },
        )
        await delivered(pull.ats)
        webhooks.pause()
        assert (await stub_row(pull, made["id"])).state == State.DEAD
        pull.clock.advance(minutes=5)
        inmail = await pull.inmail(3001, "m1005")
        await pull.reply(inmail, email=False, phone=True)
        pull.clock.advance(minutes=1)

        assert (await pull.run()).failed == []

        assert [c["id"] for c in created_by_pull(pull)] == [made["id"]]
        row = await stub_row(pull, made["id"])
        assert row.state == State.PENDING, row.last_error
        assert (row.payload or {}).get("manualMatchedMember") == EVE


async def stub_row(pull: Pull, candidate: str) -> OutboxMessage:
    async with pull.ctx.sessionmaker() as session:
        row = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.resource == "atsCandidates", OutboxMessage.key == candidate
            )
        )
    assert row is not None
    return row
