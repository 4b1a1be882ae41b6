"""L3 through both simulators: the ATS links and unlinks a candidate with its API key, LinkedIn is told by
the candidate's next PUT, LinkedIn's email match read back undoes neither, and every change is audited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from rsc_service import bootstrap
from rsc_service.candidates import service as candidate_service
from rsc_service.context import AppContext
from rsc_service.links.models import CandidateLink
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import ADMIN_TOKEN, FrozenClock
from tests.factories import Ats
from tests.flows.conftest import FakeAts, drain, linkedin_world

ORG = "urn:li:organization:1001"
DAN = "urn:li:person:m1004"  # LinkedIn's email match for dan@candidates.example
EVE = "urn:li:person:m1005"


async def _read_back(ctx: AppContext) -> int:
    return await candidate_service.read_back_matches(
        ctx.sessionmaker, bootstrap.tenant_apps(ctx), now=ctx.db_now
    )


def _stored(sim: FastAPI, candidate_id: str) -> dict[str, Any]:
    record: dict[str, Any] = linkedin_world(sim).record(
        "atsCandidates", atsCandidateId=candidate_id, dataProvider="ATS", integrationContext=ORG
    )
    return record


async def _link_row(ctx: AppContext, candidate_id: str) -> CandidateLink | None:
    async with ctx.sessionmaker() as session:
        return await session.scalar(
            select(CandidateLink).where(CandidateLink.ats_candidate_id == candidate_id)
        )


class Setup:
    def __init__(self, ats: Ats, dan: str, other: str, credential: str) -> None:
        self.api = {"authorization": f"Bearer {ats.api_key}"}
        self.in_ats = {"authorization": f"Bearer {credential}"}
        self.tenant_key = ats.tenant_key
        self.dan = dan
        self.other = other


@pytest.fixture
async def setup(
    fake_ats: FakeAts,
    ats: Ats,
    dispatcher: Dispatcher,
    ctx_li: AppContext,
    clock: FrozenClock,
    client: httpx.AsyncClient,
) -> Setup:
    """Dan (whom LinkedIn matches by email) and a candidate LinkedIn cannot match, both landed on LinkedIn."""
    dan = fake_ats.world.create(
        "candidate",
        {"first_name": "Dan", "last_name": "Candidate", "emails": [{"address": "dan@candidates.example"}]},
    )
    other = fake_ats.world.create(
        "candidate",
        {"first_name": "Nora", "last_name": "Nomatch", "emails": [{"address": "nora@nowhere.example"}]},
    )
    await fake_ats.flush()
    await drain(dispatcher, clock)
    credential = await client.get(
        f"/v1/admin/tenants/{ats.tenant_key}/in-ats/credential",
        headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    return Setup(ats, dan["id"], other["id"], credential.json()["credential"])


class TestLinkByHand:
    async def test_a_link_by_hand_reaches_linkedin_and_wins_over_the_email_match(
        self,
        setup: Setup,
        client: httpx.AsyncClient,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
        linkedin_sim: FastAPI,
    ) -> None:
        linked = await client.put(
            f"/v1/integration/candidates/{setup.dan}/link",
            json={"member_urn": EVE, "ats_user_id": "u_rita"},
            headers=setup.api,
        )
        assert linked.status_code == 200, linked.text
        assert linked.json()["member_urn"] == EVE and linked.json()["source"] == "manual"

        clock.advance(seconds=1)
        await drain(dispatcher, clock)
        assert _stored(linkedin_sim, setup.dan)["manualMatchedMember"] == EVE
        await _read_back(ctx_li)  # LinkedIn's email match says Dan is m1004

        row = await _link_row(ctx_li, setup.dan)
        assert row is not None and (row.member_urn, row.source) == (EVE, "manual")
        assert row.checked_at is not None  # read back, and left as the person set it
        got = await client.get(f"/v1/integration/candidates/{setup.dan}/link", headers=setup.api)
        assert got.json()["member_urn"] == EVE
        eve = await client.get(f"/v1/in-ats/{setup.tenant_key}/members/{EVE}/indicator", headers=setup.in_ats)
        dan = await client.get(f"/v1/in-ats/{setup.tenant_key}/members/{DAN}/indicator", headers=setup.in_ats)
        assert (eve.status_code, dan.status_code) == (200, 404)

    async def test_an_unlink_by_hand_reaches_linkedin_and_the_email_match_does_not_link_again(
        self,
        setup: Setup,
        client: httpx.AsyncClient,
        dispatcher: Dispatcher,
        ctx_li: AppContext,
        clock: FrozenClock,
        linkedin_sim: FastAPI,
    ) -> None:
        await client.put(
            f"/v1/integration/candidates/{setup.dan}/link", json={"member_urn": EVE}, headers=setup.api
        )
        clock.advance(seconds=1)
        await drain(dispatcher, clock)

        unlinked = await client.delete(
            f"/v1/integration/candidates/{setup.dan}/link", params={"ats_user_id": "u_sam"}, headers=setup.api
        )
        assert unlinked.status_code == 200, unlinked.text
        assert unlinked.json()["member_urn"] is None
        clock.advance(seconds=1)
        await drain(dispatcher, clock)
        assert _stored(linkedin_sim, setup.dan).get("manualMatchedMember") is None
        assert await _read_back(ctx_li) >= 1  # the new PUT landed: its match is read again

        row = await _link_row(ctx_li, setup.dan)
        assert row is not None and (row.member_urn, row.source) == (None, "manual")
        for member in (DAN, EVE):
            answer = await client.get(
                f"/v1/in-ats/{setup.tenant_key}/members/{member}/indicator", headers=setup.in_ats
            )
            assert answer.status_code == 404

    async def test_every_change_is_audited_and_a_repeat_changes_nothing(
        self, setup: Setup, client: httpx.AsyncClient, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        path = f"/v1/integration/candidates/{setup.dan}/link"
        await client.put(path, json={"member_urn": EVE, "ats_user_id": "u_rita"}, headers=setup.api)
        clock.advance(seconds=1)
        again = await client.put(path, json={"member_urn": EVE, "ats_user_id": "u_rita"}, headers=setup.api)
        clock.advance(seconds=1)
        await client.delete(path, headers=setup.api)

        history = await client.get(f"{path}/history", headers=setup.api)

        assert again.status_code == 200
        assert history.status_code == 200
        changes = history.json()["changes"]
        assert [(c["member_before"], c["member_after"], c["actor"]) for c in changes] == [
            (None, EVE, "ats_user:u_rita"),
            (EVE, None, "ats"),
        ]
        assert changes[0]["source_before"] is None  # Dan's email match had not been read back yet
        assert changes[1]["source_before"] == "manual"

    async def test_the_links_of_a_list_page_are_read_in_one_call(
        self, setup: Setup, client: httpx.AsyncClient, ctx_li: AppContext
    ) -> None:
        await client.put(
            f"/v1/integration/candidates/{setup.dan}/link", json={"member_urn": EVE}, headers=setup.api
        )

        found = await client.post(
            "/v1/integration/links/lookup",
            json={"candidate_ids": [setup.other, setup.dan, "cand_unknown"]},
            headers=setup.api,
        )

        assert found.status_code == 200, found.text
        assert found.json() == {"links": [{"candidate_id": setup.dan, "member_urn": EVE, "source": "manual"}]}

    async def test_an_unknown_candidate_is_404_and_nothing_is_written(
        self, setup: Setup, client: httpx.AsyncClient, ctx_li: AppContext
    ) -> None:
        answer = await client.put(
            "/v1/integration/candidates/cand_unknown/link", json={"member_urn": EVE}, headers=setup.api
        )

        assert answer.status_code == 404
        assert answer.json()["code"] == "candidate_not_found"
        async with ctx_li.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(CandidateLink)) == 0

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"member_urn": "urn:li:organization:1"}, "body.member_urn"),
            ({}, "body.member_urn"),
            ({"member_urn": EVE, "extra": 1}, "body.extra"),
        ],
    )
    async def test_a_bad_body_is_422_naming_the_field(
        self, setup: Setup, client: httpx.AsyncClient, body: dict[str, Any], field: str
    ) -> None:
        answer = await client.put(
            f"/v1/integration/candidates/{setup.dan}/link", json=body, headers=setup.api
        )

        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == [field]

    async def test_a_lookup_of_more_than_a_page_is_422(self, setup: Setup, client: httpx.AsyncClient) -> None:
        answer = await client.post(
            "/v1/integration/links/lookup",
            json={"candidate_ids": [f"c{n}" for n in range(501)]},
            headers=setup.api,
        )

        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == ["body.candidate_ids"]
