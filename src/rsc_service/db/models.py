"""Every table of the service, imported in one place so Alembic and the mapper see the whole schema."""

from rsc_service.db.base import Base
from rsc_service.db.leases import JobLease, JobRun, Replica
from rsc_service.tenants.models import Tenant

__all__ = ["Base", "JobLease", "JobRun", "Replica", "Tenant"]
