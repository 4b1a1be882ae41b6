"""The operator's pull: `POST /v1/admin/pull` runs it at once (409 while another run holds the lease), and
`GET /v1/admin/tenants/{key}/pull` shows each stream's last pull, items written, lag and failures, with
LinkedIn's message when a stream stopped; one failing tenant does not stop the others."""

from __future__ import annotations

from datetime import timedelta

import httpx
from prometheus_client import REGISTRY

from rsc_service.db.leases import JobLease
from tests.conftest import ADMIN_TOKEN
from tests.pull.conftest import CONTRACT, Pull
from tests.seats.conftest import register

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
DAN = "urn:li:person:m1004"


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def _streams(client: httpx.AsyncClient, key: str) -> dict[tuple[str, str | None], dict[str, object]]:
    response = await client.get(f"/v1/admin/tenants/{key}/pull", headers=ADMIN)
    assert response.status_code == 200, response.text
    return {(s["stream"], s["seat_id"]): s for s in response.json()}


class TestPullNow:
    async def test_the_operator_runs_the_pull_and_reads_each_stream(
        self, pull: Pull, client: httpx.AsyncClient
    ) -> None:
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        await pull.note(3001, "m1004", "Call back in May.")
        await pull.inmail(3002, "m1004", body="Hello Dan")
        pull.clock.advance(minutes=1)
        written_before = _sample("rsc_pull_items_total", stream="notes", outcome="written")

        response = await client.post(
            "/v1/admin/pull", json={"tenant_keys": [pull.tenancy.key]}, headers=ADMIN
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["written"] == 2
        [tenant] = body["tenants"]
        assert tenant["tenant_key"] == pull.tenancy.key and tenant["error"] is None
        ran = {(s["stream"], s["seat_id"]): s["written"] for s in tenant["streams"]}
        assert ran == {
            ("mail_stubs", None): 0,
            ("inmails", "3001"): 0,
            ("inmails", "3002"): 1,
            ("inmails", "3003"): 0,
            ("notes", None): 1,
            ("closed_profiles", None): 0,  # read on the first run, then every 7 days
        }
        streams = await _streams(client, pull.tenancy.key)
        assert streams[("notes", None)]["items_written"] == 1
        assert streams[("inmails", "3002")]["items_written"] == 1
        assert {s["contract_urn"] for s in streams.values()} == {CONTRACT, ""}  # "" for closed profiles
        assert all(s["failures"] == 0 and s["last_error"] is None for s in streams.values())
        assert all(s["lag_seconds"] == 0 for s in streams.values())  # read up to now, on the test clock
        assert _sample("rsc_pull_items_total", stream="notes", outcome="written") == written_before + 1
        assert _sample("rsc_pull_lag_seconds", stream="notes") == 0  # set when the run ended

        pull.clock.advance(minutes=30)
        streams = await _streams(client, pull.tenancy.key)
        assert streams[("notes", None)]["lag_seconds"] == 30 * 60
        health = await client.get(f"/v1/admin/tenants/{pull.tenancy.key}/sync", headers=ADMIN)
        assert health.status_code == 200, health.text
        assert {(s["stream"], s["seat_id"]): s for s in health.json()["pull"]} == streams

    async def test_a_stream_linkedin_refuses_shows_its_message_and_the_other_tenant_is_pulled(
        self, pull: Pull, client: httpx.AsyncClient
    ) -> None:
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        await pull.inmail(3001, "m1004", body="Hello Dan")
        # A second tenant whose LinkedIn app LinkedIn does not know: its token is refused.
        other = await register(pull.ctx, linkedin_client_id="unknown-app", ats_token="other-token")
        from rsc_service.tenants.models import Stage, Tenant

        async with pull.ctx.sessionmaker.begin() as session:
            row = await session.get(Tenant, other.tenant_id)
            assert row is not None
            row.stage = Stage.ACTIVE
        fault = {"kind": "error", "status": 500, "pathPrefix": "/v2/prospectNotes"}
        assert (await pull.linkedin.post("/_sim/faults", json=fault)).status_code in (200, 201)
        pull.ctx.settings.pull.page_retries = 1
        pull.clock.advance(minutes=1)

        response = await client.post("/v1/admin/pull", json={}, headers=ADMIN)

        assert response.status_code == 200, response.text
        tenants = {t["tenant_key"]: t for t in response.json()["tenants"]}
        ours = {(s["stream"], s["seat_id"]): s for s in tenants[pull.tenancy.key]["streams"]}
        assert ours[("inmails", "3001")]["written"] == 1  # the other streams went on
        assert ours[("notes", None)]["error"].startswith("LinkedIn 500")
        assert tenants[other.key]["error"].startswith("LinkedIn 401")  # and it did not stop ours
        streams = await _streams(client, pull.tenancy.key)
        assert streams[("notes", None)]["failures"] == 1
        assert str(streams[("notes", None)]["last_error"]).startswith("LinkedIn 500")
        assert streams[("notes", None)]["last_success_at"] is None
        failed = await _streams(client, other.key)
        assert failed and all(s["failures"] == 1 and s["last_error"] for s in failed.values())

    async def test_a_second_run_while_one_holds_the_lease_is_refused(
        self, pull: Pull, client: httpx.AsyncClient
    ) -> None:
        async with pull.ctx.sessionmaker.begin() as session:
            session.add(
                JobLease(
                    name="pull",
                    holder="another-replica",
                    epoch=4,
                    expires_at=pull.clock() + timedelta(seconds=30),
                    last_started_at=pull.clock(),
                )
            )
        response = await client.post("/v1/admin/pull", json={}, headers=ADMIN)
        assert response.status_code == 409, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "pull_running"
        assert await pull.items() == []

    async def test_bad_requests_name_the_field(self, pull: Pull, client: httpx.AsyncClient) -> None:
        unknown = await client.post("/v1/admin/pull", json={"tenant_keys": ["tn_nobody"]}, headers=ADMIN)
        assert unknown.status_code == 404, unknown.text
        extra = await client.post("/v1/admin/pull", json={"tenants": ["x"]}, headers=ADMIN)
        assert extra.status_code == 422, extra.text
        assert "tenants" in extra.text
        missing = await client.get("/v1/admin/tenants/tn_nobody/pull", headers=ADMIN)
        assert missing.status_code == 404
        anonymous = await client.post("/v1/admin/pull", json={})
        assert anonymous.status_code == 401
