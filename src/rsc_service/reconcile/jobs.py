"""reconcile_all: the periodic safety net for lost webhooks (docs/architecture.md#17-reconcile)."""

from __future__ import annotations

from rsc_service.context import AppContext
from rsc_service.reconcile import service


async def reconcile_all(ctx: AppContext) -> None:
    await service.run_now(ctx)
