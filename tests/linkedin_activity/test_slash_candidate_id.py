"""R7 for a candidate id the ATS chose with a `/` in it (the ATS contract does not forbid one, and the webhook
takes it): the route reaches that candidate, percent-encoded or not, instead of answering a route 404."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from rsc_service.context import AppContext
from tests.conftest import FrozenClock
from tests.in_ats.conftest import make_side

SLASHED = "req/42"


@pytest.mark.parametrize("encoded", [quote(SLASHED, safe=""), SLASHED])
async def test_the_activity_of_a_candidate_whose_id_has_a_slash(
    ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock, encoded: str
) -> None:
    side = await make_side(ctx, client, clock, n=1, member="urn:li:person:slashed", candidate_id=SLASHED)

    response = await client.get(
        f"/v1/integration/candidates/{encoded}/linkedin-activity",
        params={"ats_user_id": "usr_1"},
        headers=side.api,
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"candidate_id": SLASHED, "ats_user_id": "usr_1", "items": []}
