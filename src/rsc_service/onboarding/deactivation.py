"""Deactivating a customer (PRODUCT A8; docs/onboarding.md#stages).

`deactivate()` stops the tenant's work at once: it moves the tenant to `deactivated` (the outbox of a
tenant outside lifecycle.SENDING is held and its webhooks are answered 410), records whether LinkedIn's copy
is deleted or kept, and drops the outbox rows that never reached LinkedIn. The rest is the job
`finish_deactivations`, resumable at any point:

- mode "delete": every record the service put at LinkedIn is deleted through the tenant's own app, children
  before parents, jobs closed, and the callback URL written at onboarding removed
  (deactivation_deleting.py); the LinkedIn credentials are kept until that is done;
- both modes, then: the tenant's local data is purged — mirror, outbox, links, seats, notifications,
  sign-in states, integrations, contracts, reconcile cursors, inbox and the initial sync's progress — but
  not the tenant row, its audit trail (`tenant_stage_changes`), its ATS-side credentials (API key, ATS
  token, webhook secrets) or this deactivation's progress; the LinkedIn credentials, the In-ATS credential,
  organization and member are cleared; `deactivation_finished_at` is set.

A finished deactivation leaves a tenant that activates again from scratch (`deactivated → requested`), its
initial sync walking the whole ATS anew. Functions flush, never commit, except the job, which commits one
unit of progress at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.errors import BadGateway, Conflict, FieldProblem
from rsc_service.integrations import ats as ats_api
from rsc_service.onboarding import deactivation_repository as repository
from rsc_service.onboarding import requirements
from rsc_service.onboarding.deactivation_deleting import CALLBACK_KIND, Budget, Deleter, KindRow, Step
from rsc_service.onboarding.deactivation_deleting import progress_of as _failures
from rsc_service.onboarding.models import SetupProgress
from rsc_service.outbox import tenant_rows
from rsc_service.push.postings import JOBS
from rsc_service.push.registry import RESOURCES, Registry
from rsc_service.tenants import ats as tenant_ats
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.apps import TenantApps
from rsc_service.tenants.models import Stage, Tenant

log = structlog.get_logger()

TASK: Final = repository.TASK
LOCAL_KIND: Final = "local_data"  # the purge, last in both modes


class Mode(StrEnum):
    DELETE = "delete"  # LinkedIn's copy is deleted, then local data purged
    KEEP = "keep"  # LinkedIn keeps its copy; local data purged at once


class AlreadyDeactivated(Conflict):
    code = "already_deactivated"


DeactivationRunning = lifecycle.DeactivationRunning


# ---- reading progress ----


@dataclass(frozen=True)
class KindProgress:
    kind: str  # a LinkedIn resource (atsCandidates, atsApplications/notes, …), or local_data
    action: str  # delete | close | purge
    done: int  # records deleted (or closed, or local rows purged); never goes down
    total: int | None  # records to delete, when known
    failed: int  # records LinkedIn refused to delete for good
    finished: bool
    last_error: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Progress:
    tenant_key: str
    stage: Stage
    mode: Mode
    state: str  # deleting | purging | finished
    started_at: datetime | None
    finished_at: datetime | None
    kinds: list[KindProgress]


def _action(kind: str) -> str:
    if kind == LOCAL_KIND:
        return "purge"
    return "close" if kind == JOBS.name else "delete"


def _progress(tenant: Tenant, rows: Sequence[SetupProgress]) -> Progress | None:
    if tenant.deactivation_mode is None:
        return None
    kinds = []
    for row in rows:
        failed, error = _failures(row.cursor) if row.kind != LOCAL_KIND else (0, None)
        kinds.append(
            KindProgress(
                kind=row.kind,
                action=_action(row.kind),
                done=row.done,
                total=row.total,
                failed=failed,
                finished=row.finished,
                last_error=error,
                updated_at=row.updated_at,
            )
        )
    at_linkedin = [k for k in kinds if k.kind != LOCAL_KIND]
    if tenant.deactivation_finished_at is not None:
        state = "finished"
    elif all(k.finished for k in at_linkedin):
        state = "purging"
    else:
        state = "deleting"
    return Progress(
        tenant_key=tenant.key,
        stage=tenant.stage,
        mode=Mode(tenant.deactivation_mode),
        state=state,
        started_at=min((r.started_at for r in rows), default=None),
        finished_at=tenant.deactivation_finished_at,
        kinds=kinds,
    )


async def progress(session: AsyncSession, tenant: Tenant) -> Progress | None:
    """How the tenant's last deactivation went, per kind; None if it was never deactivated."""
    return _progress(tenant, await repository.progress_rows(session, tenant.id))


