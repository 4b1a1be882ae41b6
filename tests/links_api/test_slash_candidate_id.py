"""A candidate id the ATS chose with a `/` in it (the ATS contract does not forbid one, and the webhook takes
it): every link route reaches that candidate, percent-encoded as the LinkedIn tab names it, and no other one
(docs/in-ats.md#links-by-hand-l3, #connect-before-alert-l5)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from rsc_service.context import AppContext
from tests.conftest import FrozenClock
from tests.factories import candidate
from tests.in_ats.conftest import Side, make_side

SLASHED = "req/42"
NEIGHBOUR = "req"  # what the router would take for the id if it stopped at the `/`
MEMBER, OTHER = "urn:li:person:slashed", "urn:li:person:other"


@pytest.fixture
async def side(ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock) -> Side:
    side = await make_side(ctx, client, clock, n=1, member=MEMBER, candidate_id=SLASHED)
    sent = await side.ats.send("candidate.created", candidate(NEIGHBOUR, first_name="Neighbour"))
    assert sent.status_code == 202, sent.text
    return side


def _path(candidate_id: str, tail: str) -> str:
    return f"/v1/integration/candidates/{quote(candidate_id, safe='')}/{tail}"


async def test_every_link_route_reaches_a_candidate_whose_id_has_a_slash(
    client: httpx.AsyncClient, side: Side
) -> None:
    read = await client.get(_path(SLASHED, "link"), headers=side.api)
    assert read.status_code == 200, read.text
    assert (read.json()["candidate_id"], read.json()["member_urn"]) == (SLASHED, MEMBER)

    linked = await client.put(
        _path(SLASHED, "link"), json={"member_urn": OTHER, "ats_user_id": "usr_1"}, headers=side.api
    )
    assert linked.status_code == 200, linked.text
    assert (linked.json()["candidate_id"], linked.json()["member_urn"]) == (SLASHED, OTHER)

    connected = await client.post(_path(SLASHED, "connect"), headers=side.api)  # linked: answered at once
    assert connected.status_code == 200, connected.text
    assert (connected.json()["candidate_id"], connected.json()["member_urn"]) == (SLASHED, OTHER)

    unlinked = await client.delete(_path(SLASHED, "link"), params={"ats_user_id": "usr_2"}, headers=side.api)
    assert unlinked.status_code == 200, unlinked.text
    assert (unlinked.json()["candidate_id"], unlinked.json()["member_urn"]) == (SLASHED, None)

    history = await client.get(_path(SLASHED, "link/history"), headers=side.api)
    assert history.status_code == 200, history.text
    assert history.json()["candidate_id"] == SLASHED
    assert [(c["member_before"], c["member_after"], c["actor"]) for c in history.json()["changes"]] == [
        (MEMBER, OTHER, "ats_user:usr_1"),
        (OTHER, None, "ats_user:usr_2"),
    ]

    # The candidate the id's first segment names was never touched.
    neighbour = await client.get(_path(NEIGHBOUR, "link"), headers=side.api)
    assert neighbour.status_code == 200, neighbour.text
    assert neighbour.json()["member_urn"] is None
    assert (await client.get(_path(NEIGHBOUR, "link/history"), headers=side.api)).json()["changes"] == []


@pytest.mark.parametrize("tail", ["link", "link/history"])
async def test_an_id_ending_like_a_route_is_still_the_candidates_whole_id(
    ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock, tail: str
) -> None:
    """`{candidate_id:path}` takes everything up to the route's own ending: an id ending in `/link` reaches
    its own link and history, not the history of the id before it."""
    odd = f"cand/{tail}"
    side = await make_side(ctx, client, clock, n=2, member=MEMBER, candidate_id=odd)

    read = await client.get(_path(odd, "link"), headers=side.api)
    history = await client.get(_path(odd, "link/history"), headers=side.api)

    assert (read.status_code, history.status_code) == (200, 200), (read.text, history.text)
    assert (read.json()["candidate_id"], read.json()["member_urn"]) == (odd, MEMBER)
    assert history.json() == {"candidate_id": odd, "changes": []}


async def test_an_empty_or_nul_id_is_still_refused(client: httpx.AsyncClient, side: Side) -> None:
    empty = await client.get("/v1/integration/candidates//link", headers=side.api)
    nul = await client.get(_path("req\x00/42", "link"), headers=side.api)
    long = await client.get(_path("r/" * 100 + "x", "link"), headers=side.api)  # 201 characters

    assert [(a.status_code, a.json()["errors"][0]["field"]) for a in (empty, nul, long)] == [
        (422, "path.candidate_id")
    ] * 3


async def test_a_wrong_method_on_a_slashed_id_names_the_methods_the_route_serves(
    client: httpx.AsyncClient, side: Side
) -> None:
    """RFC 9110: a 405 lists in Allow what the target serves; it listed nothing for such an id."""
    answer = await client.patch(_path(SLASHED, "link"), json={}, headers=side.api)
    assert answer.status_code == 405, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["allow"] == "DELETE, GET, PUT"
