"""The ATS's export routes (docs/exports.md): what became of each One-Click Export, the likely duplicates
for a person to merge, and what an export writes. The tenant is the one whose API key is the bearer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from rsc_service.errors import problem_responses
from rsc_service.exports import schemas, service
from rsc_service.exports.models import Outcome
from rsc_service.tenants.deps import TenantPrincipal, TenantRoute
from rsc_service.web.deps import Ctx, WriteSession

router = APIRouter(
    prefix="/v1/integration",
    tags=["exports"],
    responses=problem_responses(401),
    route_class=TenantRoute,
)


@router.get(
    "/exports",
    response_model=schemas.ExportListRead,
    summary="One-Click Exports, newest first, with what became of each",
    responses=problem_responses(422),
)
async def list_exports(
    session: WriteSession,
    tenant: TenantPrincipal,
    outcome: Outcome | None = None,
    likely_duplicates: Annotated[
        bool, Query(description="Only exports that created a candidate like an existing one")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> schemas.ExportListRead:
    rows = await service.recent(
        session,
        tenant.id,
        outcome=outcome.value if outcome is not None else None,
        likely_duplicates=likely_duplicates,
        limit=limit,
    )
    return schemas.ExportListRead(exports=[schemas.export_read(row) for row in rows])


@router.get(
    "/export-settings",
    response_model=schemas.ExportSettingsBody,
    summary="What an export writes: source, first stage, sourcer",
)
async def get_export_settings(session: WriteSession, tenant: TenantPrincipal) -> schemas.ExportSettingsBody:
    chosen = await service.choices(session, tenant.id)
    return schemas.ExportSettingsBody(
        source=chosen.source, stage=chosen.stage, sourcer_user_id=chosen.sourcer_user_id
    )


@router.put(
    "/export-settings",
    response_model=schemas.ExportSettingsBody,
    summary="Choose the source, first stage and sourcer of what an export writes",
    responses=problem_responses(422),
)
async def set_export_settings(
    body: schemas.ExportSettingsBody, session: WriteSession, ctx: Ctx, tenant: TenantPrincipal
) -> schemas.ExportSettingsBody:
    chosen = service.Choices(body.source, body.stage, body.sourcer_user_id)
    await service.set_choices(session, tenant.id, chosen, now=ctx.clock())
    return body
