"""Throttles per sending application, counted as docs/architecture.md#10-throttle says (see SimConfig)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .config import SimConfig
from .errors import THROTTLE_CODE, RestliError

RESOURCE_MESSAGE = "Resource level throttle limit for calls to this resource is reached."
DAY_MESSAGE = "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."


@dataclass
class _Bucket:
    day: str = ""
    requests: int = 0
    window: deque[tuple[datetime, int]] = field(default_factory=deque)


class Throttle:
    """Daily request counters (reset at 00:00 UTC) and a sliding records window, per group and app."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.buckets: dict[tuple[str, str], _Bucket] = {}

    def charge(self, group: str | None, app: str, records: int, now: datetime) -> None:
        """Count one request of `records` records, or raise LinkedIn's 429 if it would pass a limit."""
        if group is None:
            return
        bucket = self.buckets.setdefault((group, app), _Bucket())
        day = now.astimezone(UTC).strftime("%Y-%m-%d")
        if bucket.day != day:
            bucket.day, bucket.requests = day, 0
        per_day = (
            self.config.sync_requests_per_day if group == "sync" else self.config.prospect_requests_per_day
        )
        if per_day is not None and bucket.requests >= per_day:
            raise RestliError(429, DAY_MESSAGE, THROTTLE_CODE)
        per_window = self.config.sync_records_per_window if group == "sync" else None
        if per_window is not None:
            horizon = now - timedelta(seconds=self.config.sync_window_seconds)
            while bucket.window and bucket.window[0][0] <= horizon:
                bucket.window.popleft()
            used = sum(n for _, n in bucket.window)
            if used + records > per_window:
                raise RestliError(429, RESOURCE_MESSAGE, THROTTLE_CODE)
            bucket.window.append((now, records))
        bucket.requests += 1

    def usage(self) -> dict[str, dict[str, int]]:
        return {
            f"{group}:{app}": {"requestsToday": b.requests, "recordsInWindow": sum(n for _, n in b.window)}
            for (group, app), b in self.buckets.items()
        }
