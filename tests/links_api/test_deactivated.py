"""A8 on the link routes: once the customer is deactivated (its purge not run yet), connect before alert
neither reads LinkedIn for it nor writes LinkedIn notes or InMails into its ATS, and a link or unlink by hand
changes nothing: each is a 409 `tenant_deactivated` (docs/onboarding.md#deactivation-a8: "stop syncing", no
export writes to the customer's ATS any more)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.links.models import CandidateLink
from rsc_service.links_api.models import LinkChange
from rsc_service.outbox import tenant_rows
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.push.candidates import CANDIDATES
from rsc_service.tenants import service as tenant_service
from tests.conftest import FrozenClock
from tests.factories import deactivate_by_operator
from tests.in_ats.conftest import Side, make_side
from tests.links_api.connecting import arrives, connect, fail, heal, history
from tests.pull.conftest import Pull

MEMBER, OTHER = "urn:li:person:one", "urn:li:person:other"


def _landed(pull: Pull) -> tuple[list[str], list[str]]:
    """The LinkedIn notes and InMails written into the fake ATS, by external id."""
    notes = sorted(n["external_id"] for n in pull.records("note") if n.get("external_id"))
    emails = sorted(e["external_id"] for e in pull.records("email"))
    return notes, emails


async def _linkedin_calls(pull: Pull) -> list[str]:
    answer = await pull.linkedin.get("/_sim/requests", params={"pathPrefix": "/v2"})
    assert answer.status_code == 200, answer.text
    return [r["path"] for r in answer.json()["elements"]]


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "tenant_deactivated"


async def test_connect_reads_no_linkedin_and_writes_nothing_into_a_deactivated_tenants_ats(
    pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
) -> None:
    await history(pull, "Strong in Rust.")
    dan = await arrives(pull, ats_sim, dispatcher, "dan@candidates.example")
    pull.ctx.settings.pull.page_retries = 0
    await fail(pull, "/v2/prospectNotes")
    await fail(pull, "/v2/conversationEvents")
    first = await connect(client, pull, dan)  # linked; the member's pull failed, so it stays owed
    assert first.status_code == 200, first.text
    assert first.json()["pull_error"] is not None
    await heal(pull)

    # The customer leaves: the tenant is deactivated (its purge has not run yet).
    await deactivate_by_operator(client, pull.tenancy.key)
    calls = await _linkedin_calls(pull)
    after = await connect(client, pull, dan)

    _refused(after)
    assert _landed(pull) == ([], [])
    assert await _linkedin_calls(pull) == calls


async def test_connect_of_a_new_applicant_is_refused_once_deactivated(
    pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, client: httpx.AsyncClient
) -> None:
    await history(pull, "Strong in Rust.")
    dan = await arrives(pull, ats_sim, dispatcher, "dan@candidates.example")
    await deactivate_by_operator(client, pull.tenancy.key)
    calls = await _linkedin_calls(pull)

    after = await connect(client, pull, dan)

    _refused(after)
    assert _landed(pull) == ([], [])
    assert await _linkedin_calls(pull) == calls  # LinkedIn's match not read back either
    async with pull.ctx.sessionmaker() as session:
        linked = await session.scalar(select(CandidateLink).where(CandidateLink.ats_candidate_id == dan))
    assert linked is None


@pytest.fixture
async def one(ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock) -> Side:
    return await make_side(ctx, client, clock, n=1, member=MEMBER, candidate_id="cand_one")


async def _state(ctx: AppContext, side: Side) -> tuple[list[tuple[str, str | None]], int, set[str]]:
    """The tenant's links, its audit rows and whether its outbox owes LinkedIn the candidate."""
    async with ctx.sessionmaker() as session:
        links = [
            (link.ats_candidate_id, link.member_urn)
            for link in (await session.scalars(select(CandidateLink).order_by(CandidateLink.id))).all()
        ]
        changes = len((await session.scalars(select(LinkChange))).all())
        tenant = await tenant_service.get_by_key(session, side.key)
        owed = await tenant_rows.present(session, tenant.id, [f"{CANDIDATES.name}:{side.candidate_id}"])
    return links, changes, owed


@pytest.mark.parametrize("change", ["link", "unlink"])
async def test_a_link_by_hand_changes_nothing_once_deactivated(
    ctx: AppContext, client: httpx.AsyncClient, one: Side, change: str
) -> None:
    path = f"/v1/integration/candidates/{one.candidate_id}/link"
    await deactivate_by_operator(client, one.key)
    before = await _state(ctx, one)
    assert before[0] == [(one.candidate_id, MEMBER)]

    if change == "link":
        answer = await client.put(path, json={"member_urn": OTHER, "ats_user_id": "usr_1"}, headers=one.api)
    else:
        answer = await client.delete(path, params={"ats_user_id": "usr_1"}, headers=one.api)

    _refused(answer)
    assert await _state(ctx, one) == before
