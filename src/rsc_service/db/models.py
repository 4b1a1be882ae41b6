"""Every table of the service, imported in one place so Alembic and the mapper see the whole schema."""

from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.db.base import Base
from rsc_service.db.leases import JobLease, JobRun, Replica
from rsc_service.links.models import CandidateLink
from rsc_service.mirror.models import AtsRecord
from rsc_service.outbox.models import OutboxMessage
from rsc_service.reconcile.models import ReconcileCursor
from rsc_service.tenants.models import Tenant, TenantContract, TenantWebhookSecret
from rsc_service.throttle.models import ThrottleBucket, ThrottleSlot

__all__ = [
    "AtsRecord",
    "AtsWebhookEvent",
    "Base",
    "CandidateLink",
    "JobLease",
    "JobRun",
    "OutboxMessage",
    "ReconcileCursor",
    "Replica",
    "Tenant",
    "TenantContract",
    "TenantWebhookSecret",
    "ThrottleBucket",
    "ThrottleSlot",
]
