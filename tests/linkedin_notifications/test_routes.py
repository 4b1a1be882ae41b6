"""The callback route: LinkedIn's challenge, and signed notifications recorded once
(docs/onboarding.md#notifications)."""

from __future__ import annotations

import uuid

import httpx
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine

from rsc_service.context import AppContext
from rsc_service.tenants.models import Tenant
from tests.observe import reads, statements

from .conftest import CHILD_APP_ID, CHILD_SECRET, notification, notifications, sign, signed

PROBLEM = "application/problem+json"
CODE = "8c2f6a4e-3b1d-4e5f-9a7b-1c2d3e4f5a6b"  # LinkedIn's challenge code is a UUID (docs/linkedin.md)


def _not_ours(statement: str) -> bool:
    """What the tests' own transaction wrapper sends around a session is not a read of the service's."""
    return statement.split(" ", 1)[0].upper() not in {"SAVEPOINT", "RELEASE", "ROLLBACK"}


def url(tenant: Tenant | str) -> str:
    return f"/v1/linkedin/notifications/{tenant if isinstance(tenant, str) else tenant.key}"


class TestChallenge:
    async def test_answered_with_the_child_app_secret(
        self, client: httpx.AsyncClient, provisioned: Tenant
    ) -> None:
        code = str(uuid.uuid4())
        answer = await client.get(
            url(provisioned), params={"challengeCode": code, "applicationId": CHILD_APP_ID}
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == {
            "challengeCode": code,
            "challengeResponse": sign(CHILD_SECRET, code.encode()),
        }

    async def test_costs_one_read(
        self, client: httpx.AsyncClient, engine: AsyncEngine, provisioned: Tenant
    ) -> None:
        with statements(engine, reads()) as seen:
            answer = await client.get(url(provisioned), params={"challengeCode": CODE})
        assert answer.status_code == 200
        assert len(seen) == 1, seen

    async def test_application_id_is_optional(self, client: httpx.AsyncClient, provisioned: Tenant) -> None:
        answer = await client.get(url(provisioned), params={"challengeCode": CODE})
        assert answer.status_code == 200
        assert answer.json()["challengeResponse"] == sign(CHILD_SECRET, CODE.encode())

    async def test_another_application_is_not_found(
        self, client: httpx.AsyncClient, provisioned: Tenant
    ) -> None:
        for other in ("100", "1010", f"urn:li:developerApplication:{CHILD_APP_ID}", ""):
            answer = await client.get(
                url(provisioned), params={"challengeCode": CODE, "applicationId": other}
            )
            assert answer.status_code == 404, other
            assert answer.headers["content-type"] == PROBLEM
            assert "challengeResponse" not in answer.text

    async def test_unknown_tenant_and_tenant_without_child_app_look_the_same(
        self, client: httpx.AsyncClient, unprovisioned: Tenant
    ) -> None:
        unknown = await client.get(url("tn_0000000000000000"), params={"challengeCode": CODE})
        waiting = await client.get(url(unprovisioned), params={"challengeCode": CODE})
        too_long = await client.get(url("tn_" + "0" * 200), params={"challengeCode": CODE})
        for answer in (unknown, waiting, too_long):
            assert answer.status_code == 404
            assert answer.headers["content-type"] == PROBLEM
        assert unknown.json()["detail"] == waiting.json()["detail"] == too_long.json()["detail"]

    async def test_challenge_code_is_required(self, client: httpx.AsyncClient, provisioned: Tenant) -> None:
        answer = await client.get(url(provisioned))
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == ["query.challengeCode"]

    async def test_only_a_uuid_is_answered(self, client: httpx.AsyncClient, provisioned: Tenant) -> None:
        wrong = ("abc", CODE + "0", CODE.replace("-", ""), f"{{{CODE}}}", " " + CODE, "hmacsha256=" + CODE)
        for code in wrong:
            answer = await client.get(url(provisioned), params={"challengeCode": code})
            assert answer.status_code == 422, code
            assert answer.headers["content-type"] == PROBLEM
            assert [e["field"] for e in answer.json()["errors"]] == ["query.challengeCode"]
            assert "challengeResponse" not in answer.text
        upper = await client.get(url(provisioned), params={"challengeCode": CODE.upper()})
        assert upper.json()["challengeResponse"] == sign(CHILD_SECRET, CODE.upper().encode())

    async def test_the_challenge_cannot_sign_a_forged_notification(
        self, client: httpx.AsyncClient, ctx: AppContext, provisioned: Tenant
    ) -> None:
        # The forgery: X-LI-Signature is the HMAC of "hmacsha256=" + body under the secret that also
        # answers the challenge, so the challenge of that text, asked by anyone, signed the forged body.
        forged = b'{"type":"INTEGRATION_STATUS_CHANGE","id":"urn:li:request:forged1"}'
        asked = await client.get(url(provisioned), params={"challengeCode": "hmacsha256=" + forged.decode()})
        signature = asked.json().get("challengeResponse", "") if asked.status_code == 200 else ""

        posted = await client.post(
            url(provisioned),
            content=forged,
            headers={"Content-Type": "application/json", "X-LI-Signature": signature},
        )

        assert asked.status_code == 422
        assert asked.headers["content-type"] == PROBLEM
        assert posted.status_code == 401
        assert await notifications(ctx, provisioned.id) == []


class TestImpossibleKeys:
    async def test_are_not_found_without_a_database_read(
        self, client: httpx.AsyncClient, engine: AsyncEngine, provisioned: Tenant
    ) -> None:
        body, headers = signed(notification())
        with statements(engine, _not_ours) as sent:
            for key in ("%00", f"{provisioned.key}%00", "tn_%01", "tn_%7F", "tn_" + "0" * 62):
                challenged = await client.get(url(key), params={"challengeCode": CODE})
                posted = await client.post(url(key), content=body, headers=headers)
                for answer in (challenged, posted):
                    assert answer.status_code == 404, (key, answer.text)
                    assert answer.headers["content-type"] == PROBLEM
        assert sent == []


class TestDelivery:
    async def test_signed_notification_is_recorded_due_at_once(
        self, client: httpx.AsyncClient, ctx: AppContext, provisioned: Tenant
    ) -> None:
        sent = notification(expiresAt=1_795_000_000_000)
        before = (
            REGISTRY.get_sample_value(
                "rsc_linkedin_notifications_received_total",
                {"type": "INTEGRATION_STATUS_CHANGE", "duplicate": "false"},
            )
            or 0.0
        )
        body, headers = signed(sent)
        answer = await client.post(url(provisioned), content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"status": "recorded"}
        [row] = await notifications(ctx, provisioned.id)
        assert (row.kind, row.request_id, row.state, row.attempts) == (sent["type"], sent["id"], "pending", 0)
        assert row.received_at == row.next_attempt_at == ctx.clock()
        assert row.expires_at is not None and int(row.expires_at.timestamp() * 1000) == sent["expiresAt"]
        after = REGISTRY.get_sample_value(
            "rsc_linkedin_notifications_received_total",
            {"type": "INTEGRATION_STATUS_CHANGE", "duplicate": "false"},
        )
        assert after == before + 1

    async def test_a_repeated_delivery_is_a_no_op(
        self, client: httpx.AsyncClient, ctx: AppContext, provisioned: Tenant
    ) -> None:
        body, headers = signed(notification())
        first = await client.post(url(provisioned), content=body, headers=headers)
        again = await client.post(url(provisioned), content=body, headers=headers)
        assert (first.status_code, again.status_code) == (200, 200)
        assert again.json() == {"status": "duplicate"}
        assert len(await notifications(ctx, provisioned.id)) == 1

    async def test_same_request_id_of_another_type_is_its_own_notification(
        self, client: httpx.AsyncClient, ctx: AppContext, provisioned: Tenant
    ) -> None:
        status_change = notification()
        export = notification("EXPORT_CANDIDATE_PROFILE", id=status_change["id"])
        for sent in (status_change, export):
            body, headers = signed(sent)
            assert (await client.post(url(provisioned), content=body, headers=headers)).json() == {
                "status": "recorded"
            }
        assert len(await notifications(ctx, provisioned.id)) == 2

    async def test_forged_or_missing_signature_is_401_and_stores_nothing(
        self, client: httpx.AsyncClient, ctx: AppContext, provisioned: Tenant
    ) -> None:
        sent = notification()
        body, good = signed(sent)
        _, other_secret = signed(sent, secret="not-the-child-secret")
        _, other_body = signed(notification())
        for headers in (
            {"Content-Type": "application/json"},
            other_secret,
            other_body,
            {"X-LI-Signature": "hmacsha256=" + other_body["X-LI-Signature"]},
            {"X-LI-Signature": "hmacsha256=hmacsha256=" + good["X-LI-Signature"]},
            {"X-LI-Signature": "hmacsha256="},
            {"X-LI-Signature": ""},
            {"X-LI-Signature": ("é" * 64).encode("latin-1")},
        ):
            answer = await client.post(url(provisioned), content=body, headers=headers)
            assert answer.status_code == 401, headers
            assert answer.headers["content-type"] == PROBLEM
        tampered = body.replace(b"INTEGRATION_STATUS_CHANGE", b"EXPORT_CANDIDATE_PROFILE")
        assert (await client.post(url(provisioned), content=tampered, headers=good)).status_code == 401
        assert await notifications(ctx, provisioned.id) == []

    async def test_signature_hex_case_does_not_matter(
        self, client: httpx.AsyncClient, ctx: AppContext, provisioned: Tenant
    ) -> None:
        body, headers = signed(notification())
        headers["X-LI-Signature"] = headers["X-LI-Signature"].upper()
        assert (await client.post(url(provisioned), content=body, headers=headers)).status_code == 200

    async def test_every_published_form_of_the_signature_is_accepted(
        self, client: httpx.AsyncClient, ctx: AppContext, provisioned: Tenant
    ) -> None:
        """LinkedIn's pages put `hmacsha256=` before the hex: refused, every notification would be dropped."""
        sent = [notification("EXPORT_CANDIDATE_PROFILE") for _ in range(4)]
        forms = [
            lambda body: "hmacsha256=" + sign(CHILD_SECRET, b"hmacsha256=" + body),
            lambda body: "HmacSHA256=" + sign(CHILD_SECRET, body),
            lambda body: sign(CHILD_SECRET, body),
            lambda body: sign(CHILD_SECRET, b"hmacsha256=" + body),
        ]
        answers = []
        for one, form in zip(sent, forms, strict=True):
            body, headers = signed(one)
            headers["X-LI-Signature"] = form(body)
            answers.append((await client.post(url(provisioned), content=body, headers=headers)).status_code)

        assert answers == [200] * 4
        assert [row.request_id for row in await notifications(ctx, provisioned.id)] == [n["id"] for n in sent]

    async def test_malformed_body_is_422_naming_the_field(
        self, client: httpx.AsyncClient, ctx: AppContext, provisioned: Tenant
    ) -> None:
        cases = {
            "body.id": {"type": "INTEGRATION_STATUS_CHANGE"},
            "body.type": {"id": "urn:li:request:1", "type": 7},
            "body.expiresAt": notification(expiresAt="tomorrow"),
        }
        for field, sent in cases.items():
            body, headers = signed(sent)
            answer = await client.post(url(provisioned), content=body, headers=headers)
            assert answer.status_code == 422, answer.text
            assert answer.headers["content-type"] == PROBLEM
            assert [e["field"] for e in answer.json()["errors"]] == [field]
        for unstorable in (notification(id="x" * 201), notification(id="urn:li:request:\u0000")):
            body, headers = signed(unstorable)
            answer = await client.post(url(provisioned), content=body, headers=headers)
            assert answer.status_code == 422
            assert [e["field"] for e in answer.json()["errors"]] == ["body.id"]
        body, headers = signed(b"{not json")
        not_json = await client.post(url(provisioned), content=body, headers=headers)
        assert not_json.status_code == 400
        assert not_json.headers["content-type"] == PROBLEM
        assert await notifications(ctx, provisioned.id) == []

    async def test_unknown_tenant_or_no_child_app_is_404(
        self, client: httpx.AsyncClient, ctx: AppContext, unprovisioned: Tenant
    ) -> None:
        body, headers = signed(notification())
        for key in ("tn_0000000000000000", unprovisioned.key):
            answer = await client.post(url(key), content=body, headers=headers)
            assert answer.status_code == 404
            assert answer.headers["content-type"] == PROBLEM
        assert await notifications(ctx, unprovisioned.id) == []

    async def test_body_over_the_cap_is_413(
        self, client: httpx.AsyncClient, ctx: AppContext, provisioned: Tenant
    ) -> None:
        cap = ctx.settings.server.max_body_bytes
        body, headers = signed(notification(padding="x" * cap))
        answer = await client.post(url(provisioned), content=body, headers=headers)
        assert answer.status_code == 413
        assert await notifications(ctx, provisioned.id) == []
