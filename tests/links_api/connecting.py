"""Connect before alert between the fake ATS and the LinkedIn simulator, in the pull's world: a new applicant
reaching the service, the Recruiter history of Dan's member at LinkedIn, the connect call, and LinkedIn
failing on purpose. Shared by tests/links_api and tests/pull/test_connect.py."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from rsc_service.outbox.dispatcher import Dispatcher
from tests.flows.conftest import drain
from tests.pull.conftest import Pull
from tests.seats.conftest import delivered

DAN = "urn:li:person:m1004"  # the simulator's member whose email is dan@candidates.example


async def applies(pull: Pull, ats_sim: FastAPI, address: str) -> str:
    """A new applicant in the fake ATS whose webhook reaches the service; not sent to LinkedIn yet."""
    candidate = pull.candidate(emails=[{"address": address}])
    ats_sim.state.webhooks.release()
    await delivered(ats_sim)
    # The notes and emails written next would be posted back as webhooks; nothing here reads them.
    ats_sim.state.webhooks.pause()
    return candidate


async def arrives(pull: Pull, ats_sim: FastAPI, dispatcher: Dispatcher, address: str) -> str:
    """A new applicant in the fake ATS: its webhook reaches the service, and the outbox sends it."""
    candidate = await applies(pull, ats_sim, address)
    await drain(dispatcher, pull.clock)
    return candidate


async def history(pull: Pull, note: str = "Strong in Rust.") -> tuple[str, str]:
    """Five minutes on, seat 3001 writes Dan's member a Recruiter note and an InMail, and a minute passes:
    the note's and the InMail's ids."""
    pull.clock.advance(minutes=5)
    note_id = await pull.note(3001, "m1004", note)
    inmail_id = await pull.inmail(3001, "m1004", subject="Robotics role", body="Would you talk to us?")
    pull.clock.advance(minutes=1)
    return note_id, inmail_id


async def noted(pull: Pull, note: str = "Strong in Rust.") -> str:
    """Five minutes on, seat 3001 writes Dan's member a Recruiter note, and a minute passes: its id."""
    pull.clock.advance(minutes=5)
    note_id = await pull.note(3001, "m1004", note)
    pull.clock.advance(minutes=1)
    return note_id


async def connect(client: httpx.AsyncClient, pull: Pull, candidate: str) -> httpx.Response:
    return await client.post(f"/v1/integration/candidates/{candidate}/connect", headers=pull.tenancy.auth)


async def fail(pull: Pull, path: str) -> None:
    """LinkedIn answers 500 to every call under `path` until `heal`."""
    fault = {"kind": "error", "status": 500, "pathPrefix": path}
    assert (await pull.linkedin.post("/_sim/faults", json=fault)).status_code in (200, 201)


async def heal(pull: Pull) -> None:
    assert (await pull.linkedin.delete("/_sim/faults")).status_code == 204
