"""One-Click Export (R1, docs/exports.md): an EXPORT_CANDIDATE_PROFILE notification → the export read from
LinkedIn → the linked candidate assigned to the job chosen, or a new candidate with only the member's name,
current title and employer → linked to the member (source `export`), which the candidate's next PUT tells
LinkedIn. Once per request id.

`process()` owns its transactions: it reads, takes one unit of the seat's monthly allowance for the request
id (atomically, so two exports at once cannot both take the last; given back if the ATS write fails), marks
a new candidate of the member as being written (one export of a member at a time; a later one writes that
same candidate), writes to the ATS (keyed by the request id, so a repeated try writes nothing twice and
finishes what an earlier try began), then records the outcome and settles the notification together, in
one transaction, if `fence` says the notification is still this worker's.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.candidates import service as candidate_service
from rsc_service.context import AppContext
from rsc_service.exports import decide, repository
from rsc_service.exports.models import DONE, WRITING, Export, ExportSettings, Outcome
from rsc_service.integrations.ats import errors as ats_errors
from rsc_service.integrations.ats import wire as ats
from rsc_service.integrations.linkedin import wire as li
from rsc_service.links import service as link_service
from rsc_service.links.models import LinkSource
from rsc_service.mirror import service as mirror_service
from rsc_service.seats import service as seat_service
from rsc_service.tenants import ats as tenant_ats
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.apps import TenantApps
from rsc_service.tenants.models import Tenant

log = structlog.get_logger()
Fence = Callable[[AsyncSession], Awaitable[bool]]


@dataclass(frozen=True)
class Choices:
    """What an export writes into the ATS (the tenant's settings, or the defaults)."""

    source: str = decide.DEFAULT_SOURCE
    stage: str | None = None  # None: the job's first stage
    sourcer_user_id: str | None = None  # None: the exporting user


@dataclass
class _Plan:
    outcome: Outcome
    detail: str | None = None
    member: str | None = None
    seat: str | None = None
    ats_user_id: str | None = None
    job_id: str | None = None
    candidate_id: str | None = None  # the linked candidate, for ASSIGNED and the like
    create: ats.CandidateCreate | None = None
    likely_duplicate_of: str | None = None


async def choices(session: AsyncSession, tenant_id: uuid.UUID) -> Choices:
    row = await repository.settings(session, tenant_id)
    if row is None:
        return Choices()
    return Choices(row.source, row.stage, row.sourcer_user_id)


async def set_choices(
    session: AsyncSession, tenant_id: uuid.UUID, chosen: Choices, *, now: datetime
) -> Choices:
    row = await repository.settings(session, tenant_id)
    if row is None:
        row = ExportSettings(tenant_id=tenant_id)
        session.add(row)
    row.source, row.stage, row.sourcer_user_id, row.updated_at = (
        chosen.source,
        chosen.stage,
        chosen.sourcer_user_id,
        now,
    )
    await session.flush()
    return chosen


async def recent(
    session: AsyncSession, tenant_id: uuid.UUID, *, outcome: str | None, likely_duplicates: bool, limit: int
) -> Sequence[Export]:
    return await repository.recent(
        session, tenant_id, outcome=outcome, likely_duplicates=likely_duplicates, limit=limit
    )


async def process(
    ctx: AppContext, apps: TenantApps, *, tenant_id: uuid.UUID, request_id: str, fence: Fence
) -> Export | None:
    """Act on one export notification. Returns what became of it, or None when `fence` says another worker
    has the notification now (nothing of ours is written then; the ATS writes are keyed and safe)."""
    async with ctx.sessionmaker() as session:
        tenant = await tenant_service.get(session, tenant_id)
        own = await repository.own(session, tenant_id, request_id)
        earlier = own if own is not None and own.outcome != WRITING else None
        began_candidate = own is not None and own.outcome == WRITING
        # A unit held already: an earlier try decided to write and may have written, so this one finishes
        # what it began rather than deciding again from what has changed since (docs/exports.md).
        finishing = await repository.held(session, tenant_id, request_id) is not None
    if earlier is not None:  # acted on before; only the notification is left to close
        async with ctx.sessionmaker.begin() as session:
            return earlier if await fence(session) else None
    tenant_app = await apps.for_tenant(tenant_id)
    page = await tenant_app.app.get_exported_candidates(request_id)
    now = await ctx.db_now()
    async with ctx.sessionmaker() as session:
        chosen = await choices(session, tenant_id)
        plan = await _plan(
            session,
            tenant,
            page.elements,
            chosen,
            key=decide.external_id(request_id),
            finishing=finishing,
            began_candidate=began_candidate,
        )
    month = decide.month_of(now)
    counted = plan.seat if plan.outcome in DONE else None  # the seat whose allowance the export uses

    async def reserve(session: AsyncSession, seat: str, limit: int | None) -> str | None:
        return await repository.reserve(
            session, tenant_id=tenant_id, request_id=request_id, seat_urn=seat, month=month, now=now,
            limit=limit,
        )  # fmt: skip

    first: Export | None = None
    async with ctx.sessionmaker.begin() as session:
        # LinkedIn's answer took a while: a deactivation committed meanwhile stops the export before it
        # reserves or writes anything. The tenant's row stays locked to the end of this transaction, so the
        # deactivation, which takes that lock to change the stage, comes wholly before it or after it
        # (docs/exports.md#deactivation).
        current = await tenant_service.get(session, tenant_id)
        await tenant_service.hold_stage(session, current)
        lifecycle.check_not_deactivated(current)
        if counted is not None:
            held = await reserve(session, counted, decide.PER_SEAT_PER_MONTH)
            if held is None:
                plan, counted = _over_allowance(plan, month), None
            else:
                month = held  # a retried export counts where its first try did
        if plan.create is not None and plan.member is not None:
            first = await repository.creating(
                session, tenant_id=tenant_id, request_id=request_id, member_urn=plan.member,
                job_id=plan.job_id, seat_urn=plan.seat, ats_user_id=plan.ats_user_id, month=month, now=now,
            )  # fmt: skip
    if plan.create is not None and first is not None and first.request_id != request_id:
        _follow(plan, plan.create, first, chosen)
    if plan.create is not None or plan.outcome is Outcome.ASSIGNED:
        try:
            await _write(ctx, tenant, plan, chosen, request_id)
        except Exception as error:
            if counted is not None:
                # Refused, the ATS wrote nothing under this export's key: no candidate of it is under way.
                refused = isinstance(error, ats_errors.AtsRejected)
                await _give_back(ctx, tenant_id, request_id, unmark=refused)
            raise
    async with ctx.sessionmaker.begin() as session:
        if not await fence(session):
            return None
        if counted is not None:
            # Written, so counted whatever the allowance says: a worker that gave the unit back after the
            # notification was taken over from it must not leave this export uncounted.
            month = await reserve(session, counted, None) or month
        elif finishing:  # recorded as using none of the allowance: the earlier try's unit goes back
            await repository.give_back(session, tenant_id=tenant_id, request_id=request_id)
        # Recorded over the export's `writing` row, when it began a new candidate.
        row = await repository.own(session, tenant_id, request_id) or Export(
            tenant_id=tenant_id, request_id=request_id
        )
        session.add(row)
        row.outcome = plan.outcome.value
        row.detail = plan.detail
        row.member_urn = plan.member
        row.seat_urn = plan.seat
        row.ats_user_id = plan.ats_user_id
        row.job_id = plan.job_id
        row.ats_candidate_id = plan.candidate_id
        row.likely_duplicate_of = plan.likely_duplicate_of
        row.month = month
        row.processed_at = now
        if await _links_what_it_made(session, tenant_id, plan):
            assert plan.candidate_id is not None and plan.member is not None
            await candidate_service.link(
                session,
                tenant=tenant,
                ats_candidate_id=plan.candidate_id,
                member_urn=plan.member,
                source=LinkSource.EXPORT,
                now=now,
            )
        await session.flush()
    log.info(
        "exports.processed",
        tenant_id=str(tenant_id),
        outcome=plan.outcome.value,
        job_id=plan.job_id,
        ats_candidate_id=plan.candidate_id,
        likely_duplicate=plan.likely_duplicate_of is not None,
    )
    return row


async def _write(ctx: AppContext, tenant: Tenant, plan: _Plan, chosen: Choices, request_id: str) -> None:
    """The export's ATS write: the new candidate, or the linked one's application on the job chosen."""
    client = await tenant_ats.ats_client(ctx, tenant)
    if plan.create is not None:
        created = await client.create_candidate(plan.create)
        plan.candidate_id = created.id
    if plan.outcome is Outcome.ASSIGNED and plan.candidate_id is not None and plan.job_id is not None:
        application = await client.assign_candidate(
            plan.candidate_id,
            ats.ApplicationCreate(
                job_id=plan.job_id,
                stage=chosen.stage,
                source=chosen.source,
                sourcer_user_id=chosen.sourcer_user_id or plan.ats_user_id,
                external_id=decide.external_id(request_id),
            ),
        )
        if application.external_id != decide.external_id(request_id):
            plan.outcome = Outcome.ALREADY_ASSIGNED  # the ATS answered the application it already had there


async def _give_back(ctx: AppContext, tenant_id: uuid.UUID, request_id: str, *, unmark: bool) -> None:
    """The ATS write failed: the export's unit of the allowance goes back, so a failed export uses none of
    it; the notification's next try takes one again. Failing to give it back leaves it held for that try.
    `unmark`: the export's `writing` row goes too, so other exports of the member no longer follow it."""
    try:
        async with ctx.sessionmaker.begin() as session:
            await repository.give_back(session, tenant_id=tenant_id, request_id=request_id)
            if unmark:
                await repository.unmark(session, tenant_id=tenant_id, request_id=request_id)
    except Exception as error:  # the ATS's failure is the one the notification records
        log.warning("exports.give_back_failed", tenant_id=str(tenant_id), error=type(error).__name__)


def _follow(plan: _Plan, create: ats.CandidateCreate, first: Export, chosen: Choices) -> None:
    """Another export of the member is writing its new candidate: this one writes that same candidate, as
    the other does (keyed by its request id, so the ATS makes it once whichever writes first), then assigns
    it to its own job. The other export links it when it records its outcome."""
    plan.create = create.model_copy(
        update={
            "external_id": decide.external_id(first.request_id),
            "job_id": first.job_id,
            "stage": chosen.stage if first.job_id is not None else None,
            "sourcer_user_id": chosen.sourcer_user_id or first.ats_user_id,
        }
    )
    plan.outcome = Outcome.ASSIGNED if plan.job_id is not None else Outcome.LINKED_ONLY
    plan.likely_duplicate_of = None  # it makes no candidate of its own


def _over_allowance(plan: _Plan, month: str) -> _Plan:
    """The seat's allowance of `month` is spent: refused, nothing written."""
    return _Plan(
        Outcome.QUOTA,
        f"the seat reached {decide.PER_SEAT_PER_MONTH} exports in {month}; nothing was written",
        member=plan.member,
        seat=plan.seat,
        ats_user_id=plan.ats_user_id,
        job_id=plan.job_id,
    )


async def _plan(
    session: AsyncSession,
    tenant: Tenant,
    elements: Sequence[li.ExportedCandidate],
    chosen: Choices,
    *,
    key: str,
    finishing: bool = False,
    began_candidate: bool = False,
) -> _Plan:
    """Decide what the export becomes, from LinkedIn's answer and what we hold; writes nothing. `finishing`:
    an earlier try of the request passed the job's checks and may have written, so they are not made again
    and the linked candidate is assigned (the ATS answers what that try wrote, keyed by `key`).
    `began_candidate`: that try began writing the member's new candidate, so this one finishes it, even if an
    export that followed it has linked the member to it since."""
    if not elements:
        return _Plan(
            Outcome.NOT_FOUND, "LinkedIn serves no export for this request: expired, or not this customer's"
        )
    export = elements[0]
    if (
        export.integration_context is not None
        and export.integration_context != tenant.linkedin_organization_urn
    ):
        return _Plan(Outcome.WRONG_ORGANIZATION, "the export belongs to another LinkedIn organization")
    stub, seat_urn = export.candidate, export.exporter
    plan = _Plan(Outcome.CREATED, member=stub.member, seat=seat_urn, job_id=export.ats_job_posting_id)
    if stub.member is None:
        return _refused(plan, Outcome.NOT_FOUND, "the export names no LinkedIn member")
    if seat_urn is not None:
        seat = await seat_service.holder(session, tenant.id, seat_urn)
        plan.ats_user_id = seat.ats_user_id if seat is not None else None
    if plan.job_id is not None and not finishing:
        job = await mirror_service.find(session, tenant_id=tenant.id, kind="job", ats_id=plan.job_id)
        if job is None or job.deleted:
            return _refused(plan, Outcome.UNKNOWN_JOB, f"job {plan.job_id} is not a job of this ATS account")
        if not decide.visible_to(job.data, plan.ats_user_id):
            return _refused(plan, Outcome.NOT_VISIBLE, f"the exporting user may not see job {plan.job_id}")
    linked = None if began_candidate else await _linked_candidate(session, tenant.id, stub.member)
    if linked is not None:
        plan.candidate_id = linked
        if plan.job_id is None:
            plan.outcome = Outcome.LINKED_ONLY
        elif not finishing and await mirror_service.has_application(
            session, tenant_id=tenant.id, candidate_id=linked, job_id=plan.job_id
        ):
            plan.outcome = Outcome.ALREADY_ASSIGNED
        else:
            plan.outcome = Outcome.ASSIGNED
        return plan
    if not stub.first_name or not stub.last_name:
        return _refused(plan, Outcome.NOT_FOUND, "the export carries no first and last name")
    title, company = decide.title_and_company(stub.headline)
    # Only the name, current title and employer: never the member's email or phone (docs/exports.md).
    plan.create = ats.CandidateCreate(
        first_name=stub.first_name[:200],
        last_name=stub.last_name[:200],
        current_title=title,
        current_company=company,
        source=chosen.source,
        sourcer_user_id=chosen.sourcer_user_id or plan.ats_user_id,
        job_id=plan.job_id,
        stage=chosen.stage if plan.job_id is not None else None,
        external_id=key,
    )
    for candidate in await mirror_service.candidates_named(
        session, tenant_id=tenant.id, first_name=stub.first_name, last_name=stub.last_name
    ):
        if candidate.data.get("external_id") == key:  # the export's own, written by an earlier try
            continue
        if decide.likely_same_person(stub.first_name, stub.last_name, title, company, candidate.data):
            plan.likely_duplicate_of = candidate.ats_id
            break
    return plan


async def _links_what_it_made(session: AsyncSession, tenant_id: uuid.UUID, plan: _Plan) -> bool:
    """Whether the export links the member to the candidate it wrote: its own new one always; the one it
    wrote after another export of the member (`_follow`) when that one has not linked it yet, as that one may
    never record its outcome (cut off, then given up) and the member would stay unlinked (docs/exports.md)."""
    if plan.create is None or plan.candidate_id is None or plan.member is None or plan.outcome not in DONE:
        return False
    if plan.outcome is Outcome.CREATED:
        return True
    return plan.candidate_id not in await _linked_candidates(session, tenant_id, plan.member)


def _refused(plan: _Plan, outcome: Outcome, detail: str) -> _Plan:
    plan.outcome, plan.detail = outcome, detail
    return plan


async def _linked_candidates(session: AsyncSession, tenant_id: uuid.UUID, member: str) -> list[str]:
    """Every candidate linked to the member, however linked, first linked first."""
    found = await link_service.candidates_of_members(session, tenant_id=tenant_id, member_urns=[member])
    return found.get(member, [])


async def _linked_candidate(session: AsyncSession, tenant_id: uuid.UUID, member: str) -> str | None:
    """The candidate the member is already, however linked: the first linked still in the ATS."""
    for candidate_id in await _linked_candidates(session, tenant_id, member):
        record = await mirror_service.find(
            session, tenant_id=tenant_id, kind="candidate", ats_id=candidate_id
        )
        if record is None or not record.deleted:  # not yet in the mirror: made by an export moments ago
            return candidate_id
    return None
