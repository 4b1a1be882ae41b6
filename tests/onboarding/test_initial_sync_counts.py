"""The initial sync counts each record once per walk (docs/onboarding.md#initial-sync): the ATS lists a record
that changes while the walk pages again at the end (openapi/ats-api.yaml), and a job closed meanwhile is in
both of the job walk's listings. The progress API's walked and total, and the activation email, say how many
records the ATS has; `done` never goes down."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from rsc_service.mirror.models import AtsRecord
from rsc_service.onboarding import initial_sync
from rsc_service.onboarding.initial_sync_dry_run import DryRun, dry_run
from rsc_service.onboarding.initial_sync_walk import Position
from rsc_service.onboarding.models import SetupProgress, WalkedRecord
from rsc_service.simulators.ats import seed
from rsc_service.tenants.models import Stage, Tenant
from tests.conftest import FrozenClock
from tests.factories import Ats
from tests.flows.conftest import clocked_dispatcher, drain
from tests.onboarding.conftest import World
from tests.onboarding.test_initial_sync import (  # noqa: F401 - fixture
    Customer,
    admin_user,
    enabled_tenant,
    linkedin_seed,
    old_job,
    progress_rows,
    stage_of,
    start,
)

PAGE = 10


async def walk_until(
    world: World, customer: Customer, kind: str, seen: list[int]
) -> dict[str, SetupProgress]:
    """Walk one page at a time until `kind` has a page committed (and is not walked to the end)."""
    for _ in range(50):
        step = await initial_sync.continue_initial_sync(world.ctx, customer.id, max_pages=1, page_size=PAGE)
        assert step.state == "stopped", step
        async with world.ctx.sessionmaker() as session:
            rows = await progress_rows(session, customer)
        seen.append(sum(row.done for row in rows.values()))
        if rows[kind].done > 0:
            assert not rows[kind].finished
            return rows
    raise AssertionError(f"no page of {kind} was committed")


async def finish(world: World, clock: FrozenClock, customer: Customer, seen: list[int]) -> None:
    dispatcher = clocked_dispatcher(world.ctx, clock)
    for _ in range(30):
        step = await initial_sync.continue_initial_sync(world.ctx, customer.id, page_size=PAGE)
        async with world.ctx.sessionmaker() as session:
            seen.append(sum(row.done for row in (await progress_rows(session, customer)).values()))
        if step.state == "activated":
            break
        await drain(dispatcher, clock)
        clock.advance(seconds=60)
    assert await stage_of(world.ctx, customer) is Stage.ACTIVE
    assert seen == sorted(seen)  # done never went down


async def reported(world: World, customer: Customer) -> tuple[dict[str, dict[str, Any]], str]:
    body = (await world.client.get("/v1/integration/initial-sync", headers=customer.auth)).json()
    email = next(iter(world.ats.stores["user_email"].records.values()))["body"]
    return {k["kind"]: k for k in body["kinds"]}, email


def in_email(email: str, label: str) -> int:
    found = re.search(rf"([\d,]+) {label}\b", email)
    assert found is not None, email
    return int(found.group(1).replace(",", ""))


async def walked_notes(world: World, customer: Customer) -> int:
    async with world.ctx.sessionmaker() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(WalkedRecord).where(WalkedRecord.tenant_id == customer.id)
            )
            or 0
        )


async def test_a_candidate_changed_after_it_was_walked_is_counted_once(
    world: World, clock: FrozenClock
) -> None:
    admin = admin_user(world)
    seed.generate(world.ats, users=2, jobs=1, candidates=30, seed=29)
    customer = await enabled_tenant(world, clock, admin=admin)
    await start(world, clock, customer)
    seen: list[int] = []
    await walk_until(world, customer, "candidate", seen)
    # The walk's page went to the mirror; the recruiter then edits one of its candidates: listed again.
    async with world.ctx.sessionmaker() as session:
        walked = (
            await session.scalars(
                select(AtsRecord.ats_id).where(
                    AtsRecord.tenant_id == customer.id, AtsRecord.kind == "candidate"
                )
            )
        ).all()
    world.ats.update("candidate", walked[0], {"last_name": "Renamed"})

    await finish(world, clock, customer, seen)

    candidates = world.ats.count("candidate")
    kinds, email = await reported(world, customer)
    assert (kinds["candidate"]["walked"], kinds["candidate"]["total"]) == (candidates, candidates)
    assert in_email(email, "candidates") == candidates == 30
    assert await walked_notes(world, customer) == 0  # each kind's notes went when it was walked


async def test_a_change_webhooked_before_the_walk_lists_the_record_again_is_counted_once(
    world: World, clock: FrozenClock
) -> None:
    """The mirror then holds the version listed, as it does for a record created, or changed before the walk
    reached it, during the walk: only the walk's own notes tell the three apart."""
    admin = admin_user(world)
    seed.generate(world.ats, users=2, jobs=1, candidates=30, seed=31)
    customer = await enabled_tenant(world, clock, admin=admin)
    await start(world, clock, customer)
    seen: list[int] = []
    await walk_until(world, customer, "candidate", seen)
    async with world.ctx.sessionmaker() as session:
        walked = set(
            (
                await session.scalars(
                    select(AtsRecord.ats_id).where(
                        AtsRecord.tenant_id == customer.id, AtsRecord.kind == "candidate"
                    )
                )
            ).all()
        )
    ahead = sorted({c["id"] for c in world.ats.stores["candidate"].live()} - walked)
    assert walked and ahead
    sender = Ats(client=world.client, clock=clock, tenant_key=customer.key, secret=customer.webhook_secret)
    changed = [
        world.ats.update("candidate", sorted(walked)[0], {"last_name": "Renamed"}),  # walked: listed again
        world.ats.update("candidate", ahead[0], {"last_name": "Moved"}),  # not walked yet: listed once
    ]
    created = world.ats.create(
        "candidate",
        {"first_name": "Grace", "last_name": "Hopper", "emails": [{"address": "grace@x.example"}]},
    )
    for event, record in [("candidate.updated", r) for r in changed] + [("candidate.created", created)]:
        delivered = await sender.send(event, record)
        assert delivered.status_code == 202, delivered.text
    async with world.ctx.sessionmaker() as session:
        held = {
            r.ats_id: r.version
            for r in await session.scalars(
                select(AtsRecord).where(AtsRecord.tenant_id == customer.id, AtsRecord.kind == "candidate")
            )
        }
    assert all(held[r["id"]] == r["version"] for r in [*changed, created])  # the webhooks came first

    await finish(world, clock, customer, seen)

    candidates = world.ats.count("candidate")
    kinds, email = await reported(world, customer)
    assert (kinds["candidate"]["walked"], kinds["candidate"]["total"]) == (candidates, candidates)
    assert in_email(email, "candidates") == candidates == 31


