"""Every table of the service, imported in one place so Alembic and the mapper see the whole schema."""

from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.db.base import Base
from rsc_service.db.leases import JobLease, JobRun, Replica
from rsc_service.exports.models import Export, ExportSettings
from rsc_service.linkedin_notifications.models import LinkedInNotification
from rsc_service.links.models import CandidateLink
from rsc_service.links_api.models import LinkChange
from rsc_service.mirror.models import AtsRecord
from rsc_service.onboarding.models import SetupProgress
from rsc_service.outbox.models import OutboxMessage
from rsc_service.pull.models import PullCursor, PulledItem
from rsc_service.reconcile.models import ReconcileCursor
from rsc_service.seats.models import Seat
from rsc_service.tenants.models import (
    OAuthState,
    StageChange,
    Tenant,
    TenantContract,
    TenantIntegration,
    TenantWebhookSecret,
)
from rsc_service.throttle.models import ThrottleBucket, ThrottleSlot

__all__ = [
    "AtsRecord",
    "AtsWebhookEvent",
    "Base",
    "CandidateLink",
    "Export",
    "ExportSettings",
    "JobLease",
    "JobRun",
    "LinkChange",
    "LinkedInNotification",
    "OAuthState",
    "OutboxMessage",
    "PullCursor",
    "PulledItem",
    "ReconcileCursor",
    "Replica",
    "Seat",
    "SetupProgress",
    "StageChange",
    "Tenant",
    "TenantContract",
    "TenantIntegration",
    "TenantWebhookSecret",
    "ThrottleBucket",
    "ThrottleSlot",
]
