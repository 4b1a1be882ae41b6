"""/metrics is served on the public port and its labels name every tenant key, so it answers only a bearer
token: RSC_ADMIN__METRICS_TOKEN when set, else the admin token. Its HTTP series are bounded whatever
method a client sends."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from rsc_service.context import AppContext
from rsc_service.integrations.ats import parse_event
from rsc_service.mirror import changes
from rsc_service.outbox import health as outbox_health
from rsc_service.push import service as push_service
from rsc_service.settings import Settings
from rsc_service.web import metrics_collect
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.factories import candidate, make_tenant

METRICS_TOKEN = "metrics-test-token"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert "rsc_http_requests_total" not in response.text


@pytest.fixture
def no_gauges() -> Iterator[None]:
    yield
    metrics_collect.publish([])  # the gauges are the process's: leave none of this test's tenants in them


class TestAdminTokenScrapes:
    """No RSC_ADMIN__METRICS_TOKEN (the conftest settings): the admin token reads /metrics."""

    async def test_an_anonymous_scrape_is_refused_and_names_no_tenant(
        self, client: httpx.AsyncClient, ctx: AppContext, no_gauges: None
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            event = {"type": "candidate.created", "id": "evt_m1", "occurred_at": ctx.clock().isoformat()}
            await push_service.apply_ats_changes(
                session,
                [(tenant, changes.from_event(parse_event(json.dumps(event | {"data": candidate("c1")}))))],
                now=ctx.clock(),
            )
        await metrics_collect.refresh_outbox_gauges(ctx, outbox_health.samples)  # the scheduler's job

        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers=bearer("not-the-token"))
        basic = await client.get("/metrics", headers={"Authorization": f"Basic {ADMIN_TOKEN}"})
        operator = await client.get("/metrics", headers=bearer(ADMIN_TOKEN))

        for refused in (anonymous, wrong, basic):
            assert_refused(refused)
            assert tenant.key not in refused.text
        assert operator.status_code == 200, operator.text
        # The labels stay: operators read each tenant's figures by its key.
        assert f'rsc_outbox_oldest_age_seconds{{tenant="{tenant.key}"}}' in operator.text


class TestMetricsToken:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return make_settings(database_url, admin={"token": ADMIN_TOKEN, "metrics_token": METRICS_TOKEN})

    async def test_only_it_reads_metrics_once_set(self, client: httpx.AsyncClient) -> None:
        scraped = await client.get("/metrics", headers=bearer(METRICS_TOKEN))
        with_admin = await client.get("/metrics", headers=bearer(ADMIN_TOKEN))

        assert scraped.status_code == 200, scraped.text
        assert "rsc_http_requests_total" in scraped.text
        assert_refused(with_admin)

    async def test_the_metrics_token_opens_nothing_else(self, client: httpx.AsyncClient) -> None:
        admin = await client.get("/v1/admin/tenants", headers=bearer(METRICS_TOKEN))

        assert admin.status_code == 401, admin.text


class TestNoTokenConfigured:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return make_settings(database_url, admin={"token": None, "metrics_token": ""})

    async def test_metrics_are_refused_to_everyone(self, client: httpx.AsyncClient) -> None:
        assert_refused(await client.get("/metrics"))
        # A blank token is no token: "Bearer " with nothing after it matches nothing.
        assert_refused(await client.get("/metrics", headers={"Authorization": "Bearer "}))


def _other_on_healthz(scraped: str) -> float:
    series = r'rsc_http_requests_total\{method="other",route="/healthz",status="405"\} (\S+)'
    found = re.search(series, scraped)
    return float(found[1]) if found else 0.0


class TestRequestMethods:
    async def test_unknown_methods_share_one_series(self, client: httpx.AsyncClient) -> None:
        before = _other_on_healthz((await client.get("/metrics", headers=bearer(ADMIN_TOKEN))).text)
        # `serve --http h11` (a documented choice) hands the app any token as the method.
        for n in range(50):
            await client.request(f"PROBE{n}", "/healthz")
        await client.request("PATCH", "/healthz")

        scraped = (await client.get("/metrics", headers=bearer(ADMIN_TOKEN))).text
        methods = set(re.findall(r'rsc_http_requests_total\{method="([^"]*)",route="/healthz"', scraped))

        assert not [m for m in methods if m.startswith("PROBE")], sorted(methods)
        assert {"other", "PATCH"} <= methods, sorted(methods)
        assert _other_on_healthz(scraped) - before == 50
