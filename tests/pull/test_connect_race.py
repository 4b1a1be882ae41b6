"""L5 connect before alert while a pull page is under way: the note the member pull writes is recorded
written, not as the page's stale "skipped: no linked candidate"."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx

from rsc_service.pull import service as pull_service
from rsc_service.tenants import service as tenant_service
from tests.pull.conftest import Pull
from tests.seats.conftest import ATS_URL

DAN, EVE = "urn:li:person:m1004", "urn:li:person:m1005"
Hooked = Callable[[str], Awaitable[None]] | None


class Hook(httpx.AsyncBaseTransport):
    """The ATS's API, awaiting `before(external_id)` and `after(external_id)` around each create."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, *, before: Hooked = None, after: Hooked = None
    ) -> None:
        self.inner, self.before, self.after = inner, before, after

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        external_id = None
        if request.method == "POST" and request.content:
            external_id = json.loads(request.content).get("external_id")
        if external_id and self.before:
            await self.before(external_id)
        response = await self.inner.handle_async_request(request)
        if external_id and self.after:
            await self.after(external_id)
        return response


async def race(pull: Pull) -> tuple[str, str]:
    """Dan's note is read by a pull page while Dan is unlinked; during that page Dan is connected and the
    member pull writes his note, recording it after the page's commit. Answers Dan's candidate and note."""
    eve, dan = pull.candidate("Eve", "Prospect"), pull.candidate("Dan", "Candidate")
    await pull.link(eve, EVE)
    pull.clock.advance(minutes=5)
    eves = await pull.note(3001, "m1005", "Eve: strong in Go.")
    pull.clock.advance(seconds=1)
    dans = await pull.note(3001, "m1004", "Dan: call back in May.")
    pull.clock.advance(minutes=1)
    async with pull.ctx.sessionmaker() as session:
        tenant = await tenant_service.get(session, pull.tenancy.tenant_id)
    member_writing, pull_done = asyncio.Event(), asyncio.Event()
    member: list[asyncio.Task[pull_service.MemberPulled]] = []

    async def member_after(external_id: str) -> None:
        if external_id == f"linkedin:notes:{dans}":
            member_writing.set()  # the note landed in the ATS; the member pull records it next
            await pull_done.wait()

    async def pull_before(external_id: str) -> None:
        if external_id == f"linkedin:notes:{eves}" and not member:
            await pull.link(dan, DAN)  # Dan applies and is connected (L5) while the page writes Eve's note
            member.append(
                asyncio.create_task(pull_service.pull_member(member_ctx, pull.apps, tenant, member_urn=DAN))
            )
            await asyncio.wait_for(member_writing.wait(), 30)

    member_http = httpx.AsyncClient(
        transport=Hook(httpx.ASGITransport(app=pull.ats), after=member_after), base_url=ATS_URL
    )
    member_ctx = replace(pull.ctx, ats_http=member_http)
    pull_http = httpx.AsyncClient(
        transport=Hook(httpx.ASGITransport(app=pull.ats), before=pull_before), base_url=ATS_URL
    )
    async with member_http, pull_http:
        report = await replace(pull, ctx=replace(pull.ctx, ats_http=pull_http)).run()
        pull_done.set()
        pulled = await asyncio.wait_for(member[0], 30)
    assert report.failed == [] and pulled.error is None and pulled.notes_written == 1
    notes = {n["external_id"]: n for n in pull.records("note") if n.get("external_id")}
    assert notes[f"linkedin:notes:{dans}"]["candidate_id"] == dan
    return dan, dans


class TestConnectWhileThePullRuns:
    async def test_a_note_the_member_pull_wrote_is_recorded_written(self, pull: Pull) -> None:
        """Else the note is missing from the candidate's LinkedIn activity (R7, R8)."""
        dan, dans = await race(pull)

        [item] = [i for i in await pull.items() if i.item_id == dans]
        assert (item.outcome, item.reason, item.ats_candidate_id) == ("written", None, dan)

    async def test_that_note_deleted_in_recruiter_is_withdrawn_from_the_ats(self, pull: Pull) -> None:
        """Else a note deleted in Recruiter stays on the ATS candidate."""
        dan, dans = await race(pull)
        pull.clock.advance(minutes=10)
        deleted = await pull.linkedin.delete(f"/_sim/prospect-notes/{dans}")
        assert deleted.json()["active"] is False
        pull.clock.advance(minutes=1)

        assert (await pull.run()).failed == []

        live = [n for n in pull.records("note") if n.get("external_id") and "deleted_at" not in n]
        assert [n["external_id"] for n in live if n["candidate_id"] == dan] == []
