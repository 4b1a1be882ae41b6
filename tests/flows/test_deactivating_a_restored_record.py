"""A candidate landed on LinkedIn; its deletion was sent but failed (503), then the ATS restored it. A
deactivation that deletes LinkedIn's copy must still delete that candidate: LinkedIn holds it."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.factories import Ats, candidate, tombstone
from tests.flows.conftest import add_fault, deactivated, drain, linkedin_world, outbox_rows

KEY = {"atsCandidateId": "cand_1", "dataProvider": "ATS", "integrationContext": "urn:li:organization:1001"}


async def test_deactivation_deletes_a_candidate_restored_after_its_deletion_failed(
    ats: Ats,
    dispatcher: Dispatcher,
    linkedin_sim: FastAPI,
    linkedin_http: httpx.AsyncClient,
    client: httpx.AsyncClient,
    ctx_li: AppContext,
    clock: FrozenClock,
) -> None:
    await ats.send("candidate.created", candidate())
    await drain(dispatcher, clock, rounds=20)
    world = linkedin_world(linkedin_sim)
    assert world.record("atsCandidates", **KEY) is not None

    # The ATS deletes the candidate; LinkedIn answers the deletion 503 (it never applied it).
    await add_fault(linkedin_http, kind="error", status=503, count=1, pathPrefix="/v2/atsCandidates")
    await ats.send("candidate.deleted", tombstone("candidate", "cand_1", 2))
    await dispatcher.drain_once()
    assert world.record("atsCandidates", **KEY) is not None  # LinkedIn still holds it

    # The ATS restores it before the retry; then the customer is deactivated with LinkedIn's data deleted.
    assert (await ats.send("candidate.created", candidate(version=3))).status_code == 202
    row = (await outbox_rows(ctx_li))[("atsCandidates", "cand_1")]
    assert (row.op, row.state, row.landed_at) == ("upsert", "pending", None)  # its old landing counts no more

    await deactivated(client, ctx_li, clock, ats.tenant_key)

    # LinkedIn must hold nothing of the deactivated customer's candidate.
    assert world.record("atsCandidates", **KEY) is None
