"""R2/L4: a member whose candidates were all deleted in the ATS gets a new candidate from the next reply,
keyed by that reply, since the member's own key answers the deleted one; and a retried reply lands on the
same new candidate (docs/pull.md#what-is-written)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
from sqlalchemy import select

from rsc_service.links.models import CandidateLink
from tests.pull.conftest import Pull
from tests.seats.conftest import ATS_URL, ats_world, delivered

EVE = "urn:li:person:m1005"


def live_stub_candidates(pull: Pull) -> list[dict[str, Any]]:
    return [
        c
        for c in pull.records("candidate")
        if str(c.get("external_id") or "").startswith("linkedin:") and not c.get("deleted_at")
    ]


async def links_of(pull: Pull, member: str) -> list[tuple[str, str]]:
    async with pull.ctx.sessionmaker() as session:
        rows = await session.scalars(
            select(CandidateLink).where(CandidateLink.member_urn == member).order_by(CandidateLink.id)
        )
        return [(link.ats_candidate_id, link.source) for link in rows.all()]


async def replies(pull: Pull, seat: int, subject: str) -> str:
    """A seat writes to Eve and she replies sharing her email: the reply's stub id."""
    inmail = await pull.inmail(seat, "m1005", subject=subject)
    pull.clock.advance(minutes=2)
    stub = (await pull.reply(inmail, email=True, phone=False))["mailStub"]
    assert stub is not None
    pull.clock.advance(minutes=1)
    return str(stub)


class CandidateMadeAnswerLost(httpx.AsyncBaseTransport):
    """The ATS makes the candidates it is asked for, and its answers to the first `lose` of them are lost
    on the way back (503): the pull cannot tell the candidate was made."""

    def __init__(self, inner: httpx.AsyncBaseTransport, lose: int) -> None:
        self.inner, self.lose = inner, lose

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/candidates") and self.lose:
            self.lose -= 1
            return httpx.Response(503, text="upstream reset", request=request)
        return response


class TestStubCandidateDeleted:
    async def test_the_next_reply_makes_a_new_candidate_that_its_inmails_land_on(self, pull: Pull) -> None:
        pull.clock.advance(minutes=5)
        await replies(pull, 3001, "Robotics role")
        assert (await pull.run()).failed == []
        [made] = live_stub_candidates(pull)
        assert made["external_id"] == f"linkedin:member:{EVE}"

        # A recruiter deletes the stub candidate in the ATS; the mirror hears of it.
        ats_world(pull.ats).delete("candidate", made["id"])
        pull.ats.state.webhooks.release()
        await delivered(pull.ats)
        pull.ats.state.webhooks.pause()

        # Later Bob writes to Eve and she replies again, sharing her email.
        pull.clock.advance(minutes=30)
        stub = await replies(pull, 3002, "Another role")
        assert (await pull.run()).failed == []
        pull.clock.advance(minutes=30)
        assert (await pull.run()).failed == []

        [live] = live_stub_candidates(pull)
        assert live["external_id"] == f"linkedin:member:{EVE}:{stub}"
        assert await links_of(pull, EVE) == [(made["id"], "inmail_stub"), (live["id"], "inmail_stub")]
        # Bob's InMail and Eve's second reply land on the new candidate, not skipped for want of one.
        on_live = sorted(e["direction"] for e in pull.records("email") if e["candidate_id"] == live["id"])
        assert on_live == ["inbound", "outbound"]
        assert not [i for i in await pull.items() if i.reason == "no_linked_candidate"]

    async def test_a_reply_whose_candidate_was_made_but_not_recorded_lands_on_it_when_retried(
        self, pull: Pull
    ) -> None:
        gone = pull.candidate("Eve", "Prospect")
        await pull.link(gone, EVE)
        ats_world(pull.ats).delete("candidate", gone)
        pull.ats.state.webhooks.release()
        await delivered(pull.ats)
        pull.ats.state.webhooks.pause()
        pull.clock.advance(minutes=5)
        stub = await replies(pull, 3001, "Robotics role")

        lost = CandidateMadeAnswerLost(httpx.ASGITransport(app=pull.ats), lose=4)  # the client's 3 retries
        async with httpx.AsyncClient(transport=lost, base_url=ATS_URL) as http:
            first = await replace(pull, ctx=replace(pull.ctx, ats_http=http)).run()
        assert first.failed == [pull.tenancy.key]
        pull.clock.advance(minutes=30)
        assert (await pull.run()).failed == []

        [live] = live_stub_candidates(pull)
        assert live["external_id"] == f"linkedin:member:{EVE}:{stub}"
        assert await links_of(pull, EVE) == [(gone, "manual"), (live["id"], "inmail_stub")]
        # Every try of the reply asked for the same candidate: made once, answered again after.
        made = [
            (w["id"], w["status"]) for w in ats_world(pull.ats).writes if w["operation"] == "create_candidate"
        ]
        assert made[0] == (live["id"], 201) and set(made[1:]) == {(live["id"], 200)}, made


class TestMemberKeyAnswersADeletedCandidate:
    async def test_the_reply_makes_a_new_candidate(self, pull: Pull) -> None:
        """The member's own key was used before and its candidate deleted in the ATS, and the member is linked
        to none (the link was dropped by hand): the ATS answers that key with the deleted candidate."""
        world = ats_world(pull.ats)
        old = world.create(
            "candidate",
            {"first_name": "Eve", "last_name": "Prospect", "external_id": f"linkedin:member:{EVE}"},
        )
        world.delete("candidate", old["id"])
        pull.clock.advance(minutes=5)
        stub = await replies(pull, 3001, "Robotics role")

        assert (await pull.run()).failed == []
        pull.clock.advance(minutes=30)
        assert (await pull.run()).failed == []

        [live] = live_stub_candidates(pull)
        assert live["id"] != old["id"] and live["external_id"] == f"linkedin:member:{EVE}:{stub}"
        assert await links_of(pull, EVE) == [(live["id"], "inmail_stub")]
        on_live = sorted(e["direction"] for e in pull.records("email") if e["candidate_id"] == live["id"])
        assert on_live == ["inbound", "outbound"]
