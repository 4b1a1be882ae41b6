"""The acceptance flow of onboarding, through both simulators: a tenant goes from activation to `active` with
2,000 candidates synced, seats auto-connected by email, a second contract added, then deactivated with
deletion: the LinkedIn simulator holds 0 records of the tenant and our database 0 mappings; reactivation syncs
everything again (docs/onboarding.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from rsc_service.candidates import service as candidate_service
from rsc_service.context import AppContext
from rsc_service.onboarding import initial_sync
from rsc_service.seats import matching
from rsc_service.settings import Settings
from rsc_service.simulators.ats import seed
from tests.conftest import ADMIN_TOKEN, FrozenClock
from tests.flows.conftest import clocked_apps, clocked_dispatcher
from tests.onboarding import journey
from tests.onboarding.conftest import Customer, World, ats_user, plugin, request_body, sign_in
from tests.onboarding.journey import FIRST, OWNER_EMAIL, RECRUITER_EMAILS, SECOND

CANDIDATES = 2_000
# Fewer of the rest: notes, stages and feedback go one request per parent, so they set the test's time.
APPLICATIONS, NOTES, INTERVIEWS = 200, 100, 40
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
async def world(ctx: AppContext, settings: Settings, clock: FrozenClock) -> AsyncIterator[World]:
    async with journey.wired_world(ctx, settings, clock) as wired:
        yield wired


async def kick_off(world: World, customer: Customer, owner: str, contracts: list[str]) -> str:
    """Activation, LinkedIn's sign-in, the configuration plugin on `contracts`, the request: `partner_ready`.
    Returns the child application's client id (the JS SDK key)."""
    back = await sign_in(world, customer, owner)
    assert back.status_code == 303, back.text
    answer = await plugin(world, customer, contracts=contracts)
    assert answer.status_code == 200, answer.text
    requested = await world.client.post(
        "/v1/integration/request", json=request_body(owner, answer.json()), headers=customer.auth
    )
    assert requested.status_code == 200, requested.text
    assert (requested.json()["stage"], requested.json()["waiting_for"]) == ("partner_ready", "linkedin_admin")
    client_id: str = requested.json()["js_sdk_api_key"]
    return client_id


async def status(world: World, customer: Customer) -> dict[str, Any]:
    found = await world.client.get("/v1/integration", headers=customer.auth)
    assert found.status_code == 200, found.text
    body: dict[str, Any] = found.json()
    return body


async def refresh_seats(world: World, customer: Customer) -> dict[str, Any]:
    refreshed = await world.client.post("/v1/integration/seats/refresh", headers=customer.auth)
    assert refreshed.status_code == 200, refreshed.text
    body: dict[str, Any] = refreshed.json()
    return body


async def seats_of_users(world: World, customer: Customer) -> dict[str, tuple[str, str] | None]:
    """Each ATS user's seat and how it was connected, as the ATS's users page shows them."""
    found = await world.client.get("/v1/integration/users", headers=customer.auth)
    assert found.status_code == 200, found.text
    return {
        u["ats_user_id"]: (u["seat"]["seat_urn"], u["seat"]["assigned_by"]) if u["seat"] else None
        for u in found.json()["users"]
    }


async def audit_trail(world: World, customer: Customer) -> list[tuple[str | None, str, str]]:
    found = await world.client.get(f"/v1/admin/tenants/{customer.key}/stages", headers=ADMIN)
    assert found.status_code == 200, found.text
    return [(c["from_stage"], c["to_stage"], c["actor"]) for c in found.json()]


def onboarded(owner: str, since: str | None) -> list[tuple[str | None, str, str]]:
    """The stages of one onboarding, from `since` to `active`."""
    return [
        (since, "requested", "operator" if since is None else f"ats_user:{owner}"),
        ("requested", "partner_ready", f"ats_user:{owner}"),
        ("partner_ready", "enabled", "linkedin"),
        ("enabled", "initial_sync", "service"),
        ("initial_sync", "active", "service"),
    ]