async def test_a_job_closed_mid_walk_and_a_skipped_application_listed_again_are_counted_once(
    world: World, clock: FrozenClock
) -> None:
    admin = admin_user(world)
    gone = old_job(world, clock, status="closed")  # closed more than two years ago: its children are skipped
    candidate = world.ats.create(
        "candidate", {"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "ada@x.example"}]}
    )
    # Listed first, so on the application walk's first page.
    orphan = world.ats.create("application", {"candidate_id": candidate["id"], "job_id": gone["id"]})
    seed.generate(world.ats, users=2, jobs=3, candidates=12, seed=37)
    customer = await enabled_tenant(world, clock, admin=admin)
    await start(world, clock, customer)
    seen: list[int] = []

    # An open job, walked in the job walk's first listing, closes: the second listing (closed) has it too.
    await walk_until(world, customer, "job", seen)
    async with world.ctx.sessionmaker() as session:
        job = await session.scalar(
            select(AtsRecord.ats_id).where(AtsRecord.tenant_id == customer.id, AtsRecord.kind == "job")
        )
    assert job is not None
    world.ats.update("job", job, {"status": "closed"})
    # The application of the old job is skipped, changed, and listed (and skipped) again.
    rows = await walk_until(world, customer, "application", seen)
    assert Position.load(rows["application"].cursor).skipped == 1
    world.ats.update("application", orphan["id"], {"stage": "screen"})

    await finish(world, clock, customer, seen)

    jobs = {j["id"] for j in world.ats.stores["job"].live()} - {gone["id"]}
    applications = {a["id"] for a in world.ats.stores["application"].live()} - {orphan["id"]}
    kinds, email = await reported(world, customer)
    assert (kinds["job"]["walked"], kinds["job"]["total"]) == (len(jobs), len(jobs)) == (3, 3)
    assert (kinds["application"]["walked"], kinds["application"]["skipped"]) == (len(applications), 1)
    assert in_email(email, "jobs") == 3
    assert in_email(email, "applications") == len(applications)


async def test_the_dry_run_counts_a_record_listed_again_once_as_its_last_version(
    world: World, clock: FrozenClock
) -> None:
    """The dry run walks as the sync does, so it meets the same repeats: a candidate changed after its page
    was read is listed again, and a job closed meanwhile is in both job listings. Each is counted once, as
    its last listed version is: a candidate made unmatchable meanwhile is refused, one mended is not."""
    mended = world.ats.create("candidate", {"first_name": "Nemo", "last_name": "Nobody"})  # refused as listed
    clock.advance(seconds=1)
    seed.generate(world.ats, users=2, jobs=3, candidates=24, seed=41)
    customer = await enabled_tenant(world, clock, admin=admin_user(world))
    async with world.ctx.sessionmaker() as session:
        tenant = await session.get(Tenant, customer.id)
    assert tenant is not None
    changed: dict[str, str] = {}

    def edit(report: DryRun) -> None:
        # After the first page of jobs and of candidates: change what it listed, so the walk lists it again.
        walking = [k for k in report.kinds if k.listed][-1].kind
        if walking in changed:
            return
        if walking == "job":
            job = next(j for j in world.ats.stores["job"].live() if j["status"] == "open")
            world.ats.update("job", job["id"], {"status": "closed"})
            changed["job"] = job["id"]
        elif walking == "candidate":
            listed = [c["id"] for c in world.ats.list_records("candidate", limit=PAGE)[0]]
            assert mended["id"] in listed
            world.ats.update("candidate", mended["id"], {"emails": [{"address": "nemo@x.example"}]})
            changed["candidate"] = next(c for c in listed if c != mended["id"])
            world.ats.update("candidate", changed["candidate"], {"emails": [], "linkedin_url": None})

    report = await dry_run(world.ctx, tenant, page_size=PAGE, on_page=edit)

    assert set(changed) == {"job", "candidate"}
    kinds = {k.kind: k for k in report.kinds}
    candidates = world.ats.count("candidate")
    counted = kinds["candidate"]
    assert (counted.listed, counted.synced, counted.records, counted.refused) == (
        candidates,
        candidates,
        candidates,
        1,
    )
    assert [(r.kind, r.ats_id) for r in report.refusals] == [("candidate", changed["candidate"])]
    jobs = world.ats.count("job")
    assert (kinds["job"].listed, kinds["job"].synced) == (jobs, jobs)
