"""The pages' own routes without a browser: what they answer before they know where the service is, and
what they refuse."""

from __future__ import annotations

import html
import re

import httpx

from rsc_service.simulators.ats.app import create_app as create_ats_sim
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim.test")  # type: ignore[arg-type]


async def test_the_ats_pages_answer_409_until_told_where_the_service_is() -> None:
    sim = create_ats_sim()
    candidate = sim.state.world.create("candidate", {"first_name": "Nora", "last_name": "Nomatch"})
    async with _client(sim) as http:
        page = await http.get(f"/ui/candidates/{candidate['id']}/linkedin", params={"user": "u1"})
        link = await http.put(
            f"/ui/candidates/{candidate['id']}/linkedin/link",
            params={"user": "u1"},
            json={"member_urn": "urn:li:person:m1"},
        )
        unknown = await http.get("/ui/candidates/cand_nobody/linkedin", params={"user": "u1"})
        refused = await http.put("/_sim/pages", json={"service_url": "ftp://x", "api_key": "k"})
        configured = await http.put(
            "/_sim/pages", json={"service_url": "http://127.0.0.1:9", "api_key": "rsc_secret_key"}
        )
        shown = await http.get(f"/ui/candidates/{candidate['id']}/linkedin", params={"user": "u1"})

    assert (page.status_code, page.json()["code"]) == (409, "pages_not_configured")
    assert (link.status_code, link.json()["code"]) == (409, "pages_not_configured")
    assert unknown.status_code == 404
    assert refused.status_code == 422
    assert configured.status_code == 204
    assert shown.status_code == 200
    assert '<h1 id="candidate-name">Nora Nomatch</h1>' in shown.text
    assert "rsc_secret_key" not in shown.text  # the API key stays server-side


async def test_the_recruiter_page_reads_nothing_until_told_where_the_service_is() -> None:
    sim = create_linkedin_sim()
    async with _client(sim) as http:
        page = await http.get("/recruiter/profile/m1005")
        read = await http.get("/_sim/recruiter/in-ats/members/urn:li:person:m1005/indicator")
        bad = await http.get("/_sim/recruiter/in-ats/members/m1005/indicator")
        other = await http.get("/_sim/recruiter/in-ats/members/urn:li:person:m1005/history")
        sdk = await http.get("/xdoor/scripts/in.js")

    assert page.status_code == 200 and '<h1 id="name">Eve Prospect</h1>' in page.text
    assert read.status_code == 409
    assert (bad.status_code, other.status_code) == (422, 422)
    assert sdk.headers["content-type"].startswith("text/javascript")
    assert 'script[type="IN/HcmWidget"]' in sdk.text


def _allow(sim: object, domains: list[str]) -> None:
    """The customer's application (`sim-customer`) in the simulator's stored world allows these domains."""
    sim.state.world.apps["sim-customer"].js_domains = domains  # type: ignore[attr-defined]


def _frame_query(**overrides: str) -> dict[str, str]:
    return {
        "atsCandidateId": "cand_1",
        "integrationContext": "urn:li:organization:1001",
        "parentOrigin": "http://127.0.0.1:8200",
        "apiKey": "sim-customer",
    } | overrides


async def test_the_widget_frame_escapes_what_it_embeds() -> None:
    sim = create_linkedin_sim()
    _allow(sim, ["http://127.0.0.1:8200"])
    async with _client(sim) as http:
        frame = await http.get(
            "/recruiter/widget/hcm", params=_frame_query(atsCandidateId="</script><script>alert(1)</script>")
        )

    assert frame.status_code == 200
    assert "</script><script>alert(1)" not in frame.text
    assert '"linked": null' in frame.text  # LinkedIn holds no such candidate


async def test_the_widget_frame_renders_only_for_an_origin_the_application_allows() -> None:
    sim = create_linkedin_sim()
    _allow(sim, ["https://acme.ats.example", "127.0.0.1:8200"])  # an origin, and a host with no scheme
    async with _client(sim) as http:

        async def frame(referer: str | None = None, **query: str) -> httpx.Response:
            headers = {"Referer": referer} if referer else {}
            return await http.get("/recruiter/widget/hcm", params=_frame_query(**query), headers=headers)

        by_origin = await frame(parentOrigin="https://acme.ats.example")
        by_host = await frame("http://127.0.0.1:8200/", parentOrigin="http://127.0.0.1:8200")
        other_port = await frame(parentOrigin="http://127.0.0.1:8201")
        other_scheme = await frame(parentOrigin="http://acme.ats.example")
        claimed = await frame("https://elsewhere.example/page", parentOrigin="https://acme.ats.example")
        no_app = await frame(parentOrigin="https://acme.ats.example", apiKey="")
        partner = await frame(parentOrigin="https://acme.ats.example", apiKey="sim-partner")
        _allow(sim, [])
        none_allowed = await frame(parentOrigin="https://acme.ats.example")

    assert (by_origin.status_code, by_host.status_code) == (200, 200)
    assert 'id="members"' in by_origin.text and 'id="refused"' not in by_origin.text
    refused = {
        "other_port": other_port,
        "other_scheme": other_scheme,
        "claimed": claimed,
        "no_app": no_app,
        "partner": partner,
        "none_allowed": none_allowed,
    }
    assert {name: answer.status_code for name, answer in refused.items()} == dict.fromkeys(refused, 403)
    assert {name: _reason(answer.text) for name, answer in refused.items()} == {
        "other_port": "domain_not_allowed",
        "other_scheme": "domain_not_allowed",
        "claimed": "origin_mismatch",
        "no_app": "unknown_api_key",
        "partner": "unknown_api_key",
        "none_allowed": "domain_not_allowed",
    }
    assert "http://127.0.0.1:8201 is not one of the application's JavaScript SDK domains" in html.unescape(
        other_port.text
    )
    for answer in refused.values():  # nothing of the profile, nothing to link, no callback to post
        assert "postMessage" not in answer.text and "cand_1" not in answer.text


def _reason(page: str) -> str | None:
    found = re.search(r'id="refused" role="alert" data-reason="([a-z_]+)"', page)
    return found.group(1) if found else None