async def test_a_tenant_goes_from_activation_to_active_to_deactivated_with_deletion_and_back(
    world: World, customer: Customer, clock: FrozenClock
) -> None:
    # The customer's ATS, in bulk: users (the first recruiters hold the seat holders' emails), jobs over two
    # years, 2,000 candidates with their applications, notes and interview feedback. Olga, the owner who
    # activates, has the email of the LinkedIn member holding the admin seats.
    made = seed.generate(
        world.ats,
        users=8,
        jobs=40,
        candidates=CANDIDATES,
        applications=APPLICATIONS,
        notes=NOTES,
        interviews=INTERVIEWS,
        recruiter_emails=RECRUITER_EMAILS,
        seed=2026,
    )
    assert made["candidates"] == CANDIDATES
    owner = ats_user(world, email=OWNER_EMAIL)
    recruiter = {
        u["email"]: u["id"] for u in world.ats.stores["user"].live() if u["email"] in RECRUITER_EMAILS
    }
    rita, sam, tom = (recruiter[email] for email in RECRUITER_EMAILS)
    dispatcher = clocked_dispatcher(world.ctx, clock)
    apps = clocked_apps(world.ctx, clock)

    # 1. Kick-off in the ATS, sign-in with LinkedIn, the plugin on the first contract: partner_ready.
    client_id = await kick_off(world, customer, owner, [FIRST])

    # 2. A Recruiter admin enables company and contract access; the notification makes the tenant enabled.
    await journey.enable(world, client_id, access="both")
    assert (await status(world, customer))["stage"] == "enabled"

    # 3. The advance_onboarding job walks the ATS while the dispatcher drains, until the tenant is active.
    await journey.run_until_active(world, dispatcher, clock, customer.key)

    want = journey.expected(world, clock())
    first_sync = journey.held(world)
    assert len(first_sync["candidate"]) == CANDIDATES
    assert journey.synced(first_sync) == want
    assert all(want[kind] for kind in want), {kind: len(ids) for kind, ids in want.items()}
    assert all(journey.records_in(world, collection) for collection in ("stages", "atsEntityAcls"))
    emails = list(world.ats.stores["user_email"].records.values())
    assert [(e["user_id"], e["to"], e["subject"]) for e in emails] == [
        (owner, OWNER_EMAIL, initial_sync.SUBJECT)
    ]
    assert f"{CANDIDATES:,} candidates" in emails[0]["body"]
    shown = await status(world, customer)
    assert shown["stage"] == "active" and all(f["active"] for f in shown["features"]), shown["features"]

    # 4. Seats: users are connected by email; Tom's seat is on the contract not connected yet.
    refreshed = await refresh_seats(world, customer)
    assert (refreshed["listed"], refreshed["connected"]) == (3, 3)
    assert {u["ats_user_id"]: u["reason"] for u in refreshed["unmatched"]}[tom] == matching.NO_HOLDER
    seats = await seats_of_users(world, customer)
    assert seats[owner] == ("urn:li:seat:3001", "email")
    assert seats[rita] == ("urn:li:seat:3002", "email")
    assert seats[sam] == ("urn:li:seat:3003", "email")
    assert seats[tom] is None

    # 5. A second contract: the plugin on both, the new one added, then enabled by a Recruiter admin.
    answer = await plugin(world, customer, contracts=[FIRST, SECOND])
    assert answer.status_code == 200, answer.text
    added = await world.client.post(
        "/v1/integration/contracts", json=request_body(owner, answer.json()), headers=customer.auth
    )
    assert added.status_code == 200, added.text
    assert added.json()["stage"] == "active"
    assert {(i["context"], i["status"]) for i in added.json()["integrations"] if i["type"] == "CSA_API"} == {
        (FIRST, "ENABLED"),
        (SECOND, "REQUESTED"),
    }
    await journey.enable(world, client_id, access="contract")
    shown = await status(world, customer)
    assert shown["stage"] == "active"
    assert {(i["context"], i["status"]) for i in shown["integrations"] if i["type"] == "CSA_API"} == {
        (FIRST, "ENABLED"),
        (SECOND, "ENABLED"),
    }
    refreshed = await refresh_seats(world, customer)
    assert (refreshed["listed"], refreshed["connected"]) == (5, 1)
    seats = await seats_of_users(world, customer)
    assert seats[tom] == ("urn:li:seat:3005", "email") and seats[owner] == ("urn:li:seat:3001", "email")

    # LinkedIn's email match is read back: candidates get links (mappings the deactivation must purge).
    assert await candidate_service.read_back_matches(world.ctx.sessionmaker, apps, now=world.ctx.db_now) > 0
    before = await journey.rows_of(world.ctx, customer.key)
    assert all(before.values()), before

    # 6. Deactivation with deletion; the finish_deactivations job runs until it has finished.
    started = await world.client.post(
        "/v1/integration/deactivation",
        json={"ats_user_id": owner, "delete_linkedin_data": True},
        headers=customer.auth,
    )
    assert started.status_code == 202, started.text
    assert (started.json()["stage"], started.json()["mode"]) == ("deactivated", "delete")
    await journey.finish_deactivation(world.ctx, apps, clock, customer.key)

    left = journey.held(world)
    assert {kind: len(ids) for kind, ids in left.items() if ids and not kind.startswith("job:")} == {}
    assert left == {kind: set() for kind in journey.HELD} | {"job:CLOSED": want["job"]}  # jobs are closed
    assert {c: journey.records_in(world, c) for c in journey.ALSO_HELD} == dict.fromkeys(journey.ALSO_HELD, 0)
    assert await journey.rows_of(world.ctx, customer.key) == dict.fromkeys(before, 0)
    finished = await world.client.get("/v1/integration/deactivation", headers=customer.auth)
    assert finished.status_code == 200 and finished.json()["state"] == "finished", finished.text
    trail = [*onboarded(owner, None), ("active", "deactivated", f"ats_user:{owner}")]
    assert await audit_trail(world, customer) == trail

    # 7. The customer returns: activation again, sign-in, the plugin on both contracts, request, enable, sync.
    client_id = await kick_off(world, customer, owner, [FIRST, SECOND])
    await journey.enable(world, client_id, access="both")
    assert (await status(world, customer))["stage"] == "enabled"
    await journey.run_until_active(world, dispatcher, clock, customer.key)

    again = journey.held(world)
    assert len(again["candidate"]) == CANDIDATES
    assert journey.expected(world, clock()) == want
    assert again == first_sync  # every record again, and each job in the state it had (open ones reopened)
    assert (await status(world, customer))["stage"] == "active"
    emails = list(world.ats.stores["user_email"].records.values())
    assert [(e["to"], e["subject"]) for e in emails] == [
        (OWNER_EMAIL, initial_sync.SUBJECT)
    ] * 2  # one a sync
    refreshed = await refresh_seats(world, customer)  # the seats of both contracts, connected afresh
    assert (refreshed["listed"], refreshed["added"], refreshed["connected"]) == (5, 5, 4)
    assert await audit_trail(world, customer) == [*trail, *onboarded(owner, "deactivated")]
