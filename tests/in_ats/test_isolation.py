"""Tenant isolation of the In-ATS routes, the operator's In-ATS routes and the ATS-facing routes about one
candidate (links, the LinkedIn tab): each refuses another tenant's credential or key and never answers
about another tenant's member or candidate.

The cases are checked against the app's route table: a new route under these prefixes without a case here
fails `test_every_route_has_an_isolation_case`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import httpx
import pytest
from fastapi import FastAPI, routing

from tests.conftest import ADMIN_TOKEN
from tests.in_ats.conftest import Side

PREFIXES = (
    "/v1/in-ats/",
    "/v1/admin/tenants/{tenant_key}/in-ats",
    "/v1/integration/candidates/",  # every route about one ATS candidate (links, the LinkedIn tab, …)
    "/v1/integration/links",
    "/v1/integration/linkedin-activity",
)

# (client, the tenant whose route is called, the tenant the question is about, the headers sent)
Probe = Callable[[httpx.AsyncClient, Side, Side, dict[str, str]], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Case:
    probe: Probe
    ok: int  # the owner asking about its own member or candidate
    # What the owner gets asking about the other tenant's member or candidate (as about one nobody has), or
    # None where the route names no member or candidate (operator routes).
    foreign_subject: int | None
    own_auth: Callable[[Side], dict[str, str]]
    foreign_auth: Callable[[Side], dict[str, str]]  # the other tenant's credential or key
    foreign_caller: int  # the status for the other tenant's credential or key


def _in_ats(side: Side) -> dict[str, str]:
    return side.in_ats


def _api(side: Side) -> dict[str, str]:
    return side.api


def _admin(_: Side) -> dict[str, str]:
    return {"authorization": f"Bearer {ADMIN_TOKEN}"}


async def _past_applicants(
    c: httpx.AsyncClient, owner: Side, about: Side, h: dict[str, str]
) -> httpx.Response:
    return await c.get(f"/v1/in-ats/{owner.key}/past-applicants", params={"member": about.member}, headers=h)


async def _indicator(c: httpx.AsyncClient, owner: Side, about: Side, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"/v1/in-ats/{owner.key}/members/{about.member}/indicator", headers=h)


async def _preview(c: httpx.AsyncClient, owner: Side, about: Side, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"/v1/in-ats/{owner.key}/members/{about.member}/preview", headers=h)


async def _settings(c: httpx.AsyncClient, owner: Side, _: Side, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"/v1/admin/tenants/{owner.key}/in-ats", headers=h)


async def _set_template(c: httpx.AsyncClient, owner: Side, _: Side, h: dict[str, str]) -> httpx.Response:
    return await c.put(
        f"/v1/admin/tenants/{owner.key}/in-ats", json={"candidate_url_template": None}, headers=h
    )


async def _credential(c: httpx.AsyncClient, owner: Side, _: Side, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"/v1/admin/tenants/{owner.key}/in-ats/credential", headers=h)


async def _rotate(c: httpx.AsyncClient, owner: Side, _: Side, h: dict[str, str]) -> httpx.Response:
    return await c.post(f"/v1/admin/tenants/{owner.key}/in-ats/credential", headers=h)


# The link routes are the ATS's: the tenant is the API key's, so another tenant's key finds no such candidate.
def _link_path(about: Side) -> str:
    return f"/v1/integration/candidates/{about.candidate_id}/link"


async def _get_link(c: httpx.AsyncClient, _: Side, about: Side, h: dict[str, str]) -> httpx.Response:
    return await c.get(_link_path(about), headers=h)


async def _put_link(c: httpx.AsyncClient, owner: Side, about: Side, h: dict[str, str]) -> httpx.Response:
    return await c.put(_link_path(about), json={"member_urn": owner.member}, headers=h)


async def _delete_link(c: httpx.AsyncClient, _: Side, about: Side, h: dict[str, str]) -> httpx.Response:
    return await c.delete(_link_path(about), headers=h)


async def _history(c: httpx.AsyncClient, _: Side, about: Side, h: dict[str, str]) -> httpx.Response:
    return await c.get(_link_path(about) + "/history", headers=h)


async def _linkedin_tab(c: httpx.AsyncClient, _: Side, about: Side, h: dict[str, str]) -> httpx.Response:
    path = f"/v1/integration/candidates/{about.candidate_id}/linkedin-tab"
    return await c.get(path, params={"ats_user_id": "u_1"}, headers=h)


async def _linkedin_activity(c: httpx.AsyncClient, _: Side, about: Side, h: dict[str, str]) -> httpx.Response:
    path = f"/v1/integration/candidates/{about.candidate_id}/linkedin-activity"
    return await c.get(path, params={"ats_user_id": "u_1"}, headers=h)


async def _activity_lookup(c: httpx.AsyncClient, _: Side, about: Side, h: dict[str, str]) -> httpx.Response:
    return await c.post(
        "/v1/integration/linkedin-activity/lookup", json={"candidate_ids": [about.candidate_id]}, headers=h
    )


async def _connect(c: httpx.AsyncClient, _: Side, about: Side, h: dict[str, str]) -> httpx.Response:
    # The owner's candidate is linked already: answered at once, without waiting for LinkedIn.
    return await c.post(f"/v1/integration/candidates/{about.candidate_id}/connect", headers=h)


async def _lookup(c: httpx.AsyncClient, _: Side, about: Side, h: dict[str, str]) -> httpx.Response:
    return await c.post(
        "/v1/integration/links/lookup", json={"candidate_ids": [about.candidate_id]}, headers=h
    )


def _ats(probe: Probe, foreign_subject: int = 404) -> Case:
    return Case(probe, 200, foreign_subject, _api, _api, 404)


# Operator routes take the admin token; a tenant's own credential or API key is refused on them.
def _operator(probe: Probe) -> Case:
    return Case(probe, 200, None, _admin, _in_ats, 401)


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/v1/in-ats/{tenant_key}/past-applicants"): Case(
        _past_applicants, 200, 200, _in_ats, _in_ats, 401
    ),
    ("GET", "/v1/in-ats/{tenant_key}/members/{member_urn}/indicator"): Case(
        _indicator, 200, 404, _in_ats, _in_ats, 401
    ),
    ("GET", "/v1/in-ats/{tenant_key}/members/{member_urn}/preview"): Case(
        _preview, 200, 404, _in_ats, _in_ats, 401
    ),
    ("GET", "/v1/integration/candidates/{candidate_id}/link"): _ats(_get_link),
    ("PUT", "/v1/integration/candidates/{candidate_id}/link"): _ats(_put_link),
    ("DELETE", "/v1/integration/candidates/{candidate_id}/link"): _ats(_delete_link),
    ("GET", "/v1/integration/candidates/{candidate_id}/link/history"): _ats(_history),
    ("GET", "/v1/integration/candidates/{candidate_id}/linkedin-tab"): _ats(_linkedin_tab),
    ("POST", "/v1/integration/candidates/{candidate_id}/connect"): _ats(_connect),
    ("POST", "/v1/integration/links/lookup"): Case(_lookup, 200, 200, _api, _api, 200),
    # A candidate nobody wrote LinkedIn activity on, or another tenant's, has none: an empty answer.
    ("GET", "/v1/integration/candidates/{candidate_id}/linkedin-activity"): Case(
        _linkedin_activity, 200, 200, _api, _api, 200
    ),
    ("POST", "/v1/integration/linkedin-activity/lookup"): Case(_activity_lookup, 200, 200, _api, _api, 200),
    ("GET", "/v1/admin/tenants/{tenant_key}/in-ats"): _operator(_settings),
    ("PUT", "/v1/admin/tenants/{tenant_key}/in-ats"): _operator(_set_template),
    ("GET", "/v1/admin/tenants/{tenant_key}/in-ats/credential"): _operator(_credential),
    ("POST", "/v1/admin/tenants/{tenant_key}/in-ats/credential"): _operator(_rotate),
}


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route of the app under PREFIXES; included routers are walked as FastAPI
    walks them to build the OpenAPI document."""
    return {
        (method, route.path_format)  # as the OpenAPI document names it: `{candidate_id}`, not `{…:path}`
        for route in routing.iter_route_contexts(app.routes)
        if route.path_format.startswith(PREFIXES)
        for method in route.methods or ()
    }


