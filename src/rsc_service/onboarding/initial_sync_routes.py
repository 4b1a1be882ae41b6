"""The initial sync as the ATS's integrations page sees it (tenant API key): progress per kind with an ETA,
and a dry run (PRODUCT A4, O8; docs/onboarding.md#the-ats-facing-api)."""

from __future__ import annotations

from fastapi import APIRouter

from rsc_service.errors import problem_responses
from rsc_service.integrations.ats import AtsError
from rsc_service.onboarding import initial_sync
from rsc_service.onboarding import initial_sync_schemas as schemas
from rsc_service.onboarding.initial_sync_dry_run import dry_run
from rsc_service.tenants import ats as tenant_ats
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.deps import TenantPrincipal, TenantRoute
from rsc_service.web.deps import Ctx, WriteSession

router = APIRouter(
    prefix="/v1/integration/initial-sync",
    tags=["integration"],
    responses=problem_responses(401),
    route_class=TenantRoute,
)


@router.get(
    "",
    response_model=schemas.InitialSyncStatus,
    summary="Progress of the initial sync per kind, with an ETA at LinkedIn's budgets (A4)",
)
async def get_progress(
    session: WriteSession, ctx: Ctx, principal: TenantPrincipal
) -> schemas.InitialSyncStatus:
    tenant = await tenant_service.get(session, principal.id)
    found = await initial_sync.overview(session, ctx, tenant)
    return schemas.InitialSyncStatus(
        stage=found.stage,
        started_at=found.started_at,
        updated_at=found.updated_at,
        walked=found.walked,
        email_sent=found.email_sent,
        eta_seconds=found.eta_seconds,
        eta_partial=found.eta_partial,
        kinds=[schemas.KindProgress(**vars(kind)) for kind in found.kinds],
    )


@router.post(
    "/dry-run",
    response_model=schemas.DryRunResult,
    summary="The initial sync's walk, writing nothing: counts, and what LinkedIn would refuse (O8)",
    description="Reads every page of the ATS before answering, so it takes as long as the walk; "
    "`rsc-service backfill --tenant KEY --dry-run` shows the same while it goes.",
    responses=problem_responses(502, 503),
)
async def post_dry_run(ctx: Ctx, principal: TenantPrincipal) -> schemas.DryRunResult:
    # The tenant is read through a session closed before the walk: the walk reads through sessions of its
    # own, and on SQLite the one connection would otherwise stay held by this request until the walk ends.
    async with ctx.sessionmaker() as session:
        tenant = await tenant_service.get(session, principal.id)
    try:
        report = await dry_run(ctx, tenant)
    except AtsError as failed:
        raise tenant_ats.failed(
            failed, f"the ATS API did not answer what the dry run needs: {failed}"
        ) from None
    return schemas.DryRunResult(
        kinds=[schemas.DryRunKind(**vars(kind)) for kind in report.kinds],
        refusals=[schemas.DryRunRefusal(**vars(refusal)) for refusal in report.refusals],
        skipped=[
            schemas.DryRunSkipped(kind=kind, reason=reason, records=records)
            for (kind, reason), records in sorted(report.skipped.items())
        ],
    )
