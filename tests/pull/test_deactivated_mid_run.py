"""A pull under way when the customer is deactivated stops at its next page: nothing more is written into the
deactivated customer's ATS (docs/onboarding.md#deactivation-a8)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.flows.conftest import SIM_URL, Interposer
from tests.pull.conftest import Pull
from tests.pull.test_deactivated import DAN, deactivate

NOTES = "/v2/prospectNotes"


@pytest.fixture
def interposer(linkedin_sim: FastAPI) -> Interposer:
    return Interposer(httpx.ASGITransport(app=linkedin_sim), NOTES)


@pytest.fixture
async def linkedin_http(interposer: Interposer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=interposer, base_url=SIM_URL) as http:
        yield http


async def _member_with_an_inmail_and_a_note(pull: Pull) -> None:
    dan = pull.candidate()
    await pull.link(dan, DAN)
    pull.clock.advance(minutes=5)
    await pull.inmail(3001, "m1004", subject="Robotics role")
    await pull.note(3001, "m1004", "Strong in Rust.")
    pull.clock.advance(minutes=1)


def _written(pull: Pull, kind: str) -> list[dict[str, object]]:
    return [r for r in pull.records(kind) if r.get("external_id")]


async def test_a_run_stops_writing_once_the_tenant_is_deactivated(pull: Pull, interposer: Interposer) -> None:
    """The InMails are pulled before the notes; the operator deactivates the customer as the notes are read
    from LinkedIn: the note went on into the ATS."""
    await _member_with_an_inmail_and_a_note(pull)

    async def operator() -> None:
        await deactivate(pull)

    interposer.before = operator
    report = await pull.run()

    assert interposer.before is None  # the notes were asked for
    assert len(_written(pull, "email")) == 1  # pulled before the deactivation
    assert _written(pull, "note") == []
    (tenant,) = report.tenants
    assert tenant.error == "the tenant was deactivated: the pull stopped"


async def test_the_same_run_of_an_active_tenant_writes_the_note(pull: Pull, interposer: Interposer) -> None:
    """What the test above withholds: with nothing happening meanwhile, the note is written."""
    await _member_with_an_inmail_and_a_note(pull)

    async def nothing() -> None:
        return None

    interposer.before = nothing
    report = await pull.run()

    assert interposer.before is None
    assert (len(_written(pull, "email")), len(_written(pull, "note"))) == (1, 1)
    assert report.tenants[0].error is None