def test_every_route_has_an_isolation_case(app: FastAPI) -> None:
    routes = _routes(app)
    assert routes, "no route under the prefixes: the prefixes are stale"
    missing = sorted(routes - CASES.keys())
    assert not missing, f"routes without a tenant isolation case: {missing}"
    assert not CASES.keys() - routes, f"cases for routes that are gone: {sorted(CASES.keys() - routes)}"


def _masked(response: httpx.Response, about: Side) -> tuple[int, str]:
    """The answer with what the caller itself asked about (echoed in `instance`) masked."""
    return response.status_code, response.text.replace(about.member, "<member>").replace(
        about.candidate_id, "<candidate>"
    )


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
async def test_each_route_refuses_the_other_tenant(
    route: tuple[str, str], one: Side, other: Side, client: httpx.AsyncClient
) -> None:
    case = CASES[route]
    nobody = replace(one, member="urn:li:person:nobody", candidate_id="cand_nobody")

    own = await case.probe(client, one, one, case.own_auth(one))
    foreign_caller = await case.probe(client, one, one, case.foreign_auth(other))
    foreign_caller_nobody = await case.probe(client, one, nobody, case.foreign_auth(other))
    foreign_subject = await case.probe(client, one, other, case.own_auth(one))
    unknown_subject = await case.probe(client, one, nobody, case.own_auth(one))

    assert own.status_code == case.ok, own.text
    assert foreign_caller.status_code == case.foreign_caller, foreign_caller.text
    # The other tenant learns nothing of this tenant's member or candidate: it is answered as one nobody has.
    assert _masked(foreign_caller, one) == _masked(foreign_caller_nobody, nobody)
    for leaked in (other.member, other.candidate_id, other.credential, other.ats.api_key):
        assert leaked not in foreign_caller.text
    if case.foreign_subject is not None:
        assert foreign_subject.status_code == case.foreign_subject, foreign_subject.text
        # Another tenant's member or candidate is answered exactly as one nobody has.
        assert _masked(foreign_subject, other) == _masked(unknown_subject, nobody)
    # And nothing of the other tenant changed.
    theirs = await client.get(_link_path(other), headers=other.api)
    assert theirs.status_code == 200 and theirs.json()["member_urn"] == other.member
