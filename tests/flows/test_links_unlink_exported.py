"""Unlinking by hand a candidate LinkedIn could match only by its link (docs/in-ats.md#links-by-hand-l3): a
candidate made by One-Click Export has no email address (docs/exports.md step 5)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from rsc_service.context import AppContext
from rsc_service.links.models import CandidateLink
from rsc_service.links_api.models import LinkChange
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.simulators.linkedin.world import World as LinkedInWorld
from tests.conftest import FrozenClock
from tests.exports.conftest import (  # noqa: F401 - the exports' world: seats, both simulators, a recruiter
    MEMBER,
    Recruiter,
    app,
    ats_sim,
    ats_world,
    callbacks,
    candidates,
    ctx_seats,
    linkedin_sim,
    recruiter,
    running,
    service_asgi,
    synced_job,
    tenancy,
)
from tests.flows.conftest import drain
from tests.seats.conftest import Tenancy


async def test_unlinking_an_exported_candidate_by_hand_is_refused_while_linkedin_could_not_be_told(
    ctx_seats: AppContext,  # noqa: F811
    client: httpx.AsyncClient,
    tenancy: Tenancy,  # noqa: F811
    recruiter: Recruiter,  # noqa: F811
    ats_sim: FastAPI,  # noqa: F811
    linkedin_sim: FastAPI,  # noqa: F811
    dispatcher: Dispatcher,
    clock: FrozenClock,
) -> None:
    """The unlink answered 200 while the candidate's PUT, with nothing left to match it by, could not be sent:
    the ATS showed the candidate unlinked and LinkedIn kept it as the member. It is refused, and nothing
    changes on either side."""
    job_id = await synced_job(ats_sim, dispatcher, clock)
    await recruiter.export(job_id)
    await recruiter.act()
    await recruiter.deliver()
    await drain(dispatcher, clock, rounds=20)
    candidate_id = next(c["id"] for c in candidates(ats_sim) if c["last_name"] == "Scully")
    world: LinkedInWorld = linkedin_sim.state.world

    def at_linkedin() -> list[object]:
        return [
            fields.get("manualMatchedMember")
            for _, fields in world.collection("atsCandidates").where(atsCandidateId=candidate_id)
        ]

    assert at_linkedin() == [MEMBER]  # the export's link reached LinkedIn

    # "Not this member": the recruiter unlinks the candidate in the ATS's LinkedIn tab.
    unlinked = await client.delete(
        f"/v1/integration/candidates/{candidate_id}/link", headers=tenancy.auth, params={"ats_user_id": "u1"}
    )
    assert unlinked.status_code == 409, unlinked.text
    assert unlinked.headers["content-type"].startswith("application/problem+json")
    assert unlinked.json()["code"] == "unlink_unsendable"
    await drain(dispatcher, clock, rounds=20)

    async with ctx_seats.sessionmaker() as session:
        link = await session.scalar(
            select(CandidateLink).where(CandidateLink.ats_candidate_id == candidate_id)
        )
        audited = await session.scalar(
            select(func.count()).select_from(LinkChange).where(LinkChange.ats_candidate_id == candidate_id)
        )
    assert link is not None and (link.member_urn, link.source) == (MEMBER, "export")
    assert audited == 0
    assert at_linkedin() == [MEMBER]  # what the ATS says is what LinkedIn holds
    read = await client.get(f"/v1/integration/candidates/{candidate_id}/link", headers=tenancy.auth)
    assert read.json()["member_urn"] == MEMBER
