"""OPTIONS and 405 name every method of every route at the path, not only the first route's."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def test_options_names_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    answer = await client.options("/v1/admin/tenants", headers=ADMIN)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_method_the_path_lacks_is_405_with_all_the_others(client: httpx.AsyncClient) -> None:
    answer = await client.put("/v1/admin/tenants/tn_unknown", headers=ADMIN)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE, GET, PATCH"
    assert answer.json()["code"] == "method_not_allowed"


async def test_a_path_of_several_routers_lists_them_all(client: httpx.AsyncClient) -> None:
    # GET is the tenant API key's route, POST its sibling on the same path.
    answer = await client.delete("/v1/integration/deactivation")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
