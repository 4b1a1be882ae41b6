"""The ATS token goes into an `Authorization` header and the LinkedIn client secret is an HMAC key and a
form field of LinkedIn's token requests: a value no HTTP request can carry (a lone surrogate, which JSON can
escape, a NUL, a space, a letter outside ASCII) is refused at the edge, 422 naming the field, and nothing is
stored. A token stored before that check (an older release took any string) makes the ATS calls fail as an
ATS that cannot be called, 502 without the token, never a 500."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.integrations.ats import AtsClient, AtsProtocolError
from rsc_service.tenants.models import Tenant
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_tenant, tenant_fields

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}", "content-type": "application/json"}
# Sent as JSON escapes them (json.dumps keeps \ud800 an escape): the bytes on the wire are valid JSON.
UNSENDABLE = {
    "lone surrogate": "tok\ud800en",
    "non-ASCII": "tökén",
    "NUL": "tok\x00en",
    "space": "tok en",
    "line break": "tok\r\nX-Injected: 1",
}
LIMITS = {"ats_token": 4096, "linkedin_client_secret": 200}


def _raw(body: object) -> bytes:
    return json.dumps(body).encode()


def _echo(value: str) -> str:
    """How the value would appear in a JSON answer that repeated it."""
    return json.dumps(value)[1:-1]


def _fields(answer: httpx.Response) -> list[str]:
    return [problem["field"] for problem in answer.json().get("errors") or []]


def _secret(ctx: AppContext, tenant: Tenant, column: str) -> str:
    sealed = getattr(tenant, f"{column}_enc")
    assert sealed is not None
    return ctx.cipher.decrypt(sealed, tenant_id=str(tenant.id), column=column)


async def _only_tenant(ctx: AppContext) -> Tenant:
    async with ctx.sessionmaker() as session:
        return (await session.scalars(select(Tenant))).one()


class TestRefusedAtTheEdge:
    @pytest.mark.parametrize("field", list(LIMITS))
    @pytest.mark.parametrize("value", UNSENDABLE.values(), ids=UNSENDABLE.keys())
    async def test_registering_a_secret_no_request_can_carry_is_a_422_naming_it(
        self, client: httpx.AsyncClient, ctx: AppContext, field: str, value: str
    ) -> None:
        answer = await client.post(
            "/v1/admin/tenants", headers=ADMIN, content=_raw(tenant_fields(**{field: value}))
        )

        assert answer.status_code == 422, answer.text
        assert _fields(answer) == [f"body.{field}"], answer.text
        assert _echo(value) not in answer.text
        async with ctx.sessionmaker() as session:
            assert (await session.scalars(select(Tenant))).all() == []

    @pytest.mark.parametrize("field", list(LIMITS))
    @pytest.mark.parametrize(
        "value", ["s\ud800", "sécret", "s\x00"], ids=["lone surrogate", "non-ASCII", "NUL"]
    )
    async def test_changing_a_secret_to_one_no_request_can_carry_is_a_422_and_keeps_the_old(
        self, client: httpx.AsyncClient, ctx: AppContext, field: str, value: str
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            registered = await make_tenant(
                session, ctx, ats_token="old-token", linkedin_client_secret="old-secret"
            )

        answer = await client.patch(
            f"/v1/admin/tenants/{registered.tenant.key}", headers=ADMIN, content=_raw({field: value})
        )

        assert answer.status_code == 422, answer.text
        assert _fields(answer) == [f"body.{field}"], answer.text
        tenant = await _only_tenant(ctx)
        assert (_secret(ctx, tenant, "ats_token"), _secret(ctx, tenant, "linkedin_client_secret")) == (
            "old-token",
            "old-secret",
        )

    @pytest.mark.parametrize(("field", "limit"), LIMITS.items())
    async def test_a_secret_is_visible_ascii_up_to_its_limit(
        self, client: httpx.AsyncClient, ctx: AppContext, field: str, limit: int
    ) -> None:
        printable = "".join(chr(c) for c in range(0x21, 0x7F))
        longest = (printable * (limit // len(printable) + 1))[:limit]

        too_long = await client.post(
            "/v1/admin/tenants", headers=ADMIN, json=tenant_fields(**{field: longest + "x"})
        )
        stored = await client.post("/v1/admin/tenants", headers=ADMIN, json=tenant_fields(**{field: longest}))

        assert too_long.status_code == 422, too_long.text
        assert _fields(too_long) == [f"body.{field}"], too_long.text
        assert stored.status_code == 201, stored.text
        assert _secret(ctx, await _only_tenant(ctx), field) == longest


class TestATokenStoredBeforeTheCheck:
    """What a row written by an older release, which took any string, does now."""

    @pytest.mark.parametrize("token", ["tökén", "tok\ud800en"], ids=["non-ASCII", "lone surrogate"])
    @pytest.mark.parametrize(
        ("method", "path"),
        [("GET", "/v1/integration/users"), ("POST", "/v1/integration/initial-sync/dry-run")],
    )
    async def test_the_ats_facing_routes_answer_502_without_the_token(
        self, client: httpx.AsyncClient, ctx: AppContext, token: str, method: str, path: str
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            registered = await make_tenant(session, ctx)
            tenant = registered.tenant
            tenant.ats_token_enc = ctx.cipher.encrypt(token, tenant_id=str(tenant.id), column="ats_token")

        answer = await client.request(method, path, headers={"Authorization": f"Bearer {registered.api_key}"})

        assert answer.status_code == 502, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "cannot be sent" in answer.json()["detail"], answer.text
        assert _echo(token) not in answer.text and "k\u00e9n" not in answer.text

    @pytest.mark.parametrize("token", ["tökén", "tok\ud800en"], ids=["non-ASCII", "lone surrogate"])
    async def test_the_client_raises_an_ats_error_and_sends_nothing(self, token: str) -> None:
        sent: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return httpx.Response(200, json={})

        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            client = AtsClient(http, base_url="http://ats.test/api", token=token, retries=2)
            with pytest.raises(AtsProtocolError) as failed:
                await client.get_account()

        assert sent == []
        assert "GET /account: the request cannot be sent" in str(failed.value)
        assert token not in str(failed.value) and "kén" not in str(failed.value)
