"""The way in of every ATS change: stored in the mirror, then owed to LinkedIn, in the caller's transaction.

`apply_ats_changes()` is what the webhook route and reconcile both call. Per change, in order and as if
one by one: the mirror stores it (or says it changed nothing), and every LinkedIn record it affects is owed
through the outbox — the record itself, the children a deletion took with it (first), and the records that
embed it: applications, and a user's notes and feedback (docs/architecture.md#flows).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.links import service as link_service
from rsc_service.mirror import service as mirror_service
from rsc_service.mirror.changes import Change
from rsc_service.mirror.unit import MirrorUnit, Record
from rsc_service.outbox import dead_letters
from rsc_service.outbox import service as outbox_service
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Intent
from rsc_service.push.candidates import STAGES
from rsc_service.push.fields import PRIVATE, PushContext
from rsc_service.push.notes import MOVING, elsewhere
from rsc_service.push.postings import ACLS
from rsc_service.push.registry import RESOURCES, Registry
from rsc_service.seats import service as seat_service

# Per mirror kind, the rows filed under a record (path_parent) that are deleted once its intents no longer
# name them.
_PRUNED = {STAGES.kind: STAGES.name, ACLS.kind: ACLS.name}


class TenantRef(Protocol):
    """What the push needs of a tenant: a Tenant row, or the snapshot the webhook intake keeps of one."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def linkedin_organization_urn(self) -> str | None: ...  # None until onboarding connects the customer

    @property
    def job_availability(self) -> str | None: ...  # the customer's choice (P9); None: private


class _Owing:
    """One run's reads and debts: the mirror unit, the manual links, the seat holders, and the outbox rows
    owed so far."""

    def __init__(self, session: AsyncSession, resources: Registry) -> None:
        self.unit = MirrorUnit(session)
        self.resources = resources
        self.owed: list[outbox_service.Owed] = []
        self._links: dict[tuple[uuid.UUID, str], str | None] = {}
        self._members: dict[tuple[uuid.UUID, str], str | None] = {}  # (tenant, ATS user) -> seat holder

    async def load_links(self, tenant_id: uuid.UUID, candidate_ids: Sequence[str]) -> None:
        wanted = sorted({c for c in candidate_ids if (tenant_id, c) not in self._links})
        if not wanted:
            return
        found = await link_service.manual_members(
            self.unit.session, tenant_id=tenant_id, candidate_ids=wanted
        )
        self._links.update(((tenant_id, candidate), found.get(candidate)) for candidate in wanted)

    async def load_members(self, tenant_id: uuid.UUID, user_ids: Iterable[str]) -> None:
        """The member URN of each of `user_ids` holding an active seat, read once per run for every user.

        Read in a turn on the tenant's seat holders held until commit, so a seat change made meanwhile waits
        for the ACL rows owed here, or this waits for it (docs/linkedin.md#job-acls)."""
        wanted = sorted({u for u in user_ids if (tenant_id, u) not in self._members})
        if not wanted:
            return
        found = await seat_service.members(self.unit.session, tenant_id, wanted)
        self._members.update(((tenant_id, user), found.get(user)) for user in wanted)

    async def owe(
        self, tenant: TenantRef, record: Record, *, extra_dependencies: Sequence[str] = ()
    ) -> list[Intent]:
        organization = tenant.linkedin_organization_urn
        if organization is None:
            # Not connected to LinkedIn yet: the mirror keeps the record and the initial sync pushes it
            # once the customer is enabled (docs/onboarding.md#initial-sync).
            return []
        context = await self._context(tenant, organization, record)
        intents = self.resources.intents_for(record.kind, record.data, deleted=record.deleted, ctx=context)
        if extra_dependencies:
            intents = [
                dataclasses.replace(i, depends_on=(*i.depends_on, *extra_dependencies)) for i in intents
            ]
        # An application's stage whose entry left its history is deleted on LinkedIn too, and so is a job's
        # ACL whose user left its hiring team, or every one of them once the job is no longer restricted.
        prune = None
        if not record.deleted and (pruned := _PRUNED.get(record.kind)) is not None:
            prune = (pruned, record.ats_id)
        self.owed.append(
            outbox_service.Owed(
                tenant.id,
                intents,
                record.version,
                prune=prune,
                moves=record.kind in MOVING,
                retire=elsewhere(record.kind, record.ats_id, intents),
            )
        )
        return intents

    async def _context(self, tenant: TenantRef, organization: str, record: Record) -> PushContext:
        """What the record's payloads embed from other mirror records (names, titles, authors, links)."""
        job = candidate = None
        if record.kind == "application":
            job = await self.unit.find(tenant.id, "job", record.job_id or "")
            candidate = await self.unit.find(tenant.id, "candidate", record.candidate_id or "")
        users = await self.unit.find_many(tenant.id, "user", mirror_service.user_ids(record.data))
        manual = None
        if record.kind == "candidate":
            await self.load_links(tenant.id, [record.ats_id])
            manual = self._links[(tenant.id, record.ats_id)]
        members: dict[str, str] = {}
        team = _acl_users([record.data]) if record.kind == "job" else set()
        if team:
            await self.load_members(tenant.id, team)
            members = {user: m for user in team if (m := self._members[(tenant.id, user)]) is not None}
        return PushContext(
            integration_context=organization,
            job_availability=tenant.job_availability or PRIVATE,
            manual_matched_member=manual,
            job=job.data if job else None,
            candidate=candidate.data if candidate else None,
            users={user.ats_id: user.data for user in users if not user.deleted},
            members=members,
        )

    async def write(self, *, now: datetime) -> None:
        # The new mirror records go in the outbox's INSERT statement: one round trip for both tables.
        await outbox_service.enqueue(self.unit.session, self.owed, now=now, along=[self.unit.take_new()])


