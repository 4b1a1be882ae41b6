"""Exactly once (PRODUCT R5, R6): the real `rsc-service pull-now`, against both simulators run
standalone, pulls 10,000 Recruiter notes and InMails across hundreds of pages while LinkedIn fails one page
in five, windows overlap, and notes edited mid-run come round again on later pages. The first two runs are
killed (SIGKILL to the process group) in the middle of a page (the fake ATS holds writes the database has not
recorded yet); after the third, the fake ATS holds each item exactly once."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db.leases import JobLease
from rsc_service.db.session import create_engine
from rsc_service.links.models import CandidateLink
from rsc_service.pull.models import PulledItem
from rsc_service.seats.models import Seat
from rsc_service.tenants.models import Stage, Tenant
from tests import processes
from tests.conftest import make_settings
from tests.processes import Sims
from tests.test_cli_backfill import advance, env, partner_ready_tenant

CONTRACT = "urn:li:contract:2001"
MEMBERS = 2000
NOTES = 5000
INMAILS = 5000  # over the three seats; each member has a handful, well under 12 a minute
SPREAD = timedelta(hours=30)  # three 12-hour windows and more
EDITED = 100  # notes already pulled, edited after each kill: LinkedIn serves them again, later
PAGE = 50  # prospect notes per page; InMails go 12 a page
KILLS = (2500, 6000)  # pulled items at which the first and the second run are killed
WITHIN = 240.0
FreshDatabase = Callable[[bool], Awaitable[str]]


def _member(n: int) -> str:
    return f"p{n:05d}"


def linkedin_seed(now: datetime) -> dict[str, Any]:
    start = int((now - SPREAD).timestamp() * 1000)
    step_notes, step_mail = (
        int(SPREAD.total_seconds() * 1000) // NOTES,
        int(SPREAD.total_seconds() * 1000) // INMAILS,
    )
    holders = [
        {"id": f"m100{i}", "firstName": name, "lastName": "Recruiter", "email": f"{name.lower()}@sim.example"}
        for i, name in ((1, "Alice"), (2, "Bob"), (3, "Carol"))
    ]
    members = [{"id": _member(n), "firstName": "Pat", "lastName": f"Prospect {n}"} for n in range(MEMBERS)]
    return {
        "members": holders + members,
        "inmails": [
            {
                "seat": 3001 + n % 3,
                "member": _member((n * 7) % MEMBERS),
                "subject": f"Role {n}",
                "body": f"InMail number {n}",
                "at": start + n * step_mail,
            }
            for n in range(INMAILS)
        ],
        "prospectNotes": [
            {
                "id": f"N{n}",
                "seat": 3001 + n % 3,
                "member": _member((n * 11) % MEMBERS),
                "note": f"Note number {n}",
                "at": start + n * step_notes,
            }
            for n in range(NOTES)
        ],
    }


@pytest.fixture
def sims(tmp_path: Path) -> Iterator[Sims]:
    with processes.simulators(tmp_path) as sims:
        yield sims


@pytest.fixture
async def database(fresh_database: FreshDatabase) -> str:
    return await fresh_database(True)


async def active_world(database: str, sims: Sims, environment: dict[str, str]) -> str:
    """An active tenant, its three seats stored (Alice's connected to an ATS user), a candidate in the fake
    ATS linked to each member, and LinkedIn serving the notes and InMails with one page in five failing."""
    key = await partner_ready_tenant(database, sims, environment)
    await advance(database, key, (Stage.ENABLED, Stage.INITIAL_SYNC, Stage.ACTIVE))
    with httpx.Client(timeout=60) as http:
        rita = http.post(
            f"{sims.ats}/_sim/records/user",
            json={"email": "rita@acme.example", "first_name": "Rita", "last_name": "Recruiter"},
        ).json()["id"]
        candidates = [
            http.post(
                f"{sims.ats}/_sim/records/candidate", json={"first_name": "Pat", "last_name": f"Prospect {n}"}
            ).json()["id"]
            for n in range(MEMBERS)
        ]
        http.post(f"{sims.linkedin}/_sim/seed", json=linkedin_seed(datetime.now(UTC))).raise_for_status()
        for path in ("/v2/prospectNotes", "/v2/conversationEvents"):
            fault = {"kind": "error", "status": 500, "share": 0.2, "pathPrefix": path}
            http.post(f"{sims.linkedin}/_sim/faults", json=fault).raise_for_status()
    engine = create_engine(make_settings(database).database)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            tenant = await session.scalar(select(Tenant).where(Tenant.key == key))
            assert tenant is not None
            now = datetime.now(UTC)
            for n, (seat, holder) in enumerate(((3001, "m1001"), (3002, "m1002"), (3003, "m1003"))):
                session.add(
                    Seat(
                        tenant_id=tenant.id,
                        contract_urn=CONTRACT,
                        seat_id=str(seat),
                        member_urn=f"urn:li:person:{holder}",
                        active=True,
                        roles=[],
                        ats_user_id=rita if n == 0 else None,
                        first_name=("Alice", "Bob", "Carol")[n],
                        last_name="Recruiter",
                        refreshed_at=now,
                    )
                )
            for n, candidate in enumerate(candidates):
                session.add(
                    CandidateLink(
                        tenant_id=tenant.id,
                        ats_candidate_id=candidate,
                        member_urn=f"urn:li:person:{_member(n)}",
                        source="manual",
                        linked_at=now,
                    )
                )
            await session.flush()
    finally:
        await engine.dispose()
    return key


class PullNow(processes.Group):
    """`rsc-service pull-now --tenant KEY` in a process group of its own, so all of it can be killed."""

    def __init__(self, key: str, environment: dict[str, str], log: Path) -> None:
        super().__init__(["pull-now", "--tenant", key], environment, log)


async def pulled(database: str) -> int:
    engine = create_engine(make_settings(database).database)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(PulledItem)) or 0)
    finally:
        await engine.dispose()


async def lease_free(database: str) -> bool:
    engine = create_engine(make_settings(database).database)
    try:
        async with engine.connect() as connection:
            session = AsyncSession(bind=connection)
            lease = await session.get(JobLease, "pull")
            return lease is None or lease.expires_at is None or lease.expires_at < datetime.now(UTC)
    finally:
        await engine.dispose()


async def start_when_free(database: str, key: str, environment: dict[str, str], log: Path) -> PullNow:
    """A killed run keeps the lease until its TTL runs out: start the next once the lease is free."""
    deadline = time.monotonic() + 30
    while True:
        while not await lease_free(database):
            assert time.monotonic() < deadline, "the lease of the killed run never ran out"
            await asyncio.sleep(0.2)
        run = PullNow(key, environment, log)
        while run.running() and await pulled(database) == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        if run.running() or run.process.returncode != 75:
            return run


async def until(database: str, run: PullNow, items: int | None) -> None:
    deadline = time.monotonic() + WITHIN
    while run.running() and (items is None or await pulled(database) < items):
        assert time.monotonic() < deadline, f"not at {items} within {WITHIN:.0f} s:\n{run.stderr()}"
        await asyncio.sleep(0.02)


async def mid_page(database: str, sims: Sims, run: PullNow) -> None:
    """Wait until the fake ATS holds more notes and emails than the database has recorded: the run has
    written part of a page and not committed it yet."""
    deadline = time.monotonic() + WITHIN
    async with httpx.AsyncClient(timeout=30) as http:
        while run.running():
            written = (await http.get(f"{sims.ats}/_sim/state")).json()["counts"]
            if written.get("note", 0) + written.get("email", 0) > await pulled(database):
                return
            assert time.monotonic() < deadline, f"never caught mid-page within {WITHIN:.0f} s"


async def pulled_notes(database: str) -> list[str]:
    engine = create_engine(make_settings(database).database)
    try:
        async with engine.connect() as connection:
            rows = await connection.scalars(select(PulledItem.item_id).where(PulledItem.stream == "notes"))
            return sorted(rows.all())
    finally:
        await engine.dispose()


def edit_notes(sims: Sims, note_ids: list[str]) -> None:
    """Recruiters edit notes already pulled: LinkedIn serves them again, later, with a new lastModified."""
    with httpx.Client(timeout=30) as http:
        for note_id in note_ids:
            n = int(note_id[1:])
            note = {
                "id": note_id,
                "seat": 3001 + n % 3,
                "member": _member((n * 11) % MEMBERS),
                "note": "edited",
            }
            http.post(f"{sims.linkedin}/_sim/prospect-notes", json=note).raise_for_status()


class TestExactlyOnce:
    async def test_three_runs_two_of_them_killed_write_each_item_once(
        self, database: str, sims: Sims, tmp_path: Path
    ) -> None:
        environment = env(database, sims) | {
            "RSC_SCHEDULER__LEASE_TTL_SECONDS": "3",
            "RSC_PULL__INITIAL_LOOKBACK_HOURS": "48",
            "RSC_PULL__PAGE_SIZE": str(PAGE),
            "RSC_PULL__PAGE_RETRIES": "8",
            "RSC_LOGGING__LEVEL": "WARNING",
        }
        key = await active_world(database, sims, environment)
        runs: list[PullNow] = []
        edited: list[str] = []
        try:
            for n, at in enumerate(KILLS):
                run = await start_when_free(database, key, environment, tmp_path / f"run{n}")
                runs.append(run)
                await until(database, run, at)
                await mid_page(database, sims, run)
                assert run.running(), f"run {n} ended before it was killed:\n{run.stderr()}"
                assert run.kill() == -signal.SIGKILL
                edited += (await pulled_notes(database))[:EDITED]
                edit_notes(sims, edited)
            last = await start_when_free(database, key, environment, tmp_path / "run2")
            runs.append(last)
            await until(database, last, None)
        finally:
            for run in runs:
                run.kill()
        assert last.process.returncode in (0, 1), last.stderr()
        outcome = json.loads(last.out.read_text())
        streams = outcome["tenants"][0]["streams"]

        with httpx.Client(timeout=60) as http:
            notes = [n for n in http.get(f"{sims.ats}/_sim/records/note").json() if n.get("external_id")]
            emails = http.get(f"{sims.ats}/_sim/records/email").json()
            duplicates = http.get(f"{sims.ats}/_sim/duplicates").json()
            faults = http.get(f"{sims.linkedin}/_sim/faults").json()["elements"]
        by_id = Counter(record["external_id"] for record in notes + emails)
        assert len(by_id) == NOTES + INMAILS, (len(by_id), streams)
        assert max(by_id.values()) == 1
        assert {n["external_id"] for n in notes} == {f"linkedin:notes:N{n}" for n in range(NOTES)}
        assert len(emails) == INMAILS
        # An edited note is not written again: its one ATS note keeps the text it was first pulled with.
        first = {n["external_id"]: n["body"] for n in notes}
        assert edited, "no note had been pulled by the second kill"
        assert {first[f"linkedin:notes:{i}"] for i in edited} == {f"Note number {i[1:]}" for i in edited}
        # Only what a killed run had written but not yet recorded was sent again: at most a page per kill,
        # and at least one item (a kill did land mid-page).
        assert 1 <= len(duplicates) <= len(KILLS) * PAGE, len(duplicates)
        assert sum(rule["hits"] for rule in faults) > 0  # LinkedIn did fail pages along the way
        assert await pulled(database) == NOTES + INMAILS
