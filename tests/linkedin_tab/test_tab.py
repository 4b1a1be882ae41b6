"""R3/R4: the LinkedIn tab of a candidate, per ATS user: the profile widget's embed settings for everyone,
the seat holder's actions for a user with a connected seat; 404 for a candidate the tenant lacks, 409 while
the customer is not connected, and nothing about another tenant."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.tenants import service as tenant_service
from tests.factories import make_tenant
from tests.seats.conftest import (
    ALICE,
    BOB,
    ORG,
    Tenancy,
    add_user,
    ats_world,
    delivered,
    problem,
    refresh,
    seats_by_urn,
)


async def candidate(ats_sim: FastAPI) -> str:
    made = ats_world(ats_sim).create("candidate", {"first_name": "Dana", "last_name": "Scully"})
    await delivered(ats_sim)
    return str(made["id"])


def tab_url(candidate_id: str, user: str) -> str:
    return f"/v1/integration/candidates/{candidate_id}/linkedin-tab?ats_user_id={user}"


class TestEveryUser:
    async def test_gets_the_widget_embed_settings_and_what_is_known_of_the_profile(
        self, client: httpx.AsyncClient, tenancy: Tenancy, ats_sim: FastAPI, ctx_seats: AppContext
    ) -> None:
        bob = add_user(ats_sim, BOB)  # no seat
        candidate_id = await candidate(ats_sim)
        linked = await client.put(
            f"/v1/integration/candidates/{candidate_id}/link",
            json={"member_urn": "urn:li:person:m7001", "ats_user_id": bob},
            headers=tenancy.auth,
        )
        assert linked.status_code == 200, linked.text
        async with ctx_seats.sessionmaker() as session:
            tenant = await tenant_service.get(session, tenancy.tenant_id)

        answer = await client.get(tab_url(candidate_id, bob), headers=tenancy.auth)

        assert answer.status_code == 200, answer.text
        tab = answer.json()
        assert (tab["candidate_id"], tab["ats_user_id"], tab["integration_context"]) == (
            candidate_id,
            bob,
            ORG,
        )
        widget = tab["widget"]
        assert widget["api_key"] == "sim-customer"
        assert widget["script_src"] == "https://platform.linkedin.com/xdoor/scripts/in.js"
        assert widget["attributes"]["data-widget-type"] == "ATS"
        assert widget["attributes"]["data-ats-candidate-id"] == candidate_id
        assert widget["attributes"]["data-integration-context"] == ORG
        assert widget["allowed_domains"] == ([tenant.ats_web_url] if tenant.ats_web_url else [])
        assert widget["onlink"] == widget["onunlink"] == f"/v1/integration/candidates/{candidate_id}/link"
        assert (tab["link"]["member_urn"], tab["link"]["source"]) == ("urn:li:person:m7001", "manual")
        assert tab["seat_holder"] is None


class TestSeatHolders:
    async def test_a_user_with_a_connected_seat_gets_the_seat_holders_actions(
        self, client: httpx.AsyncClient, tenancy: Tenancy, ats_sim: FastAPI
    ) -> None:
        alice = add_user(ats_sim, ALICE)
        await delivered(ats_sim)
        assert (await refresh(client, tenancy))["connected"] == 1
        seat = next(s for s in (await seats_by_urn(client, tenancy)).values() if s["ats_user_id"] == alice)
        candidate_id = await candidate(ats_sim)

        tab = (await client.get(tab_url(candidate_id, alice), headers=tenancy.auth)).json()

        assert tab["seat_holder"] == {
            "seat_urn": seat["seat_urn"],
            "contract": seat["contract"],
            "member_urn": "urn:li:person:m1001",
            "actions": ["open_in_recruiter", "add_to_project", "send_inmail", "add_note"],
        }
        assert tab["link"]["member_urn"] is None  # not linked: the widget offers linking

        emptied = await client.delete(f"/v1/integration/seats/{seat['id']}/user", headers=tenancy.auth)
        assert emptied.status_code == 204
        after = (await client.get(tab_url(candidate_id, alice), headers=tenancy.auth)).json()
        assert after["seat_holder"] is None


class TestRefused:
    async def test_a_candidate_the_tenant_lacks_is_404_and_another_tenants_key_sees_nothing(
        self, client: httpx.AsyncClient, tenancy: Tenancy, ats_sim: FastAPI, ctx_seats: AppContext
    ) -> None:
        candidate_id = await candidate(ats_sim)
        async with ctx_seats.sessionmaker.begin() as session:
            other = await make_tenant(session, ctx_seats)
        theirs = {"Authorization": f"Bearer {other.api_key}"}

        problem(
            await client.get(tab_url("cand_nobody", "usr_1"), headers=tenancy.auth),
            404,
            "candidate_not_found",
        )
        problem(await client.get(tab_url(candidate_id, "usr_1"), headers=theirs), 404, "candidate_not_found")
        assert (await client.get(tab_url(candidate_id, "usr_1"))).status_code == 401

    async def test_before_the_customer_is_connected_it_is_409(
        self, client: httpx.AsyncClient, ctx_seats: AppContext
    ) -> None:
        async with ctx_seats.sessionmaker.begin() as session:
            waiting = await make_tenant(
                session,
                ctx_seats,
                linkedin_organization_urn=None,
                linkedin_client_id=None,
                linkedin_client_secret=None,
                linkedin_app_urn=None,
                linkedin_unique_foreign_id=None,
            )

        answer = await client.get(
            tab_url("cand_1", "usr_1"), headers={"Authorization": f"Bearer {waiting.api_key}"}
        )

        problem(answer, 409, "not_connected")

    async def test_the_user_is_required(self, client: httpx.AsyncClient, tenancy: Tenancy) -> None:
        answer = await client.get("/v1/integration/candidates/cand_1/linkedin-tab", headers=tenancy.auth)

        assert answer.status_code == 422 and "ats_user_id" in answer.text