def ensure_deactivation_finished(tenant: Tenant) -> None:
    """Refuse to activate a tenant again (409) while its deactivation is still deleting or purging (the rule
    lifecycle.advance applies to every move)."""
    lifecycle.check_deactivation_finished(tenant)


# ---- step 1: stop the work ----


async def check_ats_user(ctx: AppContext, tenant: Tenant, user_id: str) -> None:
    """The ATS user who asks must be an active Admin or Owner of the account, as for activation
    (docs/onboarding.md#kick-off-a1-a2); the plan does not matter: a customer may always leave."""
    client = await tenant_ats.ats_client(ctx, tenant)
    try:
        user: ats_api.wire.User | None = await client.get_user(user_id)
    except ats_api.AtsNotFound:
        user = None
    except ats_api.AtsError as failed:
        raise BadGateway(f"the ATS API did not answer who is deactivating: {failed}") from None
    if user is None:
        problem = FieldProblem(field="body.ats_user_id", reason=f"no ATS user {user_id!r}")
    elif user.access_level in requirements.ACTIVATING_LEVELS and user.active:
        return
    else:
        level = user.access_level if user.active else f"{user.access_level} (inactive)"
        problem = FieldProblem(
            field="body.ats_user_id",
            reason=f"ATS user {user_id!r} has access level {level}; an Admin or Owner must deactivate",
        )
    raise requirements.RequirementsUnmet(
        f"the integration cannot be deactivated: {problem.reason}", errors=[problem]
    )


async def deactivate(
    session: AsyncSession,
    ctx: AppContext,
    tenant: Tenant,
    *,
    mode: Mode,
    actor: lifecycle.Actor,
    now: datetime,
    reason: str | None = None,
    resources: Registry = RESOURCES,
) -> Progress:
    """Move the tenant to `deactivated`, record the mode, drop the outbox work that must not be sent, and set
    out what the job has to do. Asking again with the same mode answers the progress; another mode is 409.
    """
    # Of two deactivations at once (the operator's and an ATS user's), the second sees the first's stage; work
    # checking the stage under the same lock (an export about to write) comes wholly before or after.
    await tenant_service.lock_stage(session, tenant)
    if tenant.stage is Stage.DEACTIVATED:
        if tenant.deactivation_mode == mode.value:
            found = await progress(session, tenant)
            if found is not None:
                return found
        raise AlreadyDeactivated(
            f"tenant {tenant.key} is already deactivated"
            + (f" (mode {tenant.deactivation_mode})" if tenant.deactivation_mode else "")
        )
    why = "deactivated; " + (
        "LinkedIn's copy is deleted" if mode is Mode.DELETE else "LinkedIn keeps its copy"
    )
    if reason:
        why += f": {reason}"
    lifecycle.advance(session, tenant, Stage.DEACTIVATED, actor=actor, reason=why, now=now)
    tenant.deactivation_mode = mode.value
    tenant.deactivation_finished_at = None
    tenant.updated_at = now
    await repository.reset_progress(session, tenant.id)
    dropped = await tenant_rows.drop_unsent(session, tenant.id)
    kinds: list[tuple[str, int]] = []
    if mode is Mode.DELETE:
        held = await tenant_rows.count_held(session, tenant.id)
        # Children before parents (docs/architecture.md#8-deleting): the highest tier first.
        for resource in sorted(resources, key=lambda r: -r.tier):
            kinds.append((resource.name, held.get(resource.name, 0)))
        if tenant.linkedin_client_id and tenant.linkedin_organization_urn:
            kinds.append((CALLBACK_KIND, 1))
    kinds.append((LOCAL_KIND, 0))
    for kind, total in kinds:
        session.add(
            SetupProgress(
                tenant_id=tenant.id,
                task=TASK,
                kind=kind,
                cursor=None,
                done=0,
                total=total if kind != LOCAL_KIND else None,
                finished=False,
                started_at=now,
                updated_at=now,
            )
        )
    await session.flush()
    log.info("deactivation.started", tenant_key=tenant.key, mode=mode.value, dropped=dropped)
    found = await progress(session, tenant)
    assert found is not None
    return found


# ---- step 2: the job ----


@dataclass(frozen=True)
class Finished:
    tenant_key: str
    finished: bool
    error: str | None = None


