"""The operator API for tenants: registration with secrets shown once, reads, changes, rotation, removal."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.crypto import hash_api_key
from rsc_service.tenants.deps import TenantRoute
from rsc_service.tenants.models import Tenant, TenantContract, TenantWebhookSecret
from tests.conftest import ADMIN_TOKEN, FrozenClock
from tests.factories import Ats, candidate, tenant_fields
from tests.tenants.conftest import NO_CHILD_APP

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _body(**overrides: Any) -> dict[str, Any]:
    secrets = {"ats_token": "ats-secret-token", "linkedin_client_secret": "li-client-secret"}
    return tenant_fields(**(secrets | overrides))


@pytest.fixture
async def created(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post(
        "/v1/admin/tenants",
        json=_body(contracts=["urn:li:contract:2001", "urn:li:contract:2002"]),
        headers=AUTH,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


class TestCreateTenant:
    async def test_returns_the_secrets_once_and_stores_them_hashed_or_encrypted(
        self, created: dict[str, Any], ctx: AppContext
    ) -> None:
        assert created["stage"] == "active"
        assert created["key"].startswith("tn_")
        assert created["api_key"].startswith("rsc_")
        assert created["webhook_secret"].startswith("whsec_")
        assert created["contracts"] == ["urn:li:contract:2001", "urn:li:contract:2002"]

        async with ctx.sessionmaker() as session:
            tenant = (await session.scalars(select(Tenant).where(Tenant.key == created["key"]))).one()
            secret_row = (await session.scalars(select(TenantWebhookSecret))).one()
            contracts = (await session.scalars(select(TenantContract.contract_urn))).all()
        assert tenant.api_key_hash == hash_api_key(created["api_key"])
        stored = " ".join([tenant.ats_token_enc, tenant.linkedin_client_secret_enc, secret_row.secret_enc])
        for plaintext in (
            "ats-secret-token",
            "li-client-secret",
            created["webhook_secret"],
            created["api_key"],
        ):
            assert plaintext not in stored
        assert (
            ctx.cipher.decrypt(tenant.ats_token_enc, tenant_id=str(tenant.id), column="ats_token")
            == "ats-secret-token"
        )
        assert sorted(contracts) == ["urn:li:contract:2001", "urn:li:contract:2002"]

    async def test_reads_never_show_secrets(self, client: httpx.AsyncClient, created: dict[str, Any]) -> None:
        one = await client.get(f"/v1/admin/tenants/{created['key']}", headers=AUTH)
        listed = await client.get("/v1/admin/tenants", headers=AUTH)

        assert one.status_code == 200
        assert [t["key"] for t in listed.json()] == [created["key"]]
        for text in (one.text, listed.text):
            assert created["api_key"] not in text
            assert created["webhook_secret"] not in text
            assert "ats-secret-token" not in text

    async def test_invalid_fields_are_named(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/v1/admin/tenants",
            json=_body(contracts=["contract 1"], linkedin_organization_urn="acme"),
            headers=AUTH,
        )
        assert response.status_code == 422
        fields = {item["field"] for item in response.json()["errors"]}
        assert {"body.contracts.0", "body.linkedin_organization_urn"} <= fields

    async def test_unsafe_ats_url_is_refused_unless_insecure_local(
        self, client: httpx.AsyncClient, ctx: AppContext
    ) -> None:
        ctx.settings.allow_insecure_local = False
        response = await client.post(
            "/v1/admin/tenants", json=_body(ats_base_url="http://127.0.0.1/api"), headers=AUTH
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.ats_base_url"

        private = await client.post(
            "/v1/admin/tenants", json=_body(ats_base_url="https://10.0.0.5/api"), headers=AUTH
        )
        assert private.status_code == 422
        assert "private" in private.json()["detail"]

    async def test_duplicate_unique_foreign_id_is_a_conflict(
        self, client: httpx.AsyncClient, created: dict[str, Any]
    ) -> None:
        again = await client.post(
            "/v1/admin/tenants",
            json=_body(linkedin_unique_foreign_id=created["linkedin_unique_foreign_id"]),
            headers=AUTH,
        )
        assert again.status_code == 409
        assert again.json()["code"] == "conflict"


class TestOneTenantPerApplication:
    """A job resync names the customer by its application URN alone (docs/pull.md#job-resync)."""

    async def test_a_second_tenant_with_the_same_application_is_a_409_naming_it(
        self, client: httpx.AsyncClient, created: dict[str, Any], ctx: AppContext
    ) -> None:
        again = await client.post(
            "/v1/admin/tenants", json=_body(linkedin_app_urn=created["linkedin_app_urn"]), headers=AUTH
        )

        assert again.status_code == 409, again.text
        assert again.json()["code"] == "conflict"
        assert [item["field"] for item in again.json()["errors"]] == ["body.linkedin_app_urn"]
        async with ctx.sessionmaker() as session:
            assert (await session.scalars(select(Tenant.key))).all() == [created["key"]]

    async def test_both_fields_another_tenant_holds_are_named(
        self, client: httpx.AsyncClient, created: dict[str, Any]
    ) -> None:
        again = await client.post(
            "/v1/admin/tenants",
            json=_body(
                linkedin_app_urn=created["linkedin_app_urn"],
                linkedin_unique_foreign_id=created["linkedin_unique_foreign_id"],
            ),
            headers=AUTH,
        )

        assert again.status_code == 409, again.text
        assert {item["field"] for item in again.json()["errors"]} == {
            "body.linkedin_app_urn",
            "body.linkedin_unique_foreign_id",
        }

    async def test_another_application_and_tenants_without_one_are_registered(
        self, client: httpx.AsyncClient, created: dict[str, Any]
    ) -> None:
        other = await client.post(
            "/v1/admin/tenants", json=_body(linkedin_app_urn="urn:li:developerApplication:3002"), headers=AUTH
        )
        onboarding = [
            await client.post("/v1/admin/tenants", json=_body(**NO_CHILD_APP), headers=AUTH) for _ in range(2)
        ]

        assert [answer.status_code for answer in (other, *onboarding)] == [201, 201, 201]


DIGITS = "9" * 300
TOO_LONG_OR_NOT_DIGITS = {
    "contract": ({"contracts": [f"urn:li:contract:{DIGITS}"]}, "body.contracts.0"),
    "organization": (
        {"linkedin_organization_urn": f"urn:li:organization:{DIGITS}"},
        "body.linkedin_organization_urn",
    ),
    "app": ({"linkedin_app_urn": f"urn:li:developerApplication:{DIGITS}"}, "body.linkedin_app_urn"),
    "contract one digit over": ({"contracts": ["urn:li:contract:" + "1" * 85]}, "body.contracts.0"),
    "organization one digit over": (
        {"linkedin_organization_urn": "urn:li:organization:" + "1" * 81},
        "body.linkedin_organization_urn",
    ),
    "app one digit over": (
        {"linkedin_app_urn": "urn:li:developerApplication:" + "1" * 173},
        "body.linkedin_app_urn",
    ),
    "Arabic-Indic digits": ({"contracts": ["urn:li:contract:\u0661\u0662\u0663"]}, "body.contracts.0"),
    "fullwidth digits": (
        {"linkedin_organization_urn": "urn:li:organization:\uff11\uff12"},
        "body.linkedin_organization_urn",
    ),
}


class TestUrnsFitTheirColumns:
    @pytest.mark.parametrize(
        ("override", "field"), TOO_LONG_OR_NOT_DIGITS.values(), ids=TOO_LONG_OR_NOT_DIGITS.keys()
    )
    async def test_a_urn_no_column_holds_is_a_422_naming_it(
        self, client: httpx.AsyncClient, ctx: AppContext, override: dict[str, Any], field: str
    ) -> None:
        answer = await client.post("/v1/admin/tenants", json=_body(**override), headers=AUTH)

        assert answer.status_code == 422, answer.text
        assert [item["field"] for item in answer.json()["errors"]] == [field], answer.text
        async with ctx.sessionmaker() as session:
            assert (await session.scalars(select(Tenant))).all() == []

    async def test_the_longest_urns_are_stored(self, client: httpx.AsyncClient, ctx: AppContext) -> None:
        longest = {
            "contracts": ["urn:li:contract:" + "1" * 84],
            "linkedin_organization_urn": "urn:li:organization:" + "2" * 80,
            "linkedin_app_urn": "urn:li:developerApplication:" + "3" * 172,
        }

        answer = await client.post("/v1/admin/tenants", json=_body(**longest), headers=AUTH)

        assert answer.status_code == 201, answer.text
        assert {name: answer.json()[name] for name in longest} == longest

    async def test_changing_contracts_to_one_no_column_holds_is_a_422_and_keeps_the_old(
        self, client: httpx.AsyncClient, created: dict[str, Any]
    ) -> None:
        path = f"/v1/admin/tenants/{created['key']}"

        answer = await client.patch(path, json={"contracts": [f"urn:li:contract:{DIGITS}"]}, headers=AUTH)

        assert answer.status_code == 422, answer.text
        assert [item["field"] for item in answer.json()["errors"]] == ["body.contracts.0"]
        kept = (await client.get(path, headers=AUTH)).json()["contracts"]
        assert kept == ["urn:li:contract:2001", "urn:li:contract:2002"]


class TestEmptySecrets:
    @pytest.mark.parametrize("field", ["ats_token", "linkedin_client_secret"])
    async def test_an_empty_secret_is_refused_at_registration_naming_it(
        self, client: httpx.AsyncClient, ctx: AppContext, field: str
    ) -> None:
        response = await client.post("/v1/admin/tenants", json=_body(**{field: ""}), headers=AUTH)

        assert response.status_code == 422, response.text
        assert [item["field"] for item in response.json()["errors"]] == [f"body.{field}"]
        async with ctx.sessionmaker() as session:
            assert (await session.scalars(select(Tenant))).all() == []

    @pytest.mark.parametrize("field", ["ats_token", "linkedin_client_secret"])
    async def test_an_empty_secret_is_refused_as_a_change_naming_it(
        self, client: httpx.AsyncClient, created: dict[str, Any], ctx: AppContext, field: str
    ) -> None:
        response = await client.patch(f"/v1/admin/tenants/{created['key']}", json={field: ""}, headers=AUTH)

        assert response.status_code == 422, response.text
        assert [item["field"] for item in response.json()["errors"]] == [f"body.{field}"]
        async with ctx.sessionmaker() as session:
            tenant = (await session.scalars(select(Tenant))).one()
        assert ctx.cipher.decrypt(tenant.ats_token_enc, tenant_id=str(tenant.id), column="ats_token") == (
            "ats-secret-token"
        )
        assert tenant.linkedin_client_secret_enc is not None
        assert (
            ctx.cipher.decrypt(
                tenant.linkedin_client_secret_enc, tenant_id=str(tenant.id), column="linkedin_client_secret"
            )
            == "li-client-secret"
        )


class TestApiKeyRotation:
    async def test_the_new_key_is_shown_once_and_stored_hashed(
        self, client: httpx.AsyncClient, created: dict[str, Any], ctx: AppContext
    ) -> None:
        response = await client.post(f"/v1/admin/tenants/{created['key']}/api-key/rotate", headers=AUTH)

        assert response.status_code == 200, response.text
        new = response.json()["api_key"]
        assert new.startswith("rsc_") and new != created["api_key"]
        assert response.json()["api_key_prefix"] == new[:10]
        async with ctx.sessionmaker() as session:
            tenant = (await session.scalars(select(Tenant))).one()
        assert tenant.api_key_hash == hash_api_key(new)
        assert tenant.api_key_prefix == new[:10]
        read = await client.get(f"/v1/admin/tenants/{created['key']}", headers=AUTH)
        assert read.json()["api_key_prefix"] == new[:10]
        assert new not in read.text

    async def test_the_old_key_is_refused_at_once_on_every_tenant_route(
        self, client: httpx.AsyncClient, app: FastAPI, created: dict[str, Any]
    ) -> None:
        old = {"Authorization": f"Bearer {created['api_key']}"}
        assert (await client.get("/v1/integration", headers=old)).status_code == 200

        rotated = await client.post(f"/v1/admin/tenants/{created['key']}/api-key/rotate", headers=AUTH)

        assert rotated.status_code == 200, rotated.text
        new = {"Authorization": f"Bearer {rotated.json()['api_key']}"}
        assert (await client.get("/v1/integration", headers=new)).status_code == 200
        answered = {}
        for route in iter_route_contexts(app.routes):
            if isinstance(route.original_route, TenantRoute):
                path = re.sub(r"\{[^}]+\}", "x", route.path_format or "")
                for method in route.methods or ():
                    answered[f"{method} {path}"] = (
                        await client.request(method, path, headers=old)
                    ).status_code
        assert "GET /v1/integration" in answered and len(answered) > 20
        assert set(answered.values()) == {401}, answered

    async def test_an_unknown_tenant_is_404_and_the_route_needs_the_admin_token(
        self, client: httpx.AsyncClient, created: dict[str, Any], ctx: AppContext
    ) -> None:
        missing = await client.post("/v1/admin/tenants/tn_nope/api-key/rotate", headers=AUTH)
        as_tenant = await client.post(
            f"/v1/admin/tenants/{created['key']}/api-key/rotate",
            headers={"Authorization": f"Bearer {created['api_key']}"},
        )

        assert (missing.status_code, as_tenant.status_code) == (404, 401)
        async with ctx.sessionmaker() as session:
            tenant = (await session.scalars(select(Tenant))).one()
        assert tenant.api_key_hash == hash_api_key(created["api_key"])

    def test_registration_links_to_it(self, app: FastAPI) -> None:
        operation = app.openapi()["paths"]["/v1/admin/tenants"]["post"]
        links = operation["responses"]["201"]["links"]
        assert links["RotateApiKey"]["operationId"] == "admin-rotate_api_key"
        rotate = app.openapi()["paths"]["/v1/admin/tenants/{tenant_key}/api-key/rotate"]["post"]
        assert rotate["operationId"] == "admin-rotate_api_key"


class TestAdminAuth:
    @pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}])
    async def test_missing_or_wrong_token_is_401(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await client.get("/v1/admin/tenants", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    async def test_tenant_api_key_does_not_open_admin_routes(
        self, client: httpx.AsyncClient, created: dict[str, Any]
    ) -> None:
        response = await client.get(
            "/v1/admin/tenants", headers={"Authorization": f"Bearer {created['api_key']}"}
        )
        assert response.status_code == 401

    async def test_admin_api_is_off_without_a_token(self, client: httpx.AsyncClient, ctx: AppContext) -> None:
        ctx.settings.admin.token = None
        response = await client.get("/v1/admin/tenants", headers=AUTH)
        assert response.status_code == 403
        assert "RSC_ADMIN__TOKEN" in response.json()["detail"]


class TestChangeTenant:
    async def test_patch_changes_name_and_contracts(
        self, client: httpx.AsyncClient, created: dict[str, Any]
    ) -> None:
        response = await client.patch(
            f"/v1/admin/tenants/{created['key']}",
            json={"name": "Acme Renamed", "contracts": ["urn:li:contract:2002", "urn:li:contract:2003"]},
            headers=AUTH,
        )
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Acme Renamed"
        assert response.json()["contracts"] == ["urn:li:contract:2002", "urn:li:contract:2003"]

    async def test_unknown_tenant_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.patch("/v1/admin/tenants/tn_nope", json={"name": "x"}, headers=AUTH)
        assert response.status_code == 404

    async def test_rotation_keeps_the_old_secret_for_the_grace_period(
        self, client: httpx.AsyncClient, created: dict[str, Any], ctx: AppContext, clock: FrozenClock
    ) -> None:
        from rsc_service.tenants import service as tenant_service

        response = await client.post(
            f"/v1/admin/tenants/{created['key']}/webhook-secret/rotate", headers=AUTH
        )
        assert response.status_code == 200
        new = response.json()["webhook_secret"]

        async with ctx.sessionmaker() as session:
            tenant = await tenant_service.get_by_key(session, created["key"])
            during = await tenant_service.signing_keys(session, tenant, cipher=ctx.cipher, now=clock())
            after = await tenant_service.signing_keys(
                session, tenant, cipher=ctx.cipher, now=clock.advance(hours=25)
            )
        assert [secret for secret, _ in during] == [new, created["webhook_secret"]]
        assert [secret for secret, _ in after] == [new]

    async def test_zero_grace_revokes_the_old_secrets_at_once_even_in_this_replica(
        self, client: httpx.AsyncClient, created: dict[str, Any], clock: FrozenClock
    ) -> None:
        ats = Ats(client=client, clock=clock, tenant_key=created["key"], secret=created["webhook_secret"])
        # Verified once, so this replica keeps the tenant's secrets in memory.
        assert (await ats.send("candidate.created", candidate())).status_code == 202
        graceful = await client.post(
            f"/v1/admin/tenants/{created['key']}/webhook-secret/rotate", headers=AUTH
        )
        assert graceful.status_code == 200
        second = graceful.json()["webhook_secret"]
        assert (await ats.send("candidate.updated", candidate(version=2))).status_code == 202  # in its grace

        revoked = await client.post(
            f"/v1/admin/tenants/{created['key']}/webhook-secret/rotate",
            json={"previous_valid_for_hours": 0},
            headers=AUTH,
        )

        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["previous_valid_until"] == clock().isoformat().replace("+00:00", "Z")
        newest = revoked.json()["webhook_secret"]
        original = await ats.send("candidate.updated", candidate(version=3))
        rotated_out = await ats.post(ats.event("candidate.updated", candidate(version=4)), secret=second)
        current = await ats.post(ats.event("candidate.updated", candidate(version=5)), secret=newest)
        assert (original.status_code, rotated_out.status_code, current.status_code) == (401, 401, 202)

    @pytest.mark.parametrize(
        ("body", "kept_for"),
        [
            (None, timedelta(hours=24)),
            ({}, timedelta(hours=24)),
            ({"previous_valid_for_hours": 2}, timedelta(hours=2)),
        ],
    )
    async def test_the_grace_is_the_setting_unless_the_body_names_one(
        self,
        client: httpx.AsyncClient,
        created: dict[str, Any],
        clock: FrozenClock,
        body: dict[str, Any] | None,
        kept_for: timedelta,
    ) -> None:
        response = await client.post(
            f"/v1/admin/tenants/{created['key']}/webhook-secret/rotate", json=body, headers=AUTH
        )
        assert response.status_code == 200, response.text
        until = datetime.fromisoformat(response.json()["previous_valid_until"])
        assert until == clock() + kept_for

    @pytest.mark.parametrize("body", [{"previous_valid_for_hours": -1}, {"grace": 0}, [0]])
    async def test_an_invalid_grace_is_422(
        self, client: httpx.AsyncClient, created: dict[str, Any], body: Any
    ) -> None:
        response = await client.post(
            f"/v1/admin/tenants/{created['key']}/webhook-secret/rotate", json=body, headers=AUTH
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    def test_the_optional_body_is_documented(self, app: FastAPI) -> None:
        operation = app.openapi()["paths"]["/v1/admin/tenants/{tenant_key}/webhook-secret/rotate"]["post"]
        body = operation["requestBody"]
        assert not body.get("required", False)
        assert body["content"]["application/json"]["schema"]["description"].startswith("Optional")
        schema = app.openapi()["components"]["schemas"]["WebhookSecretRotate"]
        assert "revokes" in schema["properties"]["previous_valid_for_hours"]["description"]

    async def test_delete_removes_the_tenant_and_its_rows(
        self, client: httpx.AsyncClient, created: dict[str, Any], ctx: AppContext
    ) -> None:
        response = await client.delete(f"/v1/admin/tenants/{created['key']}", headers=AUTH)
        assert response.status_code == 204

        assert (await client.get(f"/v1/admin/tenants/{created['key']}", headers=AUTH)).status_code == 404
        async with ctx.sessionmaker() as session:
            assert (await session.scalars(select(TenantContract))).all() == []
            assert (await session.scalars(select(TenantWebhookSecret))).all() == []
