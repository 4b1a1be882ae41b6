"""The periodic jobs of LinkedIn's notifications, run by scheduler.py
(docs/architecture.md#18-jobs-that-run-where):

- process_pending_notifications, every 5 s on every replica: claims make replicas take different rows;
- poll_integration_status, every minute, singleton: the fallback for a status change never notified.
"""

from __future__ import annotations

import uuid
from typing import Protocol

import structlog

from rsc_service.context import AppContext
from rsc_service.exports import service as export_service
from rsc_service.linkedin_notifications import service
from rsc_service.tenants.apps import TenantApps

log = structlog.get_logger()


class Running(Protocol):
    """What a job needs of the running service (bootstrap.Service has it)."""

    @property
    def ctx(self) -> AppContext: ...

    @property
    def tenant_apps(self) -> TenantApps: ...


async def process_pending_notifications(running: Running) -> None:
    ctx = running.ctx

    async def export(tenant_id: uuid.UUID, request_id: str, fence: service.Fence) -> bool:
        done = await export_service.process(
            ctx, running.tenant_apps, tenant_id=tenant_id, request_id=request_id, fence=fence
        )
        return done is not None

    outcomes = await service.process_pending(
        ctx.sessionmaker, running.tenant_apps, now=ctx.db_now, exports=export
    )
    if outcomes:
        log.info("linkedin_notifications.processed", **outcomes)


async def poll_integration_status(running: Running) -> None:
    ctx = running.ctx
    moved = await service.poll_integration_status(ctx.sessionmaker, running.tenant_apps, now=ctx.db_now)
    if moved:
        log.info("linkedin_notifications.polled", tenants_moved=moved)
