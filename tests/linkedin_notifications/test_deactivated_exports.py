"""A8 through both simulators: once the customer deactivates, a one-click export (pending then, or made
after) writes no candidate into its ATS."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.exports.conftest import (  # noqa: F401 - the export world: tenant, fake ATS, simulator, recruiter
    MEMBER,
    Recruiter,
    app,
    ats_sim,
    callbacks,
    candidates,
    ctx_li,
    ctx_seats,
    dispatcher,
    linkedin_http,
    linkedin_sim,
    recruiter,
    running,
    service_asgi,
    synced_job,
    tenancy,
)
from tests.factories import deactivate_by_operator
from tests.seats.conftest import Tenancy

from .conftest import notifications


async def test_an_export_pending_at_deactivation_writes_nothing(
    ctx_seats: AppContext,  # noqa: F811
    client: httpx.AsyncClient,
    tenancy: Tenancy,  # noqa: F811
    recruiter: Recruiter,  # noqa: F811
    ats_sim: FastAPI,  # noqa: F811
    dispatcher: Dispatcher,  # noqa: F811
    clock: FrozenClock,
) -> None:
    job_id = await synced_job(ats_sim, dispatcher, clock)
    before = candidates(ats_sim)
    request_id = await recruiter.export(job_id)  # signed, delivered, recorded pending
    await deactivate_by_operator(client, tenancy.key)

    await recruiter.act()

    assert candidates(ats_sim) == before
    rows = await notifications(ctx_seats, tenancy.tenant_id)
    assert [(row.request_id, row.state) for row in rows] == [(request_id, "ignored")]


async def test_an_export_made_after_deactivation_is_refused_and_writes_nothing(
    ctx_seats: AppContext,  # noqa: F811
    client: httpx.AsyncClient,
    tenancy: Tenancy,  # noqa: F811
    recruiter: Recruiter,  # noqa: F811
    ats_sim: FastAPI,  # noqa: F811
    dispatcher: Dispatcher,  # noqa: F811
    clock: FrozenClock,
) -> None:
    job_id = await synced_job(ats_sim, dispatcher, clock)
    before = candidates(ats_sim)
    await deactivate_by_operator(client, tenancy.key)

    answer = await recruiter.sim.post(
        "/_sim/exports", json={"seat": recruiter.seat, "member": MEMBER, "job": job_id}
    )
    await recruiter.act()

    assert answer.status_code == 200, answer.text
    assert answer.json()["delivery"]["delivered"] is False
    assert candidates(ats_sim) == before
    assert await notifications(ctx_seats, tenancy.tenant_id) == []
