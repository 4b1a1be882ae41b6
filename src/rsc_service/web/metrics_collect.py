"""Gauges of the outbox per tenant and of LinkedIn's quota per application, refreshed from the database.

The figures come from a reader the composition passes in (the outbox's health module), because this
plumbing layer must not import the features it reports on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from prometheus_client import Gauge

from rsc_service.context import AppContext

OUTBOX_DEPTH = Gauge(
    "rsc_outbox_depth", "Outbox rows per tenant and state (done rows excluded)", ["tenant", "state"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "rsc_outbox_oldest_age_seconds", "Age of the oldest change not yet at LinkedIn, per tenant", ["tenant"]
)
QUOTA_RECORDS_LEFT = Gauge(
    "rsc_linkedin_quota_records_left", "Records left in LinkedIn's sliding 60 s window", ["app", "group"]
)
QUOTA_REQUESTS_LEFT = Gauge(
    "rsc_linkedin_quota_requests_left", "Requests left in LinkedIn's UTC day", ["app", "group"]
)
DEPTH_STATES = ("pending", "inflight", "awaiting_task", "dead")


@dataclass(frozen=True)
class QuotaSample:
    app: str
    group: str
    records_left: int | None
    requests_left: int | None


@dataclass(frozen=True)
class TenantSample:
    tenant: str
    depth: Mapping[str, int]
    oldest_age_seconds: float | None
    quotas: Sequence[QuotaSample] = field(default_factory=tuple)


Reader = Callable[[AppContext], Awaitable[Sequence[TenantSample]]]


async def refresh_outbox_gauges(ctx: AppContext, read: Reader) -> None:
    publish(await read(ctx))


def publish(samples: Iterable[TenantSample]) -> None:
    """Replace every gauge's series at once, so a removed tenant's series disappear with it."""
    samples = list(samples)
    for gauge in (OUTBOX_DEPTH, OUTBOX_OLDEST_AGE, QUOTA_RECORDS_LEFT, QUOTA_REQUESTS_LEFT):
        gauge.clear()
    for sample in samples:
        for state in DEPTH_STATES:
            OUTBOX_DEPTH.labels(sample.tenant, state).set(sample.depth.get(state, 0))
        OUTBOX_OLDEST_AGE.labels(sample.tenant).set(sample.oldest_age_seconds or 0.0)
        for quota in sample.quotas:  # tenants sharing one application report the same figures
            if quota.records_left is not None:
                QUOTA_RECORDS_LEFT.labels(quota.app, quota.group).set(quota.records_left)
            if quota.requests_left is not None:
                QUOTA_REQUESTS_LEFT.labels(quota.app, quota.group).set(quota.requests_left)
