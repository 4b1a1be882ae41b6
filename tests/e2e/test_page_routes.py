"""The pages' own routes without a browser: what they answer before they know where the service is, and
what they refuse."""

from __future__ import annotations

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


async def test_the_widget_frame_escapes_what_it_embeds() -> None:
    sim = create_linkedin_sim()
    async with _client(sim) as http:
        frame = await http.get(
            "/recruiter/widget/hcm",
            params={
                "atsCandidateId": "</script><script>alert(1)</script>",
                "integrationContext": "urn:li:organization:1001",
                "parentOrigin": "http://127.0.0.1:8200",
            },
        )

    assert frame.status_code == 200
    assert "</script><script>alert(1)" not in frame.text
    assert '"linked": null' in frame.text  # LinkedIn holds no such candidate
