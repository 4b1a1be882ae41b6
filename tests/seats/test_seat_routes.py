"""Setup step 3 as the ATS drives it: read seats, connect users by email, assign by hand, one tenant only."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.seats import matching
from rsc_service.seats.models import Seat
from tests.conftest import FrozenClock
from tests.seats.conftest import (
    ALICE,
    BOB,
    CAROL,
    CONTRACT,
    Tenancy,
    add_seats,
    add_user,
    delivered,
    li_world,
    problem,
    refresh,
    register,
    seats_by_urn,
)

SEAT_1, SEAT_2, SEAT_3 = "urn:li:seat:3001", "urn:li:seat:3002", "urn:li:seat:3003"


def unmatched(report: dict[str, object]) -> dict[str, str]:
    items = report["unmatched"]
    assert isinstance(items, list)
    return {item["ats_user_id"]: item["reason"] for item in items}


class TestRefresh:
    async def test_connects_ats_users_to_seats_by_email_whatever_the_case(
        self, client: httpx.AsyncClient, tenancy: Tenancy, ats_sim: FastAPI
    ) -> None:
        alice = add_user(ats_sim, "  Alice@SIM-Customer.example ")
        bob = add_user(ats_sim, BOB.upper())
        await delivered(ats_sim)

        report = await refresh(client, tenancy)

        assert {
            k: report[k] for k in ("listed", "active", "added", "deactivated", "connected", "released")
        } == {
            "listed": 3,
            "active": 3,
            "added": 3,
            "deactivated": 0,
            "connected": 2,
            "released": 0,
        }
        assert report["unmatched"] == []
        seats = await seats_by_urn(client, tenancy)
        assert set(seats) == {SEAT_1, SEAT_2, SEAT_3}
        first = seats[SEAT_1]
        assert (first["member"], first["first_name"], first["last_name"], first["email"]) == (
            "urn:li:person:m1001",
            "Alice",
            "Recruiter",
            ALICE,
        )
        assert (first["contract"], first["state"], first["roles"]) == (CONTRACT, "active", ["ADMIN_SEAT"])
        assert (first["ats_user_id"], first["assigned_by"]) == (alice, "email")
        assert (seats[SEAT_2]["ats_user_id"], seats[SEAT_2]["assigned_by"]) == (bob, "email")
        assert (seats[SEAT_3]["ats_user_id"], seats[SEAT_3]["assigned_by"]) == (None, None)

    async def test_users_left_without_a_seat_are_reported_with_the_reason(
        self, client: httpx.AsyncClient, tenancy: Tenancy, ats_sim: FastAPI
    ) -> None:
        alice = add_user(ats_sim, ALICE)
        twin = add_user(ats_sim, ALICE.upper(), name="Twin")
        stranger = add_user(ats_sim, "nobody@elsewhere.example")
        gone = add_user(ats_sim, CAROL, active=False)
        await delivered(ats_sim)

        report = await refresh(client, tenancy)

        assert report["connected"] == 1
        assert unmatched(report) == {
            twin: matching.TAKEN,
            stranger: matching.NO_HOLDER,
            gone: matching.INACTIVE,
        }
        response = await client.get("/v1/integration/users", headers=tenancy.auth)
        assert response.status_code == 200, response.text
        users = {user["ats_user_id"]: user for user in response.json()["users"]}
        assert users[alice]["seat"]["seat_urn"] == SEAT_1
        assert users[alice]["unmatched_reason"] is None
        assert {u: users[u]["unmatched_reason"] for u in (twin, stranger, gone)} == unmatched(report)
        assert users[gone]["active"] is False and users[gone]["seat"] is None

    async def test_users_shows_who_the_next_refresh_connects(
        self, client: httpx.AsyncClient, tenancy: Tenancy, ats_sim: FastAPI
    ) -> None:
        await refresh(client, tenancy)
        carol = add_user(ats_sim, CAROL)
        await delivered(ats_sim)

        response = await client.get("/v1/integration/users", headers=tenancy.auth)

        [user] = response.json()["users"]
        assert (user["ats_user_id"], user["seat"], user["unmatched_reason"]) == (
            carol,
            None,
            matching.PENDING,
        )

    async def test_reads_every_page_of_seats(
        self, client: httpx.AsyncClient, tenancy: Tenancy, ats_sim: FastAPI, linkedin_sim: FastAPI
    ) -> None:
        add_seats(linkedin_sim, 5000, 247)  # with the three default seats: three pages of 100
        late = add_user(ats_sim, "holder5246@sim.example")
        await delivered(ats_sim)

        report = await refresh(client, tenancy)

        assert (report["listed"], report["added"], report["connected"]) == (250, 250, 1)
        seats = await seats_by_urn(client, tenancy)
        assert len(seats) == 250
        assert seats["urn:li:seat:5246"]["ats_user_id"] == late
        assert seats["urn:li:seat:5246"]["email"] == "holder5246@sim.example"

    async def test_a_seat_linkedin_no_longer_lists_is_kept_inactive(
        self, client: httpx.AsyncClient, tenancy: Tenancy, ats_sim: FastAPI, linkedin_sim: FastAPI
    ) -> None:
        add_user(ats_sim, ALICE)
        bob = add_user(ats_sim, BOB)
        await delivered(ats_sim)
        await refresh(client, tenancy)
        world = li_world(linkedin_sim)
        del world.seats[3002]  # bob's seat is gone
        world.seats[3001].state = "INACTIVE"  # alice's is suspended

        report = await refresh(client, tenancy)

        assert (report["listed"], report["active"], report["deactivated"], report["released"]) == (2, 1, 2, 2)
        assert unmatched(report)[bob] == matching.NO_HOLDER
        seats = await seats_by_urn(client, tenancy)
        assert set(seats) == {SEAT_1, SEAT_2, SEAT_3}  # rows are kept
        assert {urn: seat["state"] for urn, seat in seats.items()} == {
            SEAT_1: "inactive",
            SEAT_2: "inactive",
            SEAT_3: "active",
        }
        assert seats[SEAT_1]["ats_user_id"] is None and seats[SEAT_2]["ats_user_id"] is None

    async def test_without_a_key_nothing_is_read(self, client: httpx.AsyncClient) -> None:
        problem(await client.get("/v1/integration/seats"), 401, "unauthorized")
        wrong = {"Authorization": "Bearer rsc_not-a-key"}
        problem(await client.post("/v1/integration/seats/refresh", headers=wrong), 401, "unauthorized")


class TestAssigningByHand:
    async def test_a_manual_assignment_wins_and_survives_a_refresh(
        self, client: httpx.AsyncClient, tenancy: Tenancy, ats_sim: FastAPI
    ) -> None:
        alice = add_user(ats_sim, ALICE)
        rita = add_user(ats_sim, "rita@sim-customer.example", name="Rita")
        await delivered(ats_sim)
        await refresh(client, tenancy)
        seat_id = (await seats_by_urn(client, tenancy))[SEAT_1]["id"]

        assert (
            await client.delete(f"/v1/integration/seats/{seat_id}/user", headers=tenancy.auth)
        ).status_code == 204
        response = await client.put(
            f"/v1/integration/seats/{seat_id}/user", json={"ats_user_id": rita}, headers=tenancy.auth
        )

        assert response.status_code == 200, response.text
        assert (response.json()["ats_user_id"], response.json()["assigned_by"]) == (rita, "manual")
        report = await refresh(client, tenancy)
        assert report["connected"] == 0
        assert unmatched(report) == {alice: matching.TAKEN}
        seat = (await seats_by_urn(client, tenancy))[SEAT_1]
        assert (seat["ats_user_id"], seat["assigned_by"]) == (rita, "manual")

    async def test_a_seat_emptied_by_hand_stays_empty(
        self, client: httpx.AsyncClient, tenancy: Tenancy, ats_sim: FastAPI
    ) -> None:
        bob = add_user(ats_sim, BOB)
        await delivered(ats_sim)
        await refresh(client, tenancy)
        seat_id = (await seats_by_urn(client, tenancy))[SEAT_2]["id"]

        response = await client.delete(f"/v1/integration/seats/{seat_id}/user", headers=tenancy.auth)

        assert response.status_code == 204 and response.content == b""
        report = await refresh(client, tenancy)
        assert unmatched(report) == {bob: matching.LEFT_EMPTY}
        seat = (await seats_by_urn(client, tenancy))[SEAT_2]
        assert (seat["ats_user_id"], seat["assigned_by"]) == (None, "manual")

    async def test_409_when_the_seat_is_taken_or_the_user_holds_another(
        self, client: httpx.AsyncClient, tenancy: Tenancy, ats_sim: FastAPI
    ) -> None:
        alice = add_user(ats_sim, ALICE)
        bob = add_user(ats_sim, BOB)
        await delivered(ats_sim)
        await refresh(client, tenancy)  # alice on 3001, bob on 3002; 3003 (carol) is free
        ids = {urn: seat["id"] for urn, seat in (await seats_by_urn(client, tenancy)).items()}

        async def put(seat: str, user: str) -> httpx.Response:
            return await client.put(
                f"/v1/integration/seats/{ids[seat]}/user", json={"ats_user_id": user}, headers=tenancy.auth
            )

        taken = problem(await put(SEAT_1, bob), 409, "seat_taken")
        assert "another user" in taken["detail"]
        problem(await put(SEAT_3, alice), 409, "user_has_seat")
        again = await put(SEAT_1, alice)  # the seat's own user: the connection becomes manual
        assert again.status_code == 200 and again.json()["assigned_by"] == "manual"
        seats = await seats_by_urn(client, tenancy)
        assert (seats[SEAT_1]["ats_user_id"], seats[SEAT_2]["ats_user_id"]) == (alice, bob)
        assert seats[SEAT_3]["ats_user_id"] is None

    async def test_an_inactive_seat_cannot_be_assigned(
        self, client: httpx.AsyncClient, tenancy: Tenancy, linkedin_sim: FastAPI
    ) -> None:
        li_world(linkedin_sim).seats[3003].state = "INACTIVE"
        await refresh(client, tenancy)
        seat_id = (await seats_by_urn(client, tenancy))[SEAT_3]["id"]

        response = await client.put(
            f"/v1/integration/seats/{seat_id}/user", json={"ats_user_id": "usr_9"}, headers=tenancy.auth
        )

        problem(response, 409, "seat_inactive")

    async def test_unknown_seats_and_bad_bodies(self, client: httpx.AsyncClient, tenancy: Tenancy) -> None:
        path = "/v1/integration/seats/999999/user"
        problem(await client.put(path, json={"ats_user_id": "u"}, headers=tenancy.auth), 404, "not_found")
        problem(await client.delete(path, headers=tenancy.auth), 404, "not_found")
        problem(
            await client.put(path, json={"ats_user_id": ""}, headers=tenancy.auth), 422, "validation_error"
        )
        problem(await client.put(path, json={"user": "u"}, headers=tenancy.auth), 422, "validation_error")
        problem(
            await client.delete("/v1/integration/seats/0/user", headers=tenancy.auth), 422, "validation_error"
        )


class TestTenantIsolation:
    async def test_a_tenant_never_sees_or_touches_another_tenants_seats(
        self, client: httpx.AsyncClient, ctx: AppContext, tenancy: Tenancy, clock: FrozenClock
    ) -> None:
        other = await register(ctx, linkedin_app_urn="urn:li:developerApplication:102")  # its own app
        await refresh(client, tenancy)
        await refresh(client, other)  # the same LinkedIn customer: the same seats, as rows of its own
        mine = await seats_by_urn(client, tenancy)
        theirs = await seats_by_urn(client, other)
        assert set(mine) == set(theirs) == {SEAT_1, SEAT_2, SEAT_3}
        assert not {s["id"] for s in mine.values()} & {s["id"] for s in theirs.values()}
        their_seat = theirs[SEAT_3]["id"]

        put = await client.put(
            f"/v1/integration/seats/{their_seat}/user", json={"ats_user_id": "usr_x"}, headers=tenancy.auth
        )
        delete = await client.delete(f"/v1/integration/seats/{their_seat}/user", headers=tenancy.auth)

        problem(put, 404, "not_found")
        problem(delete, 404, "not_found")
        async with ctx.sessionmaker() as session:
            row = await session.scalar(select(Seat).where(Seat.id == their_seat))
        assert row is not None and row.tenant_id == other.tenant_id
        assert (row.ats_user_id, row.assigned_by) == (None, None)
        assert set(await seats_by_urn(client, tenancy)) == set(mine)
        ours = await client.put(
            f"/v1/integration/seats/{mine[SEAT_3]['id']}/user",
            json={"ats_user_id": "usr_x"},
            headers=tenancy.auth,
        )
        assert ours.status_code == 200
        assert (await seats_by_urn(client, other))[SEAT_3]["ats_user_id"] is None
