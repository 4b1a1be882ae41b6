"""What a person sees, in headless Chromium: an ATS user links a candidate by LinkedIn's profile widget on
the fake ATS's LinkedIn tab, and a Recruiter user sees the In-ATS indicator and preview on the LinkedIn
simulator's profile page; unlinking by the widget takes both away again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Dialog, async_playwright, expect

from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import ADMIN_TOKEN, FrozenClock
from tests.e2e.conftest import Urls
from tests.factories import Ats
from tests.flows.conftest import FakeAts, drain, linkedin_world

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package, installed by scripts/ensure-chromium.sh
ORG = "urn:li:organization:1001"
EVE = "urn:li:person:m1005"  # eve@candidates.example in the simulator's default world


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (make test does)"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        await launched.close()


async def test_a_person_links_by_the_widget_and_the_recruiter_page_shows_the_candidate(
    urls: Urls,
    browser: Browser,
    fake_ats: FakeAts,
    ats: Ats,
    client: httpx.AsyncClient,
    dispatcher: Dispatcher,
    clock: FrozenClock,
    linkedin_sim: FastAPI,
) -> None:
    world = fake_ats.world
    rita = world.create(
        "user", {"email": "rita@acme.example", "first_name": "Rita", "last_name": "Recruiter"}
    )
    job = world.create("job", {"title": "Robotics Engineer", "description": "Build arms that sort parcels."})
    nora = world.create(
        "candidate",
        {
            "first_name": "Nora",
            "last_name": "Nomatch",  # an email LinkedIn matches to no member: only a person can link her
            "emails": [{"address": "nora@nowhere.example"}],
            "current_title": "Controls Engineer",
            "current_company": "Parcel Bots",
        },
    )
    application = world.create("application", {"candidate_id": nora["id"], "job_id": job["id"]})
    world.create(
        "note",
        {
            "candidate_id": nora["id"],
            "application_id": application["id"],
            "body": "Strong on control loops.",
            "author_user_id": rita["id"],
        },
    )
    await fake_ats.flush()
    await drain(dispatcher, clock)
    credential = await client.get(
        f"/v1/admin/tenants/{ats.tenant_key}/in-ats/credential",
        headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    async with httpx.AsyncClient() as http:
        configured = [
            await http.put(
                f"{urls.ats}/_sim/pages",
                json={"service_url": urls.service, "api_key": ats.api_key, "linkedin_url": urls.linkedin},
            ),
            await http.put(
                f"{urls.linkedin}/_sim/recruiter/in-ats",
                json={
                    "serviceUrl": urls.service,
                    "tenantKey": ats.tenant_key,
                    "credential": credential.json()["credential"],
                },
            ),
        ]
    assert [answer.status_code for answer in configured] == [204, 204]
    confirmations: list[str] = []

    async def accept(dialog: Dialog) -> None:
        confirmations.append(dialog.message)
        await dialog.accept()

    page = await browser.new_page()
    page.on("dialog", accept)
    recruiter_page = f"{urls.linkedin}/recruiter/profile/m1005"
    ats_page = f"{urls.ats}/ui/candidates/{nora['id']}/linkedin?user={rita['id']}"

    # Before: the Recruiter user sees Eve is not in the ATS; the ATS user sees Nora unlinked.
    await page.goto(recruiter_page)
    await expect(page.locator("#indicator")).to_have_attribute("data-state", "absent")
    await expect(page.locator("#indicator")).to_have_text("Not in your ATS")
    await expect(page.locator("#preview")).to_be_hidden()

    await page.goto(ats_page)
    await expect(page.locator("#candidate-name")).to_have_text("Nora Nomatch")
    await expect(page.locator("#link-status")).to_have_attribute("data-state", "unlinked")
    tag = page.locator('script[type="IN/HcmWidget"]')
    assert await tag.get_attribute("data-ats-candidate-id") == nora["id"]
    assert await tag.get_attribute("data-integration-context") == ORG
    assert await tag.get_attribute("data-onlink") == "rscOnLink"
    widget = page.frame_locator("iframe.in-hcm-widget")
    await expect(widget.locator("#candidate")).to_have_text(nora["id"])  # the attributes reached the widget
    await expect(widget.locator("#context")).to_have_text(ORG)
    await expect(widget.locator("#status")).to_have_text("Not linked to a LinkedIn profile")

    # The ATS user links Nora to Eve in the widget: its onlink names the page's function, which saves it.
    await widget.get_by_role("button", name="Link Eve").click()
    await expect(page.locator("#link-status")).to_have_attribute("data-member", EVE)
    await expect(page.locator("#link-status")).to_have_text(f"Linked to LinkedIn member {EVE} (manual)")
    history = await client.get(f"/v1/integration/candidates/{nora['id']}/link/history", headers=_api(ats))
    assert [(c["member_after"], c["actor"]) for c in history.json()["changes"]] == [
        (EVE, f"ats_user:{rita['id']}")
    ]

    # The Recruiter user now sees Eve in the ATS, with what the preview shows of Nora.
    await page.goto(recruiter_page)
    await expect(page.locator("#indicator")).to_have_attribute("data-state", "present")
    await expect(page.locator("#indicator")).to_have_text("In your ATS (1 candidate)")
    card = page.locator(f'article.candidate[data-candidate-id="{nora["id"]}"]')
    await expect(card.locator(".candidate-name")).to_have_text("Nora Nomatch")
    await expect(card).to_contain_text("Controls Engineer at Parcel Bots")
    await expect(card.locator(".application")).to_contain_text("Robotics Engineer")
    await expect(card.locator(".note")).to_contain_text("Rita Recruiter")
    await expect(card.locator(".note")).to_contain_text("Strong on control loops.")
    await expect(card.locator(".record-link")).to_have_attribute("href", nora["url"])

    # LinkedIn hears of the link with Nora's next PUT; the widget then shows it, and the user unlinks.
    clock.advance(seconds=1)
    await drain(dispatcher, clock)
    stored = linkedin_world(linkedin_sim).record(
        "atsCandidates", atsCandidateId=nora["id"], dataProvider="ATS", integrationContext=ORG
    )
    assert stored is not None and stored["manualMatchedMember"] == EVE
    await page.goto(ats_page)
    widget = page.frame_locator("iframe.in-hcm-widget")
    await expect(widget.locator("#status")).to_have_text("Linked to Eve Prospect")
    await widget.get_by_role("button", name="Unlink").click()
    await expect(page.locator("#link-status")).to_have_attribute("data-state", "unlinked")
    assert confirmations == ["Unlink this candidate from the LinkedIn profile?"]
    link = await client.get(f"/v1/integration/candidates/{nora['id']}/link", headers=_api(ats))
    assert link.json()["member_urn"] is None

    await page.goto(recruiter_page)
    await expect(page.locator("#indicator")).to_have_attribute("data-state", "absent")
    await page.close()


def _api(ats: Ats) -> dict[str, str]:
    return {"authorization": f"Bearer {ats.api_key}"}