async def finish_deactivations(
    ctx: AppContext,
    apps: TenantApps,
    *,
    resources: Registry = RESOURCES,
    tenant_ids: Sequence[uuid.UUID] | None = None,
    max_requests: int | None = None,
) -> list[Finished]:
    """Carry every deactivation on (or those of `tenant_ids`): delete at LinkedIn, then purge. Each tenant in
    its own units of work; one that fails is logged and the others go on. `max_requests` bounds the LinkedIn
    requests of this run (the rest waits for the next)."""
    async with ctx.sessionmaker() as session:
        due = [
            (t.id, t.key)
            for t in await tenant_service.list_all(session)
            if t.stage is Stage.DEACTIVATED
            and t.deactivation_finished_at is None
            and (tenant_ids is None or t.id in tenant_ids)
        ]
    budget = Budget(max_requests)
    outcomes = []
    for tenant_id, key in due:
        try:
            done = await finish_one(ctx, apps, tenant_id, resources=resources, budget=budget)
        except Exception as error:  # one tenant's failure must not stop the others
            log.exception("deactivation.failed", tenant_key=key)
            outcomes.append(Finished(key, False, f"{type(error).__name__}: {error}"))
            continue
        outcomes.append(Finished(key, done))
        if budget.spent:
            break
    return outcomes


async def finish_one(
    ctx: AppContext,
    apps: TenantApps,
    tenant_id: uuid.UUID,
    *,
    resources: Registry = RESOURCES,
    budget: Budget | None = None,
) -> bool:
    """One tenant's deactivation carried on as far as it goes now; True once it has finished."""
    async with ctx.sessionmaker() as session:
        tenant = await tenant_service.get(session, tenant_id)
        rows = [KindRow.of(row) for row in await repository.progress_rows(session, tenant_id)]
    if tenant.stage is not Stage.DEACTIVATED or tenant.deactivation_finished_at is not None:
        return tenant.deactivation_finished_at is not None
    if tenant.deactivation_mode is None or not rows:
        log.warning("deactivation.without_mode", tenant_key=tenant.key)
        return False
    deleter = Deleter(ctx, apps, resources, tenant_id=tenant_id, budget=budget or Budget())
    at_linkedin = [row for row in rows if row.kind != LOCAL_KIND]
    if any(not row.finished for row in at_linkedin):
        if await deleter.senders_busy():
            return False  # a dispatcher's send from before the deactivation may still land
        for row in at_linkedin:
            if (await deleter.kind(row)) is not Step.FINISHED:
                return False
    local = next((row for row in rows if row.kind == LOCAL_KIND), None)
    await _purge(ctx, tenant_id, local, tenant_key=tenant.key)
    apps.forget(tenant_id)
    log.info("deactivation.finished", tenant_key=tenant.key, mode=tenant.deactivation_mode)
    return True


async def _purge(ctx: AppContext, tenant_id: uuid.UUID, local: KindRow | None, *, tenant_key: str) -> None:
    """Delete the tenant's local data a chunk per transaction (safe to repeat), then clear its LinkedIn
    credentials and mark the deactivation finished, together."""
    purged = 0
    for table in repository.purged_tables():
        while True:
            async with ctx.sessionmaker.begin() as session:
                removed = await repository.purge_chunk(session, table, tenant_id)
                if removed and local is not None:
                    await repository.add_done(session, local.id, removed, now=await ctx.db_now())
            purged += removed
            if not removed:
                break
    now = await ctx.db_now()
    async with ctx.sessionmaker.begin() as session:
        tenant = await tenant_service.get(session, tenant_id)
        # Revoked: nothing of the service acts for the customer at LinkedIn any more. The app's URN stays
        # to tell which child application served it; activating again provisions or finds one anew.
        tenant.linkedin_client_id = None
        tenant.linkedin_client_secret_enc = None
        tenant.in_ats_credential_enc = None  # LinkedIn's In-ATS calls with it are refused from now on
        tenant.linkedin_unique_foreign_id = None
        tenant.linkedin_organization_urn = None
        tenant.activated_by_member = None
        tenant.activated_by_user_id = None
        tenant.sending_paused_until = None
        tenant.sending_paused_reason = None
        tenant.deactivation_finished_at = now
        tenant.updated_at = now
        if local is not None:
            await repository.finish_kind(session, local.id, now=now)
    log.info("deactivation.purged", tenant_key=tenant_key, rows=purged)
