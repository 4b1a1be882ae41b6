"""L5 connect before alert (docs/in-ats.md#connect-before-alert-l5) when the member's pull fails or never
starts: a failed pull says so with LinkedIn's message, and a connect that answered pending left the
candidate unlinked; either way the pull stays owed to the candidate, and the next connect once it is linked
pulls the member, writing to the ATS what did not land, each item once."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service.candidates import service as candidate_service
from rsc_service.links_api.models import MemberPullOwed
from rsc_service.outbox.dispatcher import Dispatcher
from tests.flows.conftest import drain
from tests.pull.conftest import Pull
from tests.seats.conftest import delivered

DAN = "urn:li:person:m1004"  # the simulator's member whose email is dan@candidates.example
FAILED = "LinkedIn 500: Internal Server Error"  # what the simulator's injected 500 says


async def arrives(pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, address: str) -> str:
    """A new applicant in the fake ATS: its webhook reaches the service, and the outbox sends it."""
    candidate = pull.candidate(emails=[{"address": address}])
    ats_sim.state.webhooks.release()
    await delivered(ats_sim)
    ats_sim.state.webhooks.pause()  # the notes and emails written next would come back; nothing reads them
    await drain(dispatcher, pull.clock)
    return candidate


async def connect(client: httpx.AsyncClient, pull: Pull, candidate: str) -> dict[str, object]:
    answer = await client.post(f"/v1/integration/candidates/{candidate}/connect", headers=pull.tenancy.auth)
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    assert (body["state"], body["candidate_id"], body["member_urn"]) == ("linked", candidate, DAN)
    return body


def written(body: dict[str, object]) -> tuple[object, object, object]:
    return body["notes_written"], body["inmails_written"], body["pull_error"]


async def fail(pull: Pull, path: str) -> None:
    fault = {"kind": "error", "status": 500, "pathPrefix": path}
    assert (await pull.linkedin.post("/_sim/faults", json=fault)).status_code in (200, 201)


async def heal(pull: Pull) -> None:
    assert (await pull.linkedin.delete("/_sim/faults")).status_code == 204


async def owed(pull: Pull) -> list[tuple[str, str | None, int, str | None]]:
    async with pull.ctx.sessionmaker() as session:
        rows = (await session.scalars(select(MemberPullOwed))).all()
    return [(r.ats_candidate_id, r.member_urn, r.attempts, r.error) for r in rows]


def landed(pull: Pull) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The LinkedIn notes and InMails the fake ATS holds, by candidate and external id."""
    ours = [n for n in pull.records("note") if n.get("external_id")]
    notes = sorted((n["candidate_id"], n["external_id"]) for n in ours)
    emails = sorted((e["candidate_id"], e["external_id"]) for e in pull.records("email"))
    return notes, emails


