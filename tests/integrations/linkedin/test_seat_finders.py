"""The older seats finder (`seats?q=seatsByAttributes`) at the wire: what it asks, and the holder's email."""

from __future__ import annotations

from typing import Any

import respx

from rsc_service.integrations.linkedin import LinkedInApp

CONTRACTS = ["urn:li:contract:2001", "urn:li:contract:2002"]


class TestSeatsByAttributes:
    async def test_asks_every_contract_and_the_state_filter_and_reads_the_email(
        self, linkedin: respx.MockRouter, app: LinkedInApp, throttle: Any
    ) -> None:
        route = linkedin.get("/v2/seats").respond(
            200,
            json={
                "elements": [
                    {
                        "id": 3001,
                        "contract": CONTRACTS[0],
                        "member": "urn:li:person:m1001",
                        "active": True,
                        "admin": True,
                        "email": "alice@sim-customer.example",
                    }
                ],
                "paging": {"start": 0, "count": 10, "total": 1},
            },
        )

        page = await app.list_seats_by_attributes(CONTRACTS, active=True)

        assert route.calls.last.request.url.raw_path.decode() == (
            "/v2/seats?q=seatsByAttributes&contracts=urn%3Ali%3Acontract%3A2001"
            "&contracts=urn%3Ali%3Acontract%3A2002&active=true&start=0&count=100"
        )
        [seat] = page.elements
        assert (seat.id, seat.member, seat.active, seat.admin, seat.email) == (
            3001,
            "urn:li:person:m1001",
            True,
            True,
            "alice@sim-customer.example",
        )
        assert throttle.acquired[-1] == ("prospect", 1)  # seats share the prospect-interaction budget

    async def test_without_an_email_the_field_is_none(
        self, linkedin: respx.MockRouter, app: LinkedInApp
    ) -> None:
        linkedin.get("/v2/seats").respond(200, json={"elements": [{"id": 1, "active": False}]})

        page = await app.list_seats_by_attributes(CONTRACTS[:1])

        assert page.elements[0].email is None
