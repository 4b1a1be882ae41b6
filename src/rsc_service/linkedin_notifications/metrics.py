"""Prometheus counters of LinkedIn's notifications: received by type, processed by outcome.

Types are LinkedIn's words, but a label takes only the known ones (anything else counts as `other`), so no
body can grow the metric's cardinality.
"""

from __future__ import annotations

from prometheus_client import Counter

from rsc_service.linkedin_notifications.models import EXPORT_CANDIDATE_PROFILE, INTEGRATION_STATUS_CHANGE

_KNOWN_TYPES = frozenset({INTEGRATION_STATUS_CHANGE, EXPORT_CANDIDATE_PROFILE})

RECEIVED = Counter(
    "rsc_linkedin_notifications_received_total",
    "Signed LinkedIn notifications received, by type; `duplicate` says whether it was stored before",
    ["type", "duplicate"],
)
PROCESSED = Counter(
    "rsc_linkedin_notifications_processed_total",
    "LinkedIn notifications processed, by type and outcome (done, retried, failed, ignored)",
    ["type", "outcome"],
)


def type_label(kind: str) -> str:
    return kind if kind in _KNOWN_TYPES else "other"


def received(kind: str, *, duplicate: bool) -> None:
    RECEIVED.labels(type_label(kind), "true" if duplicate else "false").inc()


def processed(kind: str, outcome: str) -> None:
    PROCESSED.labels(type_label(kind), outcome).inc()