class TestAFailedMemberPull:
    async def test_is_pulled_again_by_the_next_connect_and_lands_once(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        pull.clock.advance(minutes=5)
        note = await pull.note(3001, "m1004", "Strong in Rust; call back in May.")
        inmail = await pull.inmail(3001, "m1004", subject="Robotics role", body="Would you talk to us?")
        pull.clock.advance(minutes=1)
        dan = await arrives(pull, ats_sim, dispatcher, "dan@candidates.example")
        pull.ctx.settings.pull.page_retries = 0
        await fail(pull, "/v2/prospectNotes")
        await fail(pull, "/v2/conversationEvents")

        first = await connect(client, pull, dan)
        owed_after_first = await owed(pull)
        landed_after_first = landed(pull)
        await heal(pull)
        second = await connect(client, pull, dan)
        third = await connect(client, pull, dan)

        assert written(first) == (0, 0, FAILED)  # linked, and says the pull failed: not a success
        assert landed_after_first == ([], [])
        assert written(second) == (1, 1, None)
        assert written(third) == (0, 0, None)  # nothing owed any more: answered at once
        assert landed(pull) == (
            [(dan, f"linkedin:notes:{note}")],
            [(dan, f"linkedin:inmails:{inmail}")],
        )
        assert pull.duplicates() == []  # no external_id was written twice
        assert owed_after_first == [(dan, DAN, 1, FAILED)]
        assert await owed(pull) == []
        items = await pull.items()
        assert sorted((i.item_id, i.outcome, i.ats_candidate_id) for i in items) == sorted(
            [(note, "written", dan), (inmail, "written", dan)]
        )

    async def test_a_failing_stream_is_pulled_again_and_what_landed_is_not_written_twice(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        pull.clock.advance(minutes=5)
        note = await pull.note(3001, "m1004", "Strong in Rust.")
        inmail = await pull.inmail(3001, "m1004", subject="Robotics role", body="Would you talk to us?")
        pull.clock.advance(minutes=1)
        dan = await arrives(pull, ats_sim, dispatcher, "dan@candidates.example")
        pull.ctx.settings.pull.page_retries = 0
        await fail(pull, "/v2/prospectNotes")

        first = await connect(client, pull, dan)
        still_failing = await connect(client, pull, dan)
        await heal(pull)
        healed = await connect(client, pull, dan)

        assert written(first) == (0, 1, FAILED)  # the InMail landed, the notes failed
        assert written(still_failing) == (0, 0, FAILED)  # tried again, and says it failed again
        assert written(healed) == (1, 0, None)  # only the note was left to write
        assert landed(pull) == ([(dan, f"linkedin:notes:{note}")], [(dan, f"linkedin:inmails:{inmail}")])
        assert pull.duplicates() == []
        assert await owed(pull) == []

    async def test_a_pull_that_succeeds_leaves_nothing_owed(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        pull.clock.advance(minutes=5)
        await pull.note(3001, "m1004", "Strong in Rust.")
        pull.clock.advance(minutes=1)
        dan = await arrives(pull, ats_sim, dispatcher, "dan@candidates.example")

        first = await connect(client, pull, dan)
        await fail(pull, "/v2/")  # LinkedIn fails everything now: a connect that read anything would say so
        again = await connect(client, pull, dan)

        assert written(first) == (1, 0, None)
        assert written(again) == (0, 0, None)
        assert await owed(pull) == []


class TestAPendingConnect:
    async def test_the_member_is_pulled_by_the_next_connect_once_the_read_back_linked_the_candidate(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        pull.ctx.settings.links.connect_wait_seconds = 0.3
        pull.clock.advance(minutes=5)
        note = await pull.note(3001, "m1004", "Strong in Rust; call back in May.")
        inmail = await pull.inmail(3001, "m1004", subject="Robotics role", body="Would you talk to us?")
        pull.clock.advance(minutes=1)
        assert (await pull.run()).failed == []  # no candidate yet: both recorded as skipped
        dan = pull.candidate(emails=[{"address": "dan@candidates.example"}])
        ats_sim.state.webhooks.release()
        await delivered(ats_sim)
        ats_sim.state.webhooks.pause()

        pending = await client.post(f"/v1/integration/candidates/{dan}/connect", headers=pull.tenancy.auth)
        owed_after_pending = await owed(pull)
        await drain(dispatcher, pull.clock)
        read = await candidate_service.read_back_matches(
            pull.ctx.sessionmaker, pull.apps, now=pull.ctx.db_now
        )
        pull.clock.advance(minutes=5)
        later = await pull.note(3002, "m1004", "Met at the meetup.")  # after the link: the pull writes it
        pull.clock.advance(minutes=40)
        assert (await pull.run()).failed == []
        landed_before_connect = landed(pull)
        linked = await connect(client, pull, dan)
        again = await connect(client, pull, dan)

        assert pending.status_code == 202, pending.text
        assert (pending.json()["state"], pending.json()["reason"]) == ("pending", "no_match_yet")
        assert read == 1  # the regular read-back linked the candidate, not a connect
        assert landed_before_connect == ([(dan, f"linkedin:notes:{later}")], [])
        assert written(linked) == (1, 1, None)  # what the pull skipped before the link, and only that
        assert written(again) == (0, 0, None)  # nothing owed any more: answered at once
        assert landed(pull) == (
            sorted([(dan, f"linkedin:notes:{note}"), (dan, f"linkedin:notes:{later}")]),
            [(dan, f"linkedin:inmails:{inmail}")],
        )
        assert pull.duplicates() == []  # no external_id was written twice
        assert owed_after_pending == [(dan, None, 0, None)]
        assert await owed(pull) == []
        items = await pull.items()
        assert sorted((i.item_id, i.outcome, i.ats_candidate_id) for i in items) == sorted(
            [(note, "written", dan), (inmail, "written", dan), (later, "written", dan)]
        )

    async def test_unlinked_by_hand_the_member_is_pulled_by_the_next_connect_once_linked_by_hand(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        pull.clock.advance(minutes=5)
        note = await pull.note(3001, "m1004", "Strong in Rust.")
        pull.clock.advance(minutes=1)
        dan = await arrives(pull, ats_sim, dispatcher, "dan@candidates.example")
        link = f"/v1/integration/candidates/{dan}/link"
        assert (await client.delete(link, headers=pull.tenancy.auth)).status_code == 200

        pending = await client.post(f"/v1/integration/candidates/{dan}/connect", headers=pull.tenancy.auth)
        relinked = await client.put(link, json={"member_urn": DAN}, headers=pull.tenancy.auth)
        linked = await connect(client, pull, dan)
        again = await connect(client, pull, dan)

        assert pending.status_code == 202, pending.text
        assert (pending.json()["state"], pending.json()["reason"]) == ("pending", "unlinked_by_hand")
        assert relinked.status_code == 200, relinked.text
        assert (linked["source"], written(linked)) == ("manual", (1, 0, None))
        assert written(again) == (0, 0, None)
        assert landed(pull) == ([(dan, f"linkedin:notes:{note}")], [])
        assert await owed(pull) == []
