"""A tenant's ATS host that stops resolving, or rebinds to a private address at connect time, is an ATS that
cannot be reached: the ATS-facing routes answer 502 naming the host at most, never the address it resolved
to (docs/architecture.md#16-security).

DNS answers come from the event loop's resolver, replaced for one host name: nothing touches the network.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from rsc_service import urls
from rsc_service.context import AppContext
from rsc_service.integrations.ats import AtsUnavailable
from rsc_service.settings import Settings
from rsc_service.tenants import ats as tenant_ats
from rsc_service.tenants import service as tenant_service
from tests.conftest import make_settings
from tests.factories import make_tenant
from tests.tenants.conftest import NO_CHILD_APP

ATS_HOST = "ats.rebind.example"
PUBLIC = "93.184.216.34"
PRIVATE = "10.0.0.7"


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Production rules for outbound URLs; one ATS answer per call.
    return make_settings(database_url, allow_insecure_local=False, ats={"retries": 0})


@pytest.fixture
async def ctx(ctx: AppContext, settings: Settings) -> AsyncIterator[AppContext]:
    """The context with the production ATS client: pinned to addresses it vets itself."""
    http = urls.ats_http_client(timeout=5, max_connections=2, allow_insecure_local=False)
    try:
        yield dataclasses.replace(ctx, ats_http=http, settings=settings)
    finally:
        await http.aclose()


def _answers(monkeypatch: pytest.MonkeyPatch, *answers: str | None) -> list[str]:
    """The event loop's DNS answers for ATS_HOST, one per lookup (the last repeats); None: no such host."""
    asked: list[str] = []
    real = asyncio.base_events.BaseEventLoop.getaddrinfo

    async def getaddrinfo(self: Any, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != ATS_HOST:
            return await real(self, host, port, *args, **kwargs)
        answer = answers[min(len(asked), len(answers) - 1)]
        asked.append(str(answer))
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answer, 0))]

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", getaddrinfo)
    return asked


async def _tenant(ctx: AppContext, **overrides: Any) -> dict[str, str]:
    async with ctx.sessionmaker.begin() as session:
        registered = await make_tenant(session, ctx, ats_base_url=f"https://{ATS_HOST}/api", **overrides)
    return {"Authorization": f"Bearer {registered.api_key}"}


def _names_the_host_at_most(response: httpx.Response) -> None:
    assert response.status_code == 502, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert PRIVATE not in response.text and PUBLIC not in response.text
    assert "Name or service" not in response.text


class TestRebindingAtConnect:
    async def test_the_users_route_answers_502(
        self, client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Public when the service vets the base URL, private when the pinned transport resolves it again.
        asked = _answers(monkeypatch, PUBLIC, PRIVATE)
        auth = await _tenant(ctx)

        response = await client.get("/v1/integration/users", headers=auth)

        assert asked == [PUBLIC, PRIVATE]  # the transport did refuse the private answer
        _names_the_host_at_most(response)

    async def test_activation_answers_502(
        self, client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        asked = _answers(monkeypatch, PUBLIC, PRIVATE)
        auth = await _tenant(ctx, **NO_CHILD_APP)

        response = await client.post("/v1/integration/activation", json={"ats_user_id": "u1"}, headers=auth)

        assert asked == [PUBLIC, PRIVATE]
        _names_the_host_at_most(response)

    async def test_a_call_fails_as_an_unavailable_ats(
        self, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # What every caller of the client sees, the background jobs included: retried as any outage is.
        _answers(monkeypatch, PUBLIC, PRIVATE)
        await _tenant(ctx)
        async with ctx.sessionmaker() as session:
            (tenant,) = await tenant_service.list_all(session)
        client = await tenant_ats.ats_client(ctx, tenant)

        with pytest.raises(AtsUnavailable) as failed:
            await client.get_account()

        assert PRIVATE not in str(failed.value)


class TestHostStopsResolving:
    async def test_activation_answers_502_naming_the_host(
        self, client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _answers(monkeypatch, None)  # the ATS's DNS name is gone (or its DNS is failing)
        auth = await _tenant(ctx, **NO_CHILD_APP)

        response = await client.post("/v1/integration/activation", json={"ats_user_id": "u1"}, headers=auth)

        _names_the_host_at_most(response)
        assert ATS_HOST in response.json()["detail"]

    async def test_the_initial_sync_dry_run_answers_502_naming_the_host(
        self, client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _answers(monkeypatch, None)
        auth = await _tenant(ctx)

        response = await client.post("/v1/integration/initial-sync/dry-run", headers=auth)

        _names_the_host_at_most(response)
        assert ATS_HOST in response.json()["detail"]

    async def test_a_private_answer_to_the_first_lookup_is_not_shown(
        self, client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _answers(monkeypatch, PRIVATE)  # refused before any connection is tried
        auth = await _tenant(ctx)

        response = await client.post("/v1/integration/initial-sync/dry-run", headers=auth)

        _names_the_host_at_most(response)

    @pytest.mark.parametrize("answer", [PRIVATE, None], ids=["a private address", "no such host"])
    async def test_the_seat_users_route_answers_502_naming_the_host_only(
        self, client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch, answer: str | None
    ) -> None:
        # The seat routes build their ATS client as every feature does: the check runs at the first call.
        _answers(monkeypatch, answer)
        auth = await _tenant(ctx)

        response = await client.get("/v1/integration/users", headers=auth)

        _names_the_host_at_most(response)
        assert response.json()["code"] == "upstream_failed"
        assert ATS_HOST in response.json()["detail"]

    async def test_a_refused_check_is_made_again_by_the_next_call(
        self, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A refused check is not remembered as passed: the next call checks the base URL again.
        asked = _answers(monkeypatch, None, PRIVATE)
        await _tenant(ctx)
        async with ctx.sessionmaker() as session:
            (tenant,) = await tenant_service.list_all(session)
        client = await tenant_ats.ats_client(ctx, tenant)

        for _ in range(2):
            with pytest.raises(AtsUnavailable, match="cannot be called"):
                await client.get_account()

        assert asked == ["None", PRIVATE]
