"""R7 and R8 read back what the pull wrote: whether candidates have LinkedIn notes and InMails, and a
candidate's notes and InMails for one ATS user, with their content only for a user holding a connected,
active seat on the item's contract; everyone else gets the same entries with no content."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.seats.models import Seat
from tests.conftest import ADMIN_TOKEN
from tests.flows.conftest import drain
from tests.pull.conftest import CONTRACT, Pull
from tests.seats.conftest import delivered, register

DAN, EVE = "urn:li:person:m1004", "urn:li:person:m1005"
NOTE = "Strong in Rust; call back in May."
SUBJECT, BODY = "Robotics role", "Would you talk to us about the robotics role?"
EVE_NOTE = "Met at RustConf, wants remote."
GONE = "Written in haste, withdrawn."
OTHER_CONTRACT = "urn:li:contract:2999"
CONTENT = (NOTE, SUBJECT, BODY, EVE_NOTE, GONE)


@dataclass
class Written:
    pull: Pull
    dan: str
    eve: str
    note: dict[str, Any]  # the ATS records the pull wrote
    email: dict[str, Any]

    @property
    def auth(self) -> dict[str, str]:
        return self.pull.tenancy.auth


class Busy(httpx.AsyncBaseTransport):
    """The ATS answering every request 503 with a Retry-After."""

    def __init__(self, *, retry_after: str) -> None:
        self.retry_after = retry_after

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": self.retry_after}, request=request)


@pytest.fixture
async def written(pull: Pull) -> Written:
    dan = pull.candidate()
    eve = pull.candidate("Eve", "Candidate")
    await pull.link(dan, DAN)
    await pull.link(eve, EVE)
    pull.clock.advance(minutes=5)
    await pull.note(3001, "m1004", NOTE)
    gone = await pull.note(3001, "m1004", GONE)
    await pull.inmail(3001, "m1004", subject=SUBJECT, body=BODY)
    await pull.note(3001, "m1005", EVE_NOTE)
    pull.clock.advance(minutes=1)
    assert (await pull.run()).failed == []
    # Deleted in Recruiter: the next run withdraws it from the ATS, and it is no longer shown.
    pull.clock.advance(minutes=10)
    assert (await pull.linkedin.delete(f"/_sim/prospect-notes/{gone}")).status_code == 200
    pull.clock.advance(minutes=1)
    assert (await pull.run()).failed == []
    assert {i.outcome for i in await pull.items() if i.ats_candidate_id == dan} == {"written", "withdrawn"}
    (note,) = [n for n in pull.records("note") if n.get("body") == NOTE]
    (email,) = pull.records("email")
    return Written(pull, dan, eve, note, email)


async def _activity(
    client: httpx.AsyncClient, candidate: str, user: str, auth: dict[str, str]
) -> httpx.Response:
    return await client.get(
        f"/v1/integration/candidates/{candidate}/linkedin-activity",
        params={"ats_user_id": user},
        headers=auth,
    )


def _metadata(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(i["type"], i["ats_id"], i["author_user_id"], i["date"], i["contract"]) for i in items]


class TestLookup:
    async def test_each_candidate_says_whether_it_has_notes_and_inmails(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/v1/integration/linkedin-activity/lookup",
            json={"candidate_ids": [written.dan, written.eve, "cand_none", written.dan]},
            headers=written.auth,
        )

        assert response.status_code == 200, response.text
        assert response.json()["candidates"] == [
            # Dan's withdrawn note is not counted.
            {"candidate_id": written.dan, "has_notes": True, "has_inmails": True, "notes": 1, "inmails": 1},
            {"candidate_id": written.eve, "has_notes": True, "has_inmails": False, "notes": 1, "inmails": 0},
            {"candidate_id": "cand_none", "has_notes": False, "has_inmails": False, "notes": 0, "inmails": 0},
        ]

    async def test_500_ids_are_answered_and_501_refused_naming_the_field(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        ids = [written.dan] + [f"cand_{n}" for n in range(499)]
        ok = await client.post(
            "/v1/integration/linkedin-activity/lookup", json={"candidate_ids": ids}, headers=written.auth
        )
        assert ok.status_code == 200, ok.text
        assert len(ok.json()["candidates"]) == 500
        assert ok.json()["candidates"][0]["notes"] == 1

        refused = await client.post(
            "/v1/integration/linkedin-activity/lookup",
            json={"candidate_ids": [*ids, "cand_501"]},
            headers=written.auth,
        )
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in refused.json()["errors"]] == ["body.candidate_ids"]

    async def test_without_the_tenant_key_nothing_is_answered(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/v1/integration/linkedin-activity/lookup", json={"candidate_ids": [written.dan]}
        )
        assert response.status_code == 401


class TestActivity:
    async def test_a_seat_holder_on_the_contract_reads_the_content(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        response = await _activity(client, written.dan, written.pull.rita, written.auth)

        assert response.status_code == 200, response.text
        items = response.json()["items"]
        # Newest first; the withdrawn note is gone.
        assert sorted(_metadata(items), key=lambda m: m[0]) == [
            ("inmail", written.email["id"], written.pull.rita, written.email["sent_at"], CONTRACT),
            ("note", written.note["id"], written.pull.rita, written.note["written_at"], CONTRACT),
        ]
        by_type = {i["type"]: i for i in items}
        assert by_type["note"]["body"] == NOTE and by_type["note"]["subject"] is None
        assert (by_type["inmail"]["subject"], by_type["inmail"]["body"]) == (SUBJECT, BODY)
        assert by_type["inmail"]["direction"] == "outbound"
        assert all(i["content_visible"] for i in items)
        assert GONE not in response.text

    async def test_another_candidate_has_its_own_items_only(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        response = await _activity(client, written.eve, written.pull.rita, written.auth)

        assert [(i["type"], i["body"]) for i in response.json()["items"]] == [("note", EVE_NOTE)]

    async def test_users_without_a_seat_on_the_contract_see_metadata_and_no_content(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        pull = written.pull
        async with pull.ctx.sessionmaker.begin() as session:
            # A user connected to an active seat on another contract of the same customer.
            session.add(
                Seat(
                    tenant_id=pull.tenancy.tenant_id,
                    contract_urn=OTHER_CONTRACT,
                    seat_id="3999",
                    member_urn="urn:li:person:m3999",
                    active=True,
                    roles=[],
                    ats_user_id="usr_elsewhere",
                    assigned_by="manual",
                    assigned_at=pull.clock(),
                    refreshed_at=pull.clock(),
                )
            )
        holder = await _activity(client, written.dan, pull.rita, written.auth)
        expected = _metadata(holder.json()["items"])

        for user in ("usr_without_seat", "usr_elsewhere"):
            response = await _activity(client, written.dan, user, written.auth)
            assert response.status_code == 200, response.text
            items = response.json()["items"]
            assert _metadata(items) == expected, user
            assert all(
                (i["content_visible"], i["subject"], i["body"]) == (False, None, None) for i in items
            ), user
            for text in CONTENT:
                assert text not in response.text, (user, text)

    async def test_a_seat_no_longer_active_shows_no_content(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        pull = written.pull
        async with pull.ctx.sessionmaker.begin() as session:
            await session.execute(
                update(Seat)
                .where(Seat.tenant_id == pull.tenancy.tenant_id, Seat.ats_user_id == pull.rita)
                .values(active=False)
            )

        response = await _activity(client, written.dan, pull.rita, written.auth)

        assert len(response.json()["items"]) == 2
        assert all(i["body"] is None and not i["content_visible"] for i in response.json()["items"])
        for text in CONTENT:
            assert text not in response.text

    async def test_only_a_reader_allowed_the_content_makes_the_ats_be_read(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        # The fake ATS stops accepting the service's token: any read of content now fails.
        written.pull.ats.state.config.api_tokens.clear()

        without_seat = await _activity(client, written.dan, "usr_without_seat", written.auth)
        holder = await _activity(client, written.dan, written.pull.rita, written.auth)

        assert without_seat.status_code == 200, without_seat.text
        assert len(without_seat.json()["items"]) == 2
        assert holder.status_code == 502, holder.text
        assert holder.headers["content-type"].startswith("application/problem+json")
        assert holder.json()["code"] == "upstream_refused"
        for text in CONTENT:
            assert text not in holder.text

    async def test_an_ats_asking_for_a_wait_makes_a_503_saying_how_long(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        """The ATS is down for maintenance and says when to come back: the caller is told the same, as a 503
        with that Retry-After, not a 502 it cannot tell from a refusal."""
        ats = written.pull.ctx.ats_http
        ats._transport = Busy(retry_after="600")

        holder = await _activity(client, written.dan, written.pull.rita, written.auth)

        assert holder.status_code == 503, holder.text
        assert holder.headers["retry-after"] == "600"
        assert holder.json()["code"] == "unavailable"
        for text in CONTENT:
            assert text not in holder.text

    async def test_a_candidate_without_activity_has_none(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        response = await _activity(client, "cand_none", written.pull.rita, written.auth)
        assert response.status_code == 200
        assert response.json() == {"candidate_id": "cand_none", "ats_user_id": written.pull.rita, "items": []}

    async def test_a_nul_in_the_user_is_refused_naming_the_field(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        response = await _activity(client, written.dan, "usr\x00x", written.auth)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["query.ats_user_id"]


class TestConnectBeforeAlert:
    async def test_what_connect_writes_at_once_is_shown_like_what_the_pull_writes(
        self, pull: Pull, dispatcher: Dispatcher, client: httpx.AsyncClient
    ) -> None:
        pull.clock.advance(minutes=5)
        await pull.note(3001, "m1004", NOTE)
        await pull.inmail(3001, "m1004", subject=SUBJECT, body=BODY)
        pull.clock.advance(minutes=1)
        assert (await pull.run()).failed == []  # no candidate yet: nothing written
        dan = pull.candidate(emails=[{"address": "dan@candidates.example"}])
        pull.ats.state.webhooks.release()
        await delivered(pull.ats)
        pull.ats.state.webhooks.pause()
        await drain(dispatcher, pull.clock)

        connected = await client.post(f"/v1/integration/candidates/{dan}/connect", headers=pull.tenancy.auth)
        assert connected.status_code == 200, connected.text
        assert connected.json()["state"] == "linked"

        response = await _activity(client, dan, pull.rita, pull.tenancy.auth)
        items = sorted(response.json()["items"], key=lambda i: i["type"])
        assert [(i["type"], i["author_user_id"], i["subject"], i["body"]) for i in items] == [
            ("inmail", pull.rita, SUBJECT, BODY),
            ("note", pull.rita, None, NOTE),
        ]
        assert all(i["date"] is not None for i in items)


class TestWithdrawn:
    async def test_a_closed_profiles_items_are_no_longer_shown_or_counted(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        pull = written.pull
        exported = await pull.linkedin.post("/_sim/exports", json={"seat": 3001, "member": "m1005"})
        assert exported.status_code == 200, exported.text
        assert (await pull.linkedin.post("/_sim/members/m1005/close")).status_code == 200
        pull.clock.advance(days=8)
        assert (await pull.run()).failed == []
        assert {i.outcome for i in await pull.items() if i.ats_candidate_id == written.eve} == {"withdrawn"}

        lookup = await client.post(
            "/v1/integration/linkedin-activity/lookup",
            json={"candidate_ids": [written.eve, written.dan]},
            headers=written.auth,
        )
        activity = await _activity(client, written.eve, pull.rita, written.auth)

        assert [(c["notes"], c["inmails"]) for c in lookup.json()["candidates"]] == [(0, 0), (1, 1)]
        assert activity.json()["items"] == []
        assert EVE_NOTE not in activity.text


class TestIsolation:
    async def test_another_tenants_key_sees_nothing_of_these_candidates(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        other = await register(
            written.pull.ctx,
            linkedin_client_id="other-customer",
            linkedin_app_urn="urn:li:developerApplication:202",
            linkedin_organization_urn="urn:li:organization:202",
            linkedin_unique_foreign_id="other-foreign",
        )

        lookup = await client.post(
            "/v1/integration/linkedin-activity/lookup",
            json={"candidate_ids": [written.dan, written.eve]},
            headers=other.auth,
        )
        assert lookup.status_code == 200, lookup.text
        assert [(c["notes"], c["inmails"]) for c in lookup.json()["candidates"]] == [(0, 0), (0, 0)]
        # Even the seat holder's user id, asked with the other tenant's key, reads nothing.
        activity = await _activity(client, written.dan, written.pull.rita, other.auth)
        assert activity.status_code == 200
        assert activity.json()["items"] == []
        for text in CONTENT:
            assert text not in activity.text


class TestOtherReadPaths:
    async def test_the_in_ats_preview_shows_pulled_notes_without_their_text(
        self, written: Written, client: httpx.AsyncClient
    ) -> None:
        # The ATS tells the service about the records the pull wrote, as it does for any record.
        pull = written.pull
        pull.ats.state.webhooks.release()
        assert await pull.ats.state.webhooks.flush(within=30)
        credential = await client.get(
            f"/v1/admin/tenants/{pull.tenancy.key}/in-ats/credential",
            headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert credential.status_code == 200, credential.text

        response = await client.get(
            f"/v1/in-ats/{pull.tenancy.key}/members/{DAN}/preview",
            headers={"authorization": f"Bearer {credential.json()['credential']}"},
        )

        assert response.status_code == 200, response.text
        (candidate,) = response.json()["candidates"]
        notes = {n["id"]: n for n in candidate["notes"]}
        assert notes[written.note["id"]]["body"] is None
        assert notes[written.note["id"]]["restricted"] is True
        assert notes[written.note["id"]]["written_at"] is not None
        for text in CONTENT:
            assert text not in response.text, text
