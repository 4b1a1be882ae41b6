"""Operators and stages: registering for onboarding, tenants by stage, the audit trail, forcing a step."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN_TOKEN
from tests.factories import tenant_fields

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
LINKEDIN = (
    "linkedin_organization_urn",
    "linkedin_client_id",
    "linkedin_client_secret",
    "linkedin_app_urn",
    "linkedin_unique_foreign_id",
)


def _onboarding_body(**overrides: Any) -> dict[str, Any]:
    body = tenant_fields(contracts=[])
    for name in LINKEDIN:
        body.pop(name)
    return body | overrides


async def _register(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/admin/tenants", json=_onboarding_body(**overrides), headers=AUTH)
    assert response.status_code == 201, response.text
    return dict(response.json())


class TestRegisteringForOnboarding:
    async def test_without_a_child_app_the_tenant_starts_requested(self, client: httpx.AsyncClient) -> None:
        created = await _register(client)

        assert created["stage"] == "requested"
        assert created["linkedin_client_id"] is None and created["contracts"] == []
        trail = await client.get(f"/v1/admin/tenants/{created['key']}/stages", headers=AUTH)
        assert trail.status_code == 200
        assert [(c["from_stage"], c["to_stage"], c["actor"]) for c in trail.json()] == [
            (None, "requested", "operator")
        ]

    async def test_part_of_a_child_app_is_refused_naming_what_is_missing(
        self, client: httpx.AsyncClient
    ) -> None:
        body = _onboarding_body(linkedin_client_id="half-an-app")

        refused = await client.post("/v1/admin/tenants", json=body, headers=AUTH)

        assert refused.status_code == 422
        assert "linkedin_client_secret" in refused.text and "linkedin_app_urn" in refused.text
        assert (await client.get("/v1/admin/tenants", headers=AUTH)).json() == []


class TestStages:
    async def test_tenants_are_listed_by_stage(self, client: httpx.AsyncClient) -> None:
        onboarding = await _register(client)
        registered = await client.post("/v1/admin/tenants", json=tenant_fields(), headers=AUTH)

        requested = await client.get("/v1/admin/tenants", params={"stage": "requested"}, headers=AUTH)
        active = await client.get("/v1/admin/tenants", params={"stage": "active"}, headers=AUTH)

        assert [t["key"] for t in requested.json()] == [onboarding["key"]]
        assert [t["key"] for t in active.json()] == [registered.json()["key"]]
        unknown = await client.get("/v1/admin/tenants", params={"stage": "asleep"}, headers=AUTH)
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "query.stage"

    async def test_an_operator_forces_an_allowed_step_and_it_is_audited(
        self, client: httpx.AsyncClient
    ) -> None:
        created = await _register(client)

        moved = await client.post(
            f"/v1/admin/tenants/{created['key']}/stage",
            json={"stage": "partner_ready", "reason": "set up by hand with LinkedIn support"},
            headers=AUTH,
        )

        assert moved.status_code == 200, moved.text
        assert moved.json()["stage"] == "partner_ready"
        trail = (await client.get(f"/v1/admin/tenants/{created['key']}/stages", headers=AUTH)).json()
        assert trail[-1] | {"at": None} == {
            "from_stage": "requested",
            "to_stage": "partner_ready",
            "actor": "operator",
            "reason": "set up by hand with LinkedIn support",
            "at": None,
        }

    async def test_an_illegal_step_is_409_and_changes_nothing(self, client: httpx.AsyncClient) -> None:
        created = await _register(client)

        for stage in ("active", "deactivated", "requested"):
            refused = await client.post(
                f"/v1/admin/tenants/{created['key']}/stage",
                json={"stage": stage, "reason": "skip"},
                headers=AUTH,
            )
            assert refused.status_code == 409, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
        assert (await client.get(f"/v1/admin/tenants/{created['key']}", headers=AUTH)).json()[
            "stage"
        ] == "requested"
        assert len((await client.get(f"/v1/admin/tenants/{created['key']}/stages", headers=AUTH)).json()) == 1

    async def test_unknown_tenants_are_404(self, client: httpx.AsyncClient) -> None:
        for method, path, body in (
            ("GET", "/v1/admin/tenants/tn_nope/stages", None),
            ("POST", "/v1/admin/tenants/tn_nope/stage", {"stage": "enabled", "reason": "x"}),
        ):
            assert (await client.request(method, path, json=body, headers=AUTH)).status_code == 404
