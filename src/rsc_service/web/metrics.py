"""Prometheus metrics for HTTP, by route template (never the raw path, so ids do not explode cardinality)."""

from __future__ import annotations

import functools
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("rsc_http_requests_total", "HTTP requests served", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "rsc_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
INGEST_BATCH = Histogram(
    "rsc_ingest_batch_size",
    "ATS webhooks committed together in one transaction",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
JOB_RUNS = Counter("rsc_job_runs_total", "Scheduled job runs", ["job", "outcome"])
OUTBOX_SENT = Counter("rsc_outbox_sent_total", "Outbox rows LinkedIn accepted", ["resource"])
OUTBOX_RETRIED = Counter("rsc_outbox_retried_total", "Outbox rows put back for a retry", ["resource"])
OUTBOX_DEAD = Counter("rsc_outbox_dead_total", "Outbox rows that became dead letters", ["resource"])
DRAIN_RESTARTS = Counter("rsc_outbox_drain_restarts_total", "Times the outbox drain failed and was restarted")
DRAIN_CYCLE_AGE = Gauge(
    "rsc_outbox_drain_seconds_since_cycle", "Seconds since this replica's outbox drain last went round"
)
DRAIN_LISTENING = Gauge(
    "rsc_outbox_drain_listening", "1 while this replica hears other replicas' commits (PostgreSQL LISTEN)"
)
LINKEDIN_429 = Counter("rsc_linkedin_429_total", "LinkedIn answers of 429 Too Many Requests", ["group"])
PULL_ITEMS = Counter(
    "rsc_pull_items_total", "LinkedIn items the pull handled, by stream and outcome", ["stream", "outcome"]
)
PULL_FAILURES = Counter("rsc_pull_failures_total", "Pull streams that stopped on an error", ["stream"])
PULL_LAG = Gauge(
    "rsc_pull_lag_seconds", "Seconds since the oldest stream's last complete pull, by stream", ["stream"]
)


# The methods counted by name; any other token (`serve --http h11` hands the app whatever a client sends)
# counts as "other", so no client can add series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@functools.lru_cache(maxsize=4096)
def _children(method: str, route: str, status: int) -> tuple[Any, Any]:
    # labels() resolves a child by lock and dict on every call; routes and statuses are few, so keep them.
    return HTTP_REQUESTS.labels(method, route, str(status)), HTTP_LATENCY.labels(method, route)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    requests, latency = _children(method if method in _METHODS else "other", route, status)
    requests.inc()
    latency.observe(seconds)
