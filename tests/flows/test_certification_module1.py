"""Certification module 1 (docs/linkedin.md#certification): the rule an enabled tenant shows.

RSC-101, 103, 104 and 105 start from a world where nothing is provisioned (tests/onboarding).
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.factories import Ats, job
from tests.flows.conftest import choose_availability, drain, linkedin_world


def _availability(sim: FastAPI) -> dict[str, str]:
    return {key: posting["availability"] for key, posting in linkedin_world(sim).jobs.items()}


class TestModule1JobAvailability:
    async def test_rsc_102_the_customer_chooses_public_and_every_job_is_sent_again(
        self,
        ats: Ats,
        client: httpx.AsyncClient,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        clock: FrozenClock,
    ) -> None:
        await ats.send("job.created", job("job_pub"))
        await ats.send("job.created", job("job_private", privacy="private"))
        await drain(dispatcher, clock)
        # Without a choice, every job is private to the integration (the mandatory fallback).
        assert set(_availability(linkedin_sim).values()) == {"PRIVATE_TO_ATS_INTEGRATION"}
        auth = {"Authorization": f"Bearer {ats.api_key}"}
        status = await client.get("/v1/integration", headers=auth)
        assert status.json()["job_availability"] == "PRIVATE_TO_ATS_INTEGRATION"

        chosen = await choose_availability(client, ats, "PUBLIC")
        await drain(dispatcher, clock)

        assert chosen.status_code == 200, chosen.text
        assert chosen.json()["job_availability"] == "PUBLIC"
        by_job = {
            posting["externalJobPostingId"]: posting["availability"]
            for posting in linkedin_world(linkedin_sim).jobs.values()
        }
        # A job the ATS keeps private never becomes a public posting.
        assert by_job == {"job_pub": "PUBLIC", "job_private": "PRIVATE_TO_ATS_INTEGRATION"}

    async def test_rsc_102_an_unknown_choice_is_refused(self, ats: Ats, client: httpx.AsyncClient) -> None:
        refused = await choose_availability(client, ats, "PRIVATE")
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "body.job_availability"
