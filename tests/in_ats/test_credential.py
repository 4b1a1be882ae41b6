"""The In-ATS credential: who may call the In-ATS routes, and what an operator sets, reads and rotates."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.in_ats.service import record_url
from rsc_service.integrations.ats import wire as ats
from rsc_service.tenants.models import Tenant
from tests.conftest import ADMIN_TOKEN
from tests.factories import candidate
from tests.in_ats.conftest import Side

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


def _indicator(side: Side, key: str | None = None) -> str:
    return f"/v1/in-ats/{key or side.key}/members/{side.member}/indicator"


class TestAuthentication:
    async def test_the_tenants_credential_is_accepted(self, one: Side, client: httpx.AsyncClient) -> None:
        response = await client.get(_indicator(one), headers=one.in_ats)

        assert response.status_code == 200, response.text
        assert response.json()["candidate_ids"] == [one.candidate_id]

    @pytest.mark.parametrize(
        "authorization",
        [None, "Bearer ", "Basic abc", "Bearer rscin_wrong", "Bearer not-even-the-prefix"],
    )
    async def test_a_missing_or_wrong_credential_is_401(
        self, one: Side, client: httpx.AsyncClient, authorization: str | None
    ) -> None:
        headers = {"authorization": authorization} if authorization is not None else {}

        response = await client.get(_indicator(one), headers=headers)

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["code"] == "unauthorized"

    async def test_the_tenant_api_key_is_not_an_in_ats_credential(
        self, one: Side, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(_indicator(one), headers=one.api)

        assert response.status_code == 401

    async def test_an_unknown_tenant_answers_as_a_wrong_credential_does(
        self, one: Side, other: Side, client: httpx.AsyncClient
    ) -> None:
        unknown = await client.get(_indicator(one, key="tn_0000000000000000"), headers=one.in_ats)
        wrong = await client.get(_indicator(one), headers=other.in_ats)

        assert unknown.status_code == wrong.status_code == 401
        assert unknown.json()["detail"] == wrong.json()["detail"]


class TestOperator:
    async def test_rotating_stops_the_old_credential_at_once(
        self, one: Side, client: httpx.AsyncClient, ctx: AppContext
    ) -> None:
        rotated = await client.post(f"/v1/admin/tenants/{one.key}/in-ats/credential", headers=ADMIN)

        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["credential"]
        assert new.startswith("rscin_") and new != one.credential
        assert (await client.get(_indicator(one), headers=one.in_ats)).status_code == 401
        assert (
            await client.get(_indicator(one), headers={"authorization": f"Bearer {new}"})
        ).status_code == 200
        read = await client.get(f"/v1/admin/tenants/{one.key}/in-ats/credential", headers=ADMIN)
        assert read.json()["credential"] == new
        async with ctx.sessionmaker() as session:
            sealed = await session.scalar(select(Tenant.in_ats_credential_enc).where(Tenant.key == one.key))
        assert sealed is not None and new not in sealed

    async def test_the_template_is_set_and_read_back(self, one: Side, client: httpx.AsyncClient) -> None:
        template = "https://acme.ats.example/c/{candidate_id}"
        put = await client.put(
            f"/v1/admin/tenants/{one.key}/in-ats", json={"candidate_url_template": template}, headers=ADMIN
        )
        got = await client.get(f"/v1/admin/tenants/{one.key}/in-ats", headers=ADMIN)
        preview = await client.get(f"/v1/in-ats/{one.key}/members/{one.member}/preview", headers=one.in_ats)

        assert put.status_code == got.status_code == 200
        assert got.json() == {
            "tenant_key": one.key,
            "credential_issued": True,
            "candidate_url_template": template,
        }
        assert (
            preview.json()["candidates"][0]["record_url"] == f"https://acme.ats.example/c/{one.candidate_id}"
        )

    @pytest.mark.parametrize(
        ("template", "reason"),
        [
            ("ftp://acme.ats.example/{candidate_id}", "must be an absolute http or https URL"),
            ("https://acme.ats.example/candidates", "must contain {candidate_id} exactly once"),
            (
                "https://acme.ats.example/{candidate_id}/{candidate_id}",
                "must contain {candidate_id} exactly once",
            ),
            ("https://acme.ats.example/{candidate_id}?t={tab}", "may hold no placeholder but {candidate_id}"),
            ("https://{candidate_id}.ats.example/", "must keep {candidate_id} out of the host"),
        ],
    )
    async def test_a_bad_template_is_422_naming_the_field(
        self, one: Side, client: httpx.AsyncClient, template: str, reason: str
    ) -> None:
        response = await client.put(
            f"/v1/admin/tenants/{one.key}/in-ats", json={"candidate_url_template": template}, headers=ADMIN
        )

        assert response.status_code == 422
        assert response.json()["errors"] == [{"field": "body.candidate_url_template", "reason": reason}]

    @pytest.mark.parametrize(
        "template",
        [
            "https://acme.ats.example/c\n/{candidate_id}",
            "https://acme.ats.example/c\t/{candidate_id}",
            " https://acme.ats.example/c/{candidate_id}",
            "\x01https://acme.ats.example/c/{candidate_id}",
            "https://acme.ats.example/c/{candidate_id}\x00",
            "https://acme.ats.example/c/{candidate_id}\x7f",
        ],
    )
    async def test_a_template_with_a_space_or_control_character_is_422_and_never_linked(
        self, one: Side, client: httpx.AsyncClient, template: str
    ) -> None:
        """Else the preview hands LinkedIn's side a deep link that is no URL (a tab, a newline in it)."""
        response = await client.put(
            f"/v1/admin/tenants/{one.key}/in-ats", json={"candidate_url_template": template}, headers=ADMIN
        )
        preview = await client.get(f"/v1/in-ats/{one.key}/members/{one.member}/preview", headers=one.in_ats)

        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [
            {"field": "body.candidate_url_template", "reason": "may hold no space or control character"}
        ]
        assert preview.json()["candidates"][0]["record_url"] is None

    def test_a_candidate_id_is_escaped_in_the_link(self) -> None:
        parsed = ats.Candidate.model_validate(candidate("a/b c?d"))

        assert record_url("https://x.example/c/{candidate_id}", parsed) == "https://x.example/c/a%2Fb%20c%3Fd"
