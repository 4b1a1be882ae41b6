"""The ATS user named on the link routes goes into the audit trail as `ats_user:<id>`: an id as long as the
routes take (200 characters) is stored on both databases, and one the database cannot store (a NUL) is a 422
naming the field, with nothing changed."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.links_api.models import LinkChange
from tests.conftest import FrozenClock
from tests.in_ats.conftest import Side, make_side

LONGEST_USER_ID = "u" * 200  # the routes' max_length


@pytest.fixture
async def one(ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock) -> Side:
    return await make_side(ctx, client, clock, n=1, member="urn:li:person:one", candidate_id="cand_one")


def _link(side: Side) -> str:
    return f"/v1/integration/candidates/{side.candidate_id}/link"


async def _actors(ctx: AppContext) -> list[str]:
    async with ctx.sessionmaker() as session:
        return list((await session.scalars(select(LinkChange.actor).order_by(LinkChange.id))).all())


async def test_a_200_character_ats_user_can_link_and_unlink_by_hand(
    client: httpx.AsyncClient, ctx: AppContext, one: Side
) -> None:
    linked = await client.put(
        _link(one), headers=one.api, json={"member_urn": "urn:li:person:zzz", "ats_user_id": LONGEST_USER_ID}
    )
    unlinked = await client.delete(_link(one), headers=one.api, params={"ats_user_id": LONGEST_USER_ID})

    assert linked.status_code == 200, linked.text
    assert unlinked.status_code == 200, unlinked.text
    history = (await client.get(f"{_link(one)}/history", headers=one.api)).json()["changes"]
    assert [change["actor"] for change in history] == [f"ats_user:{LONGEST_USER_ID}"] * 2
    assert await _actors(ctx) == [f"ats_user:{LONGEST_USER_ID}"] * 2


@pytest.mark.parametrize("how", ["put", "delete"])
async def test_a_nul_in_the_ats_user_id_is_a_422_naming_it_and_changes_nothing(
    client: httpx.AsyncClient, ctx: AppContext, one: Side, how: str
) -> None:
    if how == "put":
        answer = await client.put(
            _link(one), headers=one.api, json={"member_urn": "urn:li:person:zzz", "ats_user_id": "usr\x001"}
        )
        field = "body.ats_user_id"
    else:
        answer = await client.delete(_link(one), headers=one.api, params={"ats_user_id": "usr\x001"})
        field = "query.ats_user_id"

    assert answer.status_code == 422, answer.text
    assert [problem["field"] for problem in answer.json()["errors"]] == [field], answer.text
    still = (await client.get(_link(one), headers=one.api)).json()
    assert still["member_urn"] == one.member, still
    assert await _actors(ctx) == []
