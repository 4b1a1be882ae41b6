"""A8 with an export under way: the customer is deactivated while LinkedIn answers the export's request, so
the export stops before it reserves or writes anything, and its notification is closed as ignored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from rsc_service.context import AppContext
from rsc_service.exports.models import Export, ExportReservation
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.exports.conftest import (  # noqa: F401 - the export world: tenant, fake ATS, simulator, recruiter
    Recruiter,
    app,
    ats_sim,
    callbacks,
    candidates,
    ctx_li,
    ctx_seats,
    dispatcher,
    linkedin_sim,
    recruiter,
    running,
    service_asgi,
    synced_job,
    tenancy,
)
from tests.factories import deactivate_by_operator
from tests.flows.conftest import SIM_URL, Interposer
from tests.seats.conftest import Tenancy

from .conftest import notifications

EXPORTED = "/v2/exportedCandidates"


@pytest.fixture
def interposer(linkedin_sim: FastAPI) -> Interposer:  # noqa: F811
    return Interposer(httpx.ASGITransport(app=linkedin_sim), EXPORTED)


@pytest.fixture
async def linkedin_http(interposer: Interposer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=interposer, base_url=SIM_URL) as http:
        yield http


async def test_an_export_whose_customer_is_deactivated_while_linkedin_answers_writes_nothing(
    ctx_seats: AppContext,  # noqa: F811
    client: httpx.AsyncClient,
    tenancy: Tenancy,  # noqa: F811
    recruiter: Recruiter,  # noqa: F811
    ats_sim: FastAPI,  # noqa: F811
    dispatcher: Dispatcher,  # noqa: F811
    interposer: Interposer,
    clock: FrozenClock,
) -> None:
    job_id = await synced_job(ats_sim, dispatcher, clock)
    before = candidates(ats_sim)
    request_id = await recruiter.export(job_id)
    deactivated: list[bool] = []

    async def deactivate() -> None:  # the operator, while the export's profile is read from LinkedIn
        await deactivate_by_operator(client, tenancy.key)
        deactivated.append(True)

    interposer.before = deactivate
    await recruiter.act()

    assert deactivated == [True]
    assert candidates(ats_sim) == before  # no candidate written into the deactivated customer's ATS
    rows = await notifications(ctx_seats, tenancy.tenant_id)
    assert [(row.request_id, row.state, row.last_error) for row in rows] == [
        (request_id, "ignored", "the customer is deactivated: not acted on")
    ]
    async with ctx_seats.sessionmaker() as session:  # nothing reserved of the allowance, no export recorded
        assert await session.scalar(select(func.count()).select_from(Export)) == 0
        assert await session.scalar(select(func.count()).select_from(ExportReservation)) == 0


async def test_an_export_read_before_a_deactivation_that_never_comes_is_written(
    ctx_seats: AppContext,  # noqa: F811
    tenancy: Tenancy,  # noqa: F811
    recruiter: Recruiter,  # noqa: F811
    ats_sim: FastAPI,  # noqa: F811
    dispatcher: Dispatcher,  # noqa: F811
    interposer: Interposer,
    clock: FrozenClock,
) -> None:
    """The interposer itself changes nothing: with nothing to do on its way, the export writes."""
    job_id = await synced_job(ats_sim, dispatcher, clock)
    before = candidates(ats_sim)
    request_id = await recruiter.export(job_id)
    seen: list[bool] = []

    async def look() -> None:
        seen.append(True)

    interposer.before = look
    await recruiter.act()

    assert seen == [True]
    assert len(candidates(ats_sim)) == len(before) + 1
    rows = await notifications(ctx_seats, tenancy.tenant_id)
    assert [(row.request_id, row.state) for row in rows] == [(request_id, "done")]
