"""P8 job resync: LinkedIn's partner-level RESYNC_JOBS push asks for some (or every open) job of one customer
to be sent again; each is owed to LinkedIn again through the outbox, which sends it as an UPDATE of what
LinkedIn holds (docs/pull.md#job-resync)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.errors import NotFound
from rsc_service.integrations.linkedin import wire
from rsc_service.mirror import service as mirror_service
from rsc_service.outbox import service as outbox_service
from rsc_service.pull import repository
from rsc_service.push import service as push_service
from rsc_service.tenants.models import Stage

JOB_RESOURCE = "simpleJobPostings"  # the outbox resource of a job (push/registry.py)
# Before the initial sync LinkedIn holds none of the customer's jobs; the sync itself sends every one.
RESYNCED_STAGES = frozenset({Stage.ACTIVE})


class UnknownApplication(NotFound):
    code = "unknown_application"


@dataclass(frozen=True)
class Resynced:
    tenant_key: str
    owed: int  # jobs owed to LinkedIn again
    unknown: list[str]  # named jobs the service holds no record of


async def resync_jobs(session: AsyncSession, notice: wire.ResyncJobs, *, now: datetime) -> Resynced:
    """Owe LinkedIn again the named jobs, or every open one, of the tenant whose application is named."""
    tenant = await repository.tenant_by_app(session, notice.developer_application_urn)
    if tenant is None:
        raise UnknownApplication(f"no tenant has the LinkedIn application {notice.developer_application_urn}")
    if tenant.stage not in RESYNCED_STAGES:
        return Resynced(tenant.key, 0, [])
    jobs = {r.ats_id: r for r in await mirror_service.list_records(session, tenant_id=tenant.id, kind="job")}
    live = {ats_id: r for ats_id, r in jobs.items() if not r.deleted}
    if notice.sync_all_open_jobs:
        wanted = sorted(ats_id for ats_id, r in live.items() if r.data.get("status") == "open")
        unknown: list[str] = []
    else:
        wanted = sorted({j for j in notice.external_job_posting_ids if j in live})
        unknown = sorted({j for j in notice.external_job_posting_ids if j not in live})
    owed = await push_service.owe_records(session, tenant=tenant, keys=[("job", j) for j in wanted], now=now)
    # What LinkedIn holds unchanged is not owed by the above: it goes again as it is, an UPDATE.
    await outbox_service.send_again(
        session, tenant_id=tenant.id, resource=JOB_RESOURCE, keys=[r.ats_id for r in owed], now=now
    )
    return Resynced(tenant.key, len(owed), unknown)
