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
from tests.links_api.connecting import DAN, applies, arrives, connect, fail, heal, history, noted
from tests.pull.conftest import Pull

FAILED = "LinkedIn 500: Internal Server Error"  # what the simulator's injected 500 says


async def linked(client: httpx.AsyncClient, pull: Pull, candidate: str) -> dict[str, object]:
    """Connect, answered linked to Dan's member: the answer's body."""
    answer = await connect(client, pull, candidate)
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    assert (body["state"], body["candidate_id"], body["member_urn"]) == ("linked", candidate, DAN)
    return body


def written(body: dict[str, object]) -> tuple[object, object, object]:
    return body["notes_written"], body["inmails_written"], body["pull_error"]


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


async def items(pull: Pull) -> list[tuple[str, str, str | None]]:
    """The items the pull recorded: id, outcome and the candidate written on."""
    return sorted((i.item_id, i.outcome, i.ats_candidate_id) for i in await pull.items())


class TestAFailedMemberPull:
    async def test_is_pulled_again_by_the_next_connect_and_lands_once(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        note, inmail = await history(pull, "Strong in Rust; call back in May.")
        dan = await arrives(pull, ats_sim, dispatcher, "dan@candidates.example")
        pull.ctx.settings.pull.page_retries = 0
        await fail(pull, "/v2/prospectNotes")
        await fail(pull, "/v2/conversationEvents")

        first = await linked(client, pull, dan)
        owed_after_first = await owed(pull)
        landed_after_first = landed(pull)
        await heal(pull)
        second = await linked(client, pull, dan)
        third = await linked(client, pull, dan)

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
        assert await items(pull) == sorted([(note, "written", dan), (inmail, "written", dan)])

    async def test_a_failing_stream_is_pulled_again_and_what_landed_is_not_written_twice(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        note, inmail = await history(pull)
        dan = await arrives(pull, ats_sim, dispatcher, "dan@candidates.example")
        pull.ctx.settings.pull.page_retries = 0
        await fail(pull, "/v2/prospectNotes")

        first = await linked(client, pull, dan)
        still_failing = await linked(client, pull, dan)
        await heal(pull)
        healed = await linked(client, pull, dan)

        assert written(first) == (0, 1, FAILED)  # the InMail landed, the notes failed
        assert written(still_failing) == (0, 0, FAILED)  # tried again, and says it failed again
        assert written(healed) == (1, 0, None)  # only the note was left to write
        assert landed(pull) == ([(dan, f"linkedin:notes:{note}")], [(dan, f"linkedin:inmails:{inmail}")])
        assert pull.duplicates() == []
        assert await owed(pull) == []

    async def test_a_pull_that_succeeds_leaves_nothing_owed(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        await noted(pull)
        dan = await arrives(pull, ats_sim, dispatcher, "dan@candidates.example")

        first = await linked(client, pull, dan)
        await fail(pull, "/v2/")  # LinkedIn fails everything now: a connect that read anything would say so
        again = await linked(client, pull, dan)

        assert written(first) == (1, 0, None)
        assert written(again) == (0, 0, None)
        assert await owed(pull) == []


class TestAPendingConnect:
    async def test_the_member_is_pulled_by_the_next_connect_once_the_read_back_linked_the_candidate(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        pull.ctx.settings.links.connect_wait_seconds = 0.3
        note, inmail = await history(pull, "Strong in Rust; call back in May.")
        assert (await pull.run()).failed == []  # no candidate yet: both recorded as skipped
        dan = await applies(pull, ats_sim, "dan@candidates.example")  # not sent: no match to read yet

        pending = await connect(client, pull, dan)
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
        pulled = await linked(client, pull, dan)
        again = await linked(client, pull, dan)

        assert pending.status_code == 202, pending.text
        assert (pending.json()["state"], pending.json()["reason"]) == ("pending", "no_match_yet")
        assert read == 1  # the regular read-back linked the candidate, not a connect
        assert landed_before_connect == ([(dan, f"linkedin:notes:{later}")], [])
        assert written(pulled) == (1, 1, None)  # what the pull skipped before the link, and only that
        assert written(again) == (0, 0, None)  # nothing owed any more: answered at once
        assert landed(pull) == (
            sorted([(dan, f"linkedin:notes:{note}"), (dan, f"linkedin:notes:{later}")]),
            [(dan, f"linkedin:inmails:{inmail}")],
        )
        assert pull.duplicates() == []  # no external_id was written twice
        assert owed_after_pending == [(dan, None, 0, None)]
        assert await owed(pull) == []
        assert await items(pull) == sorted(
            [(note, "written", dan), (inmail, "written", dan), (later, "written", dan)]
        )

    async def test_unlinked_by_hand_the_member_is_pulled_by_the_next_connect_once_linked_by_hand(
        self, pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        note = await noted(pull)
        dan = await arrives(pull, ats_sim, dispatcher, "dan@candidates.example")
        link = f"/v1/integration/candidates/{dan}/link"
        assert (await client.delete(link, headers=pull.tenancy.auth)).status_code == 200

        pending = await connect(client, pull, dan)
        relinked = await client.put(link, json={"member_urn": DAN}, headers=pull.tenancy.auth)
        pulled = await linked(client, pull, dan)
        again = await linked(client, pull, dan)

        assert pending.status_code == 202, pending.text
        assert (pending.json()["state"], pending.json()["reason"]) == ("pending", "unlinked_by_hand")
        assert relinked.status_code == 200, relinked.text
        assert (pulled["source"], written(pulled)) == ("manual", (1, 0, None))
        assert written(again) == (0, 0, None)
        assert landed(pull) == ([(dan, f"linkedin:notes:{note}")], [])
        assert await owed(pull) == []
