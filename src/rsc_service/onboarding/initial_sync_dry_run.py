"""The initial sync's dry run (PRODUCT O8): the same walk of the ATS, with nothing written to LinkedIn, the
outbox or the mirror — what would be synced per kind, and every record LinkedIn would refuse, with the reason.

Each listed record goes through the same choice as the sync (initial_sync_walk.classify: jobs of the last two
years, children of synced parents) and then through the push's own payload code
(`push.registry.RESOURCES.intents_for`), so a refusal here is the one the sync would owe as a dead letter:
a candidate with no valid email, no link and no profile URL, a job without a description, a title too long.
What a payload embeds from other records (a job's title and a candidate's names in an application, authors'
names in notes) comes from the records this walk has listed, kept in memory as the walk goes (parents are
walked first); a candidate is kept only with the fields an application embeds. Manual links are read from
the database (read only). Seat holders for restricted jobs' ACLs are not looked up: ACL rows carry only
keys, so no refusal depends on them.

The walk reads every page at once, without the sync's pace: it sends nothing, so there is nothing to pace.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from rsc_service.context import AppContext
from rsc_service.links import service as link_service
from rsc_service.mirror import service as mirror_service
from rsc_service.mirror.changes import Change
from rsc_service.onboarding.initial_sync_walk import (
    JOB_HISTORY,
    KINDS,
    PAGE_SIZE,
    Parents,
    Position,
    classify,
    read_page,
)
from rsc_service.push.fields import PRIVATE, PushContext
from rsc_service.push.registry import RESOURCES, Registry
from rsc_service.tenants import ats as tenant_ats
from rsc_service.tenants.models import Tenant

# Payloads name the organization; before the customer connected one, a stand-in shows what would be refused.
STAND_IN_ORGANIZATION: Final = "urn:li:organization:0"
_EMBEDDED_CANDIDATE: Final = (
    "kind",
    "id",
    "version",
    "created_at",
    "updated_at",
    "first_name",
    "last_name",
    "emails",
)


@dataclass(frozen=True)
class Refusal:
    kind: str
    ats_id: str
    resource: str
    key: str
    reason: str


@dataclass
class KindCount:
    kind: str
    listed: int = 0
    synced: int = 0  # would be synced
    skipped: int = 0  # not synced: a parent not synced, a value the mirror cannot store
    records: int = 0  # LinkedIn records it would owe (an application owes its stages too)
    refused: int = 0  # of those, refused as built


@dataclass
class DryRun:
    kinds: list[KindCount]
    refusals: list[Refusal] = field(default_factory=list)
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, reason) -> records
    finished: bool = False


async def dry_run(
    ctx: AppContext,
    tenant: Tenant,
    *,
    page_size: int = PAGE_SIZE,
    resources: Registry = RESOURCES,
    on_page: Callable[[DryRun], None] | None = None,
) -> DryRun:
    """Walk the tenant's ATS as the initial sync would and build every payload; writes nothing."""
    client = await tenant_ats.ats_client(ctx, tenant)
    cutoff = ctx.clock() - JOB_HISTORY
    organization = tenant.linkedin_organization_urn or STAND_IN_ORGANIZATION
    report = DryRun(kinds=[KindCount(kind) for kind in KINDS])
    known = _Known()
    for count in report.kinds:
        position = Position()
        counted: dict[str, _Counted] = {}  # what each record listed so far added to the counts
        while True:
            page = await read_page(client, count.kind, position, cutoff=cutoff, limit=page_size)
            synced, skipped = classify(count.kind, page.records, known.parents)
            # A record listed again (changed after its page was read, or a job closed meanwhile, in both job
            # listings) counts once, as its last listed version: what its earlier listing added comes off.
            for ats_id in {c.ats_id for c in synced} | {s.ats_id for s in skipped}:
                if (earlier := counted.pop(ats_id, None)) is not None:
                    earlier.take_back(count, report)
            count.listed += len(page.records)  # each record is synced or skipped
            count.synced += len(synced)
            count.skipped += len(skipped)
            report.skipped.update((s.kind, s.reason) for s in skipped)
            for s in skipped:
                counted[s.ats_id] = _Counted(skipped=s.reason)
            links = await _links(ctx, tenant, [c.ats_id for c in synced if c.kind == "candidate"])
            for change in synced:
                known.remember(change)
                context = PushContext(
                    integration_context=organization,
                    job_availability=tenant.job_availability or PRIVATE,
                    manual_matched_member=links.get(change.ats_id) if change.kind == "candidate" else None,
                    job=known.parents.jobs.get(change.job_id or "") if change.kind == "application" else None,
                    candidate=known.candidates.get(change.candidate_id or "")
                    if change.kind == "application"
                    else None,
                    users=known.users_of(change.data),
                )
                intents = resources.intents_for(change.kind, change.data, deleted=False, ctx=context)
                count.records += len(intents)
                made = counted[change.ats_id] = _Counted(records=len(intents))
                for intent in intents:
                    if intent.refused is not None:
                        count.refused += 1
                        made.refusals.append(
                            Refusal(change.kind, change.ats_id, intent.resource, intent.key, intent.refused)
                        )
                report.refusals.extend(made.refusals)
            if on_page is not None:
                on_page(report)
            if page.finished:
                break
            position = page.after
    report.finished = True
    return report


@dataclass
class _Counted:
    """What one listed record added to its kind's counts: skipped (with the reason), or synced."""

    skipped: str | None = None
    records: int = 0
    refusals: list[Refusal] = field(default_factory=list)

    def take_back(self, count: KindCount, report: DryRun) -> None:
        count.listed -= 1
        if self.skipped is not None:
            count.skipped -= 1
            report.skipped[(count.kind, self.skipped)] -= 1
            return
        count.synced -= 1
        count.records -= self.records
        count.refused -= len(self.refusals)
        if self.refusals:
            report.refusals[:] = [r for r in report.refusals if r not in self.refusals]


class _Known:
    """What the walk has listed so far that later payloads embed or later children check."""

    def __init__(self) -> None:
        self.parents = Parents()
        self.candidates: dict[str, dict[str, Any]] = {}
        self.users: dict[str, Mapping[str, Any]] = {}

    def remember(self, change: Change) -> None:
        data = change.data
        if change.kind == "user":
            self.users[change.ats_id] = data
        elif change.kind == "job":
            self.parents.jobs[change.ats_id] = data
        elif change.kind == "candidate":
            self.parents.candidates.add(change.ats_id)
            self.candidates[change.ats_id] = {k: data[k] for k in _EMBEDDED_CANDIDATE if k in data}
        elif change.kind == "application":
            self.parents.applications[change.ats_id] = {
                "job_id": data.get("job_id"),
                "candidate_id": data.get("candidate_id"),
            }

    def users_of(self, data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
        return {user: self.users[user] for user in mirror_service.user_ids(data) if user in self.users}


async def _links(ctx: AppContext, tenant: Tenant, candidate_ids: list[str]) -> dict[str, str | None]:
    if not candidate_ids:
        return {}
    async with ctx.sessionmaker() as session:
        return await link_service.manual_members(session, tenant_id=tenant.id, candidate_ids=candidate_ids)
