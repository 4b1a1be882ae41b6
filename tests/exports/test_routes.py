"""The ATS's export routes: each tenant sees only its own exports and settings, and bad settings are refused
naming the field, leaving the stored ones as they were."""

from __future__ import annotations

import httpx

from rsc_service.context import AppContext
from rsc_service.exports.models import Export
from tests.conftest import FrozenClock
from tests.factories import make_tenant


async def two_tenants(ctx: AppContext) -> tuple[dict[str, str], dict[str, str], object]:
    async with ctx.sessionmaker.begin() as session:
        mine = await make_tenant(session, ctx)
        theirs = await make_tenant(session, ctx)
    return (
        {"Authorization": f"Bearer {mine.api_key}"},
        {"Authorization": f"Bearer {theirs.api_key}"},
        mine.tenant.id,
    )


class TestIsolation:
    async def test_another_tenants_key_sees_none_of_the_exports_nor_the_settings(
        self, client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock
    ) -> None:
        mine, theirs, tenant_id = await two_tenants(ctx)
        async with ctx.sessionmaker.begin() as session:
            session.add(
                Export(
                    tenant_id=tenant_id,
                    request_id="urn:li:request:1",
                    outcome="created",
                    month="2026-12",
                    processed_at=clock(),
                )
            )
        chosen = {"source": "Recruiter", "stage": None, "sourcer_user_id": None}
        assert (
            await client.put("/v1/integration/export-settings", json=chosen, headers=mine)
        ).status_code == 200

        assert len((await client.get("/v1/integration/exports", headers=mine)).json()["exports"]) == 1
        assert (await client.get("/v1/integration/exports", headers=theirs)).json() == {"exports": []}
        assert (await client.get("/v1/integration/export-settings", headers=theirs)).json() == {
            "source": "LinkedIn (Prospecting)",
            "stage": None,
            "sourcer_user_id": None,
        }

    async def test_without_a_key_it_is_401(self, client: httpx.AsyncClient) -> None:
        for method, path in (("GET", "/v1/integration/exports"), ("PUT", "/v1/integration/export-settings")):
            answer = await client.request(method, path, json={})
            assert answer.status_code == 401
            assert answer.headers["content-type"].startswith("application/problem+json")


class TestValidation:
    async def test_bad_settings_name_the_field_and_change_nothing(
        self, client: httpx.AsyncClient, ctx: AppContext
    ) -> None:
        mine, _, _ = await two_tenants(ctx)
        good = {"source": "Recruiter", "stage": "screen", "sourcer_user_id": "usr_1"}
        await client.put("/v1/integration/export-settings", json=good, headers=mine)

        for bad, field in (
            ({"source": ""}, "source"),
            ({"source": "x" * 101}, "source"),
            ({"stage": ""}, "stage"),
            ({"sourcer": "usr_2"}, "sourcer"),
            ({"source": "Recruiter\x00export"}, "source"),  # PostgreSQL cannot store a NUL: refused first
        ):
            answer = await client.put("/v1/integration/export-settings", json=bad, headers=mine)
            assert answer.status_code == 422, answer.text
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert field in answer.text

        assert (await client.get("/v1/integration/export-settings", headers=mine)).json() == good

    async def test_an_unknown_outcome_filter_is_422(self, client: httpx.AsyncClient, ctx: AppContext) -> None:
        mine, _, _ = await two_tenants(ctx)

        answer = await client.get("/v1/integration/exports?outcome=merged", headers=mine)

        assert answer.status_code == 422 and "outcome" in answer.text
