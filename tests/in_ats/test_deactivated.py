"""A8: once the customer deactivates, LinkedIn's side reads nothing more of its ATS through the In-ATS
routes, though the credential and the mirror wait for the purge: the same 401 as a wrong credential."""

from __future__ import annotations

import httpx

from tests.factories import deactivate_by_operator
from tests.in_ats.conftest import Side


async def test_the_in_ats_routes_refuse_a_deactivated_tenant_with_401(
    one: Side, other: Side, client: httpx.AsyncClient
) -> None:
    preview_path = f"/v1/in-ats/{one.key}/members/{one.member}/preview"
    assert (await client.get(preview_path, headers=one.in_ats)).status_code == 200

    await deactivate_by_operator(client, one.key)

    answers = [
        await client.get(preview_path, headers=one.in_ats),
        await client.get(f"/v1/in-ats/{one.key}/members/{one.member}/indicator", headers=one.in_ats),
        await client.get(
            f"/v1/in-ats/{one.key}/past-applicants", params={"member": one.member}, headers=one.in_ats
        ),
    ]
    assert [(a.status_code, a.headers.get("www-authenticate")) for a in answers] == [(401, "Bearer")] * 3
    assert all(one.candidate_id not in a.text for a in answers)
    # The other tenant is untouched.
    other_preview = await client.get(
        f"/v1/in-ats/{other.key}/members/{other.member}/preview", headers=other.in_ats
    )
    assert other_preview.status_code == 200, other_preview.text
