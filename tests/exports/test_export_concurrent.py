"""Two exports of one member acted on at once (two recruiters, or a double click), each in its own sessions
on a database of its own (separate connections on PostgreSQL): docs/exports.md says "A second candidate is
never created"."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.exports import repository
from rsc_service.exports.models import Export
from rsc_service.links.models import CandidateLink
from tests.committed import database_url, engine, sessionmaker, settings  # noqa: F401
from tests.exports.conftest import MEMBER, Recruiter, candidates, ours, taken_over
from tests.factories import make_tenant


def new_candidates(ats_sim: FastAPI, before: set[object]) -> list[str]:
    return [str(c["id"]) for c in candidates(ats_sim) if c["id"] not in before]


async def test_two_exports_of_one_member_at_once_create_one_candidate(
    ctx_seats: AppContext, recruiter: Recruiter, job: str, ats_sim: FastAPI
) -> None:
    """A double click in Recruiter would leave the member twice in the ATS."""
    first = await recruiter.requested(job)
    second = await recruiter.requested(job)
    before = {c["id"] for c in candidates(ats_sim)}
    recruiter.hold()
    both_there = asyncio.Barrier(2)

    async def mine(_session: object) -> bool:  # neither records before both have written
        await asyncio.wait_for(both_there.wait(), timeout=60)
        return True

    done = await asyncio.gather(recruiter.process(first, mine), recruiter.process(second, mine))

    made = new_candidates(ats_sim, before)
    assert len(made) == 1
    assert [row.ats_candidate_id if row is not None else None for row in done] == made * 2
    async with ctx_seats.sessionmaker() as session:
        links = (await session.scalars(select(CandidateLink).where(CandidateLink.member_urn == MEMBER))).all()
    assert [link.ats_candidate_id for link in links] == made


async def test_an_export_of_a_member_whose_earlier_export_is_still_being_written_creates_no_second_candidate(
    ctx_seats: AppContext, recruiter: Recruiter, job: str, ats_sim: FastAPI
) -> None:
    """An export acted on while an earlier one of the member is cut off after writing its candidate would
    create the member again."""
    first = await recruiter.requested(job)
    second = await recruiter.requested(job)
    before = {c["id"] for c in candidates(ats_sim)}
    recruiter.hold()
    assert await recruiter.process(first, taken_over) is None  # the candidate is written, nothing recorded

    second_row = await recruiter.process(second, ours)
    first_row = await recruiter.process(first, ours)

    made = new_candidates(ats_sim, before)
    assert len(made) == 1
    assert first_row is not None and (first_row.outcome, first_row.ats_candidate_id) == ("created", made[0])
    assert second_row is not None
    assert (second_row.outcome, second_row.ats_candidate_id) == ("already_assigned", made[0])


async def test_an_export_following_one_that_never_records_links_the_candidate_it_wrote(
    ctx_seats: AppContext, recruiter: Recruiter, job: str, ats_sim: FastAPI
) -> None:
    """The first export is cut off after writing the member's candidate and its notification never comes
    back (it gave up, or expired): the member would stay unlinked, and every later export of the member
    would follow that first one's `writing` row again without ever linking it."""
    first = await recruiter.requested(job)
    second = await recruiter.requested(job)
    third = await recruiter.requested(job)
    before = {c["id"] for c in candidates(ats_sim)}
    recruiter.hold()
    assert await recruiter.process(first, taken_over) is None  # written, nothing recorded, never tried again

    second_row = await recruiter.process(second, ours)

    made = new_candidates(ats_sim, before)
    assert len(made) == 1
    assert second_row is not None and second_row.ats_candidate_id == made[0]
    async with ctx_seats.sessionmaker() as session:
        links = (await session.scalars(select(CandidateLink).where(CandidateLink.member_urn == MEMBER))).all()
    assert [link.ats_candidate_id for link in links] == made
    # A later export finds the member linked: it is that candidate, and follows no `writing` row.
    third_row = await recruiter.process(third, ours)
    assert third_row is not None
    assert (third_row.outcome, third_row.ats_candidate_id) == ("already_assigned", made[0])
    assert new_candidates(ats_sim, before) == made


async def test_two_exports_beginning_the_members_candidate_at_once_agree_on_one(ctx: AppContext) -> None:
    """Two workers each finding no candidate of the member under way would both create one."""
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: the second transaction begins after the first commits")
    async with ctx.sessionmaker.begin() as session:
        tenant_id = (await make_tenant(session, ctx)).tenant.id

    async def begin(session: AsyncSession, request_id: str) -> Export:
        return await repository.creating(
            session, tenant_id=tenant_id, request_id=request_id, member_urn=MEMBER, job_id=None,
            seat_urn=None, ats_user_id=None, month="2026-12", now=ctx.clock(),
        )  # fmt: skip

    async def second() -> str:
        async with ctx.sessionmaker.begin() as session:
            return (await begin(session, "urn:li:request:second")).request_id

    first = ctx.sessionmaker()
    await first.begin()
    assert (await begin(first, "urn:li:request:first")).request_id == "urn:li:request:first"
    waiting = asyncio.create_task(second())
    await asyncio.sleep(0.5)
    assert not waiting.done()  # it waits for the first to commit what it began
    await first.commit()
    await first.close()

    assert await asyncio.wait_for(waiting, timeout=30) == "urn:li:request:first"