async def apply_ats_changes(
    session: AsyncSession,
    changes: Sequence[tuple[TenantRef, Change]],
    *,
    now: datetime,
    resources: Registry = RESOURCES,
) -> list[Record | None]:
    """Apply each change in order, as if one by one: per change the record stored, or None if nothing changed.

    What the changes will read is loaded first in a few statements; the mirror's new records and the outbox
    rows owed are written together after the last change.
    """
    run = _Owing(session, resources)
    tenants = {tenant.id: tenant for tenant, _ in changes}
    for tenant_id in tenants:
        mine = [change for tenant, change in changes if tenant.id == tenant_id]
        await mirror_service.load_for(run.unit, tenant_id, mine)
        candidates = [c.ats_id for c in mine if c.kind == "candidate"]
        # A candidate not in the mirror yet has no record to lock: its link, made at the same moment, waits
        # its turn, so whichever commits second sees the other (links.repository.hold).
        new = [c for c in candidates if await run.unit.find(tenant_id, "candidate", c) is None]
        await link_service.hold(session, tenant_id, new)
        await run.load_links(tenant_id, candidates)
        # Restricted jobs' hiring teams, as changed and as stored (a deletion carries its tombstone only).
        jobs = [c.data for c in mine if c.kind == "job"] + [
            r.data for r in run.unit.loaded(tenant_id) if r.kind == "job"
        ]
        await run.load_members(tenant_id, _acl_users(jobs))
    stored: list[Record | None] = []
    with session.no_autoflush:  # the unit answers from memory what this run changed
        for tenant, change in changes:
            done = await mirror_service.store(run.unit, tenant.id, change, now=now)
            if done is None:  # we already hold this version or a newer one: nothing changes, nothing is sent
                stored.append(None)
                continue
            children: list[str] = []
            for child in done.cascaded:  # the children's deletions go first (docs/architecture.md#8-deleting)
                children += [f"{i.resource}:{i.key}" for i in await run.owe(tenant, child)]
            await run.owe(tenant, done.record, extra_dependencies=children)
            # The applications embedding a job or candidate, the notes and feedback embedding a user's name.
            for embedder in await mirror_service.embedding(run.unit, tenant.id, done.record):
                await run.owe(tenant, embedder)
            stored.append(done.record)
    await run.write(now=now)
    return stored


def _acl_users(jobs: Iterable[Mapping[str, Any]]) -> set[str]:
    """The ATS users restricted jobs are shown to: their ACL assignees, if they hold a seat."""
    return {user for job in jobs if job.get("restricted") for user in mirror_service.user_ids(job)}


async def owe_again(
    session: AsyncSession,
    *,
    tenant: TenantRef,
    kind: str,
    ats_id: str,
    now: datetime,
    resources: Registry = RESOURCES,
) -> Record | None:
    """Owe LinkedIn again what the mirror holds now for one record (after a link, or on replay)."""
    found = await owe_records(session, tenant=tenant, keys=[(kind, ats_id)], now=now, resources=resources)
    return found[0] if found else None


async def owe_records(
    session: AsyncSession,
    *,
    tenant: TenantRef,
    keys: Sequence[tuple[str, str]],
    now: datetime,
    resources: Registry = RESOURCES,
) -> list[Record]:
    """Owe LinkedIn again what the mirror holds now for each (kind, ATS id) it has, written together: a
    setting that every payload embeds changed (job availability), or the initial sync. Returns the records."""
    run = _Owing(session, resources)
    found = []
    for kind, ats_id in keys:
        record = await run.unit.find(tenant.id, kind, ats_id)
        if record is not None:
            await run.owe(tenant, record)
            found.append(record)
    if found:
        await run.write(now=now)
    return found


async def replay_dead_letters(
    session: AsyncSession,
    *,
    tenant: TenantRef,
    ids: Sequence[int] | None,
    replay_all: bool,
    now: datetime,
    resources: Registry = RESOURCES,
) -> dead_letters.Replayed:
    """Send a tenant's dead letters again, each rebuilt from its record's current version in the mirror."""
    # A restricted job rebuilt reads its seat holders after the dead rows are locked: the reader's turn is
    # taken first, so a seat change in its turn never waits for a dead row locked here
    # (docs/linkedin.md#job-acls).
    await seat_service.hold_holders(session, tenant.id)
    return await dead_letters.replay(
        session,
        tenant_id=tenant.id,
        ids=ids,
        replay_all=replay_all,
        rebuild=rebuilder(tenant, now=now, resources=resources),
        now=now,
    )


def rebuilder(tenant: TenantRef, *, now: datetime, resources: Registry = RESOURCES) -> dead_letters.Rebuild:
    """For dead-letter replay: each row re-owed from its record's current version in the mirror. A row no
    single record builds (an ACL assignee) keeps its stored payload."""

    async def rebuild(session: AsyncSession, row: OutboxMessage) -> None:
        origin = resources.origin(row.resource, row.key, row.path_parent)
        if origin is not None:
            kind, ats_id = origin
            await owe_again(session, tenant=tenant, kind=kind, ats_id=ats_id, now=now, resources=resources)

    return rebuild
