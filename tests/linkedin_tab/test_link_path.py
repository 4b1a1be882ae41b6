"""The widget's onlink/onunlink route names the tab's own candidate, whatever its id: a raw `cand%41` would
link the tenant's candidate `candA`, a raw `cand?x=1` call a route that does not exist (404). An id with a `/`
in it (the ATS chooses its ids) is percent-encoded too, and the tab and link routes take it whole."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from rsc_service.context import AppContext
from tests.conftest import FrozenClock
from tests.factories import candidate
from tests.in_ats.conftest import make_side


@pytest.mark.parametrize(
    ("odd", "neighbour"), [("cand?x=1", "cand"), ("cand%41", "candA"), ("req/42", "req"), ("a/b/link", "a")]
)
async def test_the_link_callbacks_route_names_the_tabs_candidate(
    ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock, odd: str, neighbour: str
) -> None:
    side = await make_side(ctx, client, clock, n=7, member="urn:li:person:seven", candidate_id=neighbour)
    sent = await side.ats.send("candidate.created", candidate(odd, first_name="Odd"))
    assert sent.status_code == 202, sent.text
    encoded = quote(odd, safe="")
    tab = await client.get(
        f"/v1/integration/candidates/{encoded}/linkedin-tab",
        params={"ats_user_id": "usr_1"},
        headers=side.api,
    )
    assert tab.status_code == 200, tab.text
    assert tab.json()["candidate_id"] == odd
    widget = tab.json()["widget"]
    assert (widget["onlink"], widget["onunlink"]) == (f"/v1/integration/candidates/{encoded}/link",) * 2

    # What the page's onlink function does with the route: PUT the member there.
    linked = await client.put(
        widget["onlink"], json={"member_urn": "urn:li:person:odd", "ats_user_id": "usr_1"}, headers=side.api
    )

    assert linked.status_code == 200, linked.text
    odd_link = await client.get(f"/v1/integration/candidates/{encoded}/link", headers=side.api)
    neighbour_link = await client.get(f"/v1/integration/candidates/{neighbour}/link", headers=side.api)
    assert (odd_link.json()["member_urn"], neighbour_link.json()["member_urn"]) == (
        "urn:li:person:odd",
        "urn:li:person:seven",
    )
