"""Stopping a replica (SIGTERM) gives back the rows its drain holds, so another takes them at once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import httpx
from fastapi import FastAPI

from rsc_service import bootstrap
from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.outbox.dispatcher import DispatchSettings
from rsc_service.scheduler import Scheduler
from tests.conftest import FrozenClock
from tests.factories import Ats, candidate
from tests.flows.conftest import SIM_URL, HeldAnswers, clocked_apps, clocked_dispatcher, outbox_rows


class TestStopping:
    async def test_rows_held_by_a_stopped_drain_are_given_back_at_once(
        self, ats: Ats, linkedin_sim: FastAPI, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        held = HeldAnswers(httpx.ASGITransport(app=linkedin_sim))
        async with httpx.AsyncClient(transport=held, base_url=SIM_URL) as slow_http:
            slow = LinkedInClient(slow_http, api_url=SIM_URL, oauth_url=f"{SIM_URL}/oauth/v2", clock=clock)
            lease = timedelta(seconds=120)
            service = bootstrap.build(
                replace(ctx_li, linkedin=slow),
                apps=clocked_apps(replace(ctx_li, linkedin=slow), clock),
                dispatch=DispatchSettings(concurrency=1, lease=lease),
            )
            scheduler = Scheduler(service, jobs=[])  # the replica's drain alone
            other = clocked_dispatcher(ctx_li, clock, settings=DispatchSettings(concurrency=1, lease=lease))
            await ats.send("candidate.created", candidate("cand_1"))

            scheduler.start()
            await asyncio.wait_for(held.held.wait(), 5)  # the drain is sending, LinkedIn has not answered
            await scheduler.stop()  # SIGTERM
            row = (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")]
            given_back = (row.state, row.lease_token, row.attempts)
            taken = await other.drain_once()  # at once, not after the two-minute lease
            held.release.set()

        assert given_back == ("pending", None, 0)
        assert taken.sent == 1
        assert (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")].state == "done"
