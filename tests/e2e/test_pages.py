"""What a person sees, in headless Chromium: an ATS user links a candidate by LinkedIn's profile widget on
the fake ATS's LinkedIn tab, and a Recruiter user sees the In-ATS indicator and preview on the LinkedIn
simulator's profile page; unlinking by the widget takes both away again. The widget renders only on an
origin the customer's application allows (validJsSdkDomains), and an ATS user holding a Recruiter seat sees
the seat holder's actions on the tab."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Dialog, FrameLocator, Page, async_playwright, expect

from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import ADMIN_TOKEN, FrozenClock
from tests.e2e.conftest import Urls
from tests.flows.conftest import drain, linkedin_world
from tests.seats.conftest import (
    ALICE,
    Tenancy,
    add_user,
    ats_world,
    delivered,
    refresh,
    seats_by_urn,
)

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package, installed by scripts/ensure-chromium.sh
ORG = "urn:li:organization:1001"
EVE = "urn:li:person:m1005"  # eve@candidates.example in the simulator's default world
CUSTOMER_APP = "urn:li:developerApplication:101"  # the simulator's default child app, `sim-customer`
PARTNER = {"client_id": "sim-partner", "client_secret": "sim-partner-secret"}
SEAT_ACTIONS = ["Open in Recruiter", "Add to project", "Send InMail", "Add note"]


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
    ats_sim: FastAPI,
    tenancy: Tenancy,
    client: httpx.AsyncClient,
    dispatcher: Dispatcher,
    clock: FrozenClock,
    linkedin_sim: FastAPI,
) -> None:
    world = ats_world(ats_sim)
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
    await delivered(ats_sim)
    await drain(dispatcher, clock)
    await allow_widget_domains(urls, [urls.ats])
    await show_pages(urls, tenancy)
    credential = await client.get(
        f"/v1/admin/tenants/{tenancy.key}/in-ats/credential",
        headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    async with httpx.AsyncClient() as http:
        configured = await http.put(
            f"{urls.linkedin}/_sim/recruiter/in-ats",
            json={
                "serviceUrl": urls.service,
                "tenantKey": tenancy.key,
                "credential": credential.json()["credential"],
            },
        )
    assert configured.status_code == 204
    confirmations: list[str] = []

    async def accept(dialog: Dialog) -> None:
        confirmations.append(dialog.message)
        await dialog.accept()

    page = await browser.new_page()
    page.on("dialog", accept)
    recruiter_page = f"{urls.linkedin}/recruiter/profile/m1005"
    ats_page = tab_page(urls, nora["id"], rita["id"])

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
    await expect(page.locator("#seat")).to_be_hidden()  # Rita holds no Recruiter seat

    # The ATS user links Nora to Eve in the widget: its onlink names the page's function, which saves it.
    await widget.get_by_role("button", name="Link Eve").click()
    await expect(page.locator("#link-status")).to_have_attribute("data-member", EVE)
    await expect(page.locator("#link-status")).to_have_text(f"Linked to LinkedIn member {EVE} (manual)")
    history = await client.get(f"/v1/integration/candidates/{nora['id']}/link/history", headers=tenancy.auth)
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
    link = await client.get(f"/v1/integration/candidates/{nora['id']}/link", headers=tenancy.auth)
    assert link.json()["member_urn"] is None

    await page.goto(recruiter_page)
    await expect(page.locator("#indicator")).to_have_attribute("data-state", "absent")
    await page.close()


async def test_the_widget_refuses_a_page_on_an_origin_the_application_does_not_allow(
    urls: Urls,
    browser: Browser,
    ats_sim: FastAPI,
    tenancy: Tenancy,
    client: httpx.AsyncClient,
    linkedin_sim: FastAPI,
) -> None:
    rita = add_user(ats_sim, "rita@acme.example", name="Rita")
    nora = ats_world(ats_sim).create("candidate", {"first_name": "Nora", "last_name": "Nomatch"})
    await delivered(ats_sim)
    await allow_widget_domains(urls, [urls.ats])
    await show_pages(urls, tenancy)
    page = await browser.new_page()

    # The ATS's origin is among the application's domains: the widget renders and offers linking.
    await page.goto(tab_page(urls, nora["id"], rita))
    widget = page.frame_locator("iframe.in-hcm-widget")
    await expect(widget.locator("#candidate")).to_have_text(nora["id"])
    await expect(widget.get_by_role("button", name="Link Eve")).to_be_enabled()

    # The customer's domains no longer name the ATS's origin (as after it moved to another domain).
    await allow_widget_domains(urls, ["https://acme.ats.example"])
    assert linkedin_world(linkedin_sim).apps["sim-customer"].js_domains == ["https://acme.ats.example"]
    await page.reload()
    await expect(page.locator("#link-status")).to_have_attribute("data-state", "unlinked")
    widget = page.frame_locator("iframe.in-hcm-widget")
    refused = widget.get_by_role("alert")
    await expect(refused).to_have_text(
        f"This domain is not allowed to show LinkedIn's profile widget: {urls.ats} is not one of the "
        "application's JavaScript SDK domains."
    )
    await expect(refused).to_have_attribute("data-reason", "domain_not_allowed")
    # Nothing of the profile and nothing to link: onlink cannot fire, so the ATS holds no link.
    await expect(widget.locator("#candidate")).to_have_count(0)
    await expect(widget.get_by_role("button")).to_have_count(0)
    await expect(page.locator("#link-status")).to_have_text("Not linked to a LinkedIn profile")
    history = await client.get(f"/v1/integration/candidates/{nora['id']}/link/history", headers=tenancy.auth)
    assert history.json()["changes"] == []
    await page.close()


async def test_a_seat_holder_sees_the_seat_holders_actions_and_a_user_without_a_seat_does_not(
    urls: Urls,
    browser: Browser,
    ats_sim: FastAPI,
    tenancy: Tenancy,
    client: httpx.AsyncClient,
) -> None:
    alice = add_user(ats_sim, ALICE, name="Alice")  # LinkedIn's m1001 holds seat 3001 with this email
    rita = add_user(ats_sim, "rita@acme.example", name="Rita")  # no member holds a seat with hers
    nora = ats_world(ats_sim).create("candidate", {"first_name": "Nora", "last_name": "Nomatch"})
    await delivered(ats_sim)
    assert (await refresh(client, tenancy))["connected"] == 1
    seat = (await seats_by_urn(client, tenancy))["urn:li:seat:3001"]
    assert seat["ats_user_id"] == alice
    await allow_widget_domains(urls, [urls.ats])
    await show_pages(urls, tenancy)
    page = await browser.new_page()

    # Alice's tab: the widget, and beside it what she can do as the seat's holder.
    await page.goto(tab_page(urls, nora["id"], alice))
    await widget_loaded(page, nora["id"])
    seat_box = page.locator("#seat")
    await expect(seat_box).to_be_visible()
    await expect(seat_box.get_by_role("heading")).to_have_text("Your LinkedIn Recruiter seat")
    await expect(seat_box.locator("#seat-holder")).to_have_text(
        "You hold Recruiter seat urn:li:seat:3001 as urn:li:person:m1001: "
        "LinkedIn shows you the full profile."
    )
    await expect(seat_box.get_by_role("listitem")).to_have_text(SEAT_ACTIONS)

    # Rita's tab: the same widget, and no seat or seat holder's action anywhere on the page.
    await page.goto(tab_page(urls, nora["id"], rita))
    await widget_loaded(page, nora["id"])
    await expect(page.locator("#seat")).to_be_hidden()
    for action in SEAT_ACTIONS:
        await expect(page.get_by_text(action)).to_have_count(0)

    # Once the admin empties Alice's seat, her tab no longer offers them either.
    emptied = await client.delete(f"/v1/integration/seats/{seat['id']}/user", headers=tenancy.auth)
    assert emptied.status_code == 204
    await page.goto(tab_page(urls, nora["id"], alice))
    await widget_loaded(page, nora["id"])
    await expect(page.locator("#seat")).to_be_hidden()
    await page.close()


def tab_page(urls: Urls, candidate_id: str, user_id: str) -> str:
    return f"{urls.ats}/ui/candidates/{candidate_id}/linkedin?user={user_id}"


async def widget_loaded(page: Page, candidate_id: str) -> FrameLocator:
    """The tab has read the service's answer and the widget has rendered for the candidate."""
    await expect(page.locator("#link-status")).not_to_have_attribute("data-state", "loading")
    widget = page.frame_locator("iframe.in-hcm-widget")
    await expect(widget.locator("#candidate")).to_have_text(candidate_id)
    return widget


async def show_pages(urls: Urls, tenancy: Tenancy) -> None:
    """The fake ATS's pages call the service with the tenant's API key and load the SDK from the simulator."""
    async with httpx.AsyncClient() as http:
        answer = await http.put(
            f"{urls.ats}/_sim/pages",
            json={"service_url": urls.service, "api_key": tenancy.api_key, "linkedin_url": urls.linkedin},
        )
    assert answer.status_code == 204, answer.text


async def allow_widget_domains(urls: Urls, domains: list[str]) -> None:
    """The partner sets the customer application's validJsSdkDomains through LinkedIn's provisioning API,
    as the service does when it provisions the customer."""
    async with httpx.AsyncClient(base_url=urls.linkedin) as http:
        token = await http.post("/oauth/v2/accessToken", data={"grant_type": "client_credentials"} | PARTNER)
        assert token.status_code == 200, token.text
        answer = await http.post(
            f"/v2/provisionedApplications/{quote(CUSTOMER_APP, safe='')}",
            json={"patch": {"$set": {"validJsSdkDomains": domains}}},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
    assert answer.status_code == 204, answer.text
