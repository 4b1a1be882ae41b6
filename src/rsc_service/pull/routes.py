"""Operator routes of the pull: run it now, and read each stream's health (docs/pull.md#operations)."""

from __future__ import annotations

from fastapi import APIRouter

from rsc_service.errors import problem_responses
from rsc_service.pull import jobs
from rsc_service.pull import service as pull_service
from rsc_service.pull.schemas import (
    PullRejectedRead,
    PullRunRead,
    PullRunRequest,
    PullStreamRead,
    PullStreamRunRead,
    PullTenantRunRead,
)
from rsc_service.pull.service import RunReport
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.deps import TenantAppsDep
from rsc_service.web.admin_auth import AdminPrincipal, AdminRoute
from rsc_service.web.deps import Ctx

router = APIRouter(
    prefix="/v1/admin", tags=["admin"], responses=problem_responses(401, 403), route_class=AdminRoute
)


def _run_read(report: RunReport) -> PullRunRead:
    return PullRunRead(
        written=report.written,
        tenants=[
            PullTenantRunRead(
                tenant_key=t.tenant_key,
                written=t.written,
                error=t.error,
                streams=[
                    PullStreamRunRead(
                        stream=s.stream,
                        contract_urn=s.contract_urn,
                        seat_id=s.seat_id or None,
                        pages=s.pages,
                        written=s.written,
                        skipped=s.skipped,
                        withdrawn=s.withdrawn,
                        rejected=[PullRejectedRead(item_id=r.item_id, reason=r.reason) for r in s.rejected],
                        error=s.error,
                    )
                    for s in t.streams
                ],
            )
            for t in report.tenants
        ],
    )


@router.post(
    "/pull",
    response_model=PullRunRead,
    summary="Pull LinkedIn notes, InMails and reply stubs into the ATS now; answers when the run ends",
    responses=problem_responses(404, 409, 422),
)
async def pull_now(body: PullRunRequest, ctx: Ctx, apps: TenantAppsDep, _: AdminPrincipal) -> PullRunRead:
    return _run_read(await jobs.pull_now(ctx, apps, tenant_keys=body.tenant_keys))


@router.get(
    "/tenants/{tenant_key}/pull",
    response_model=list[PullStreamRead],
    summary="Each pull stream of the tenant: last pull, items written, lag and failures",
    responses=problem_responses(404),
)
async def pull_health(tenant_key: str, ctx: Ctx, _: AdminPrincipal) -> list[PullStreamRead]:
    async with ctx.sessionmaker() as session:
        tenant = await tenant_service.get_by_key(session, tenant_key)
        found = await pull_service.health(session, tenant_id=tenant.id, now=ctx.clock())
    return [PullStreamRead(**vars(stream)) for stream in found]
