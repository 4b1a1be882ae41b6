"""Throttles per sending application, counted as docs/architecture.md#10-throttle says (see SimConfig)."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .config import SimConfig
from .errors import THROTTLE_CODE, RestliError

RESOURCE_MESSAGE = "Resource level throttle limit for calls to this resource is reached."
DAY_MESSAGE = "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."
MEMBER_WINDOW = timedelta(minutes=1)


@dataclass
class _Bucket:
    day: str = ""
    requests: int = 0
    window: deque[tuple[datetime, int]] = field(default_factory=deque)


def daily_budget(config: SimConfig, group: str) -> int | None:
    """Requests per UTC day of one throttle group; each row of docs/linkedin.md#throttles is a group, and the
    exports row counts each endpoint on its own ("each")."""
    budgets = {
        "sync": config.sync_requests_per_day,
        "acls": config.acl_requests_per_day,
        "simpleJobPostings": config.job_posting_requests_per_day,
        "prospect": config.prospect_requests_per_day,
        "atsIntegrations": config.integration_requests_per_day,
        "rest/integrations": config.integration_requests_per_day,
        "simpleJobPostingTasks": config.job_task_requests_per_day,
        "exportedCandidates": config.export_requests_per_day,
        "rest/exportedCandidates": config.export_requests_per_day,
        "rest/atsPurgedExportedCandidates": config.export_requests_per_day,
    }
    return budgets[group]


def records_per_window(config: SimConfig, group: str) -> int | None:
    """Records per sliding window: the sync and ACL rows of docs/linkedin.md#throttles, each on its own."""
    windows = {"sync": config.sync_records_per_window, "acls": config.acl_records_per_window}
    return windows.get(group)


def _prune(window: deque[tuple[datetime, int]], horizon: datetime) -> int:
    while window and window[0][0] <= horizon:
        window.popleft()
    return sum(n for _, n in window)


class Throttle:
    """Daily request counters (reset at 00:00 UTC) and sliding records windows, per group and app."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.buckets: dict[tuple[str, str], _Bucket] = {}
        self.member_windows: dict[tuple[str, str], deque[tuple[datetime, int]]] = {}

    def charge(self, group: str | None, app: str, records: int, now: datetime) -> None:
        """Count one request of `records` records, or raise LinkedIn's 429 if it would pass a limit."""
        if group is None:
            return
        bucket = self.buckets.setdefault((group, app), _Bucket())
        day = now.astimezone(UTC).strftime("%Y-%m-%d")
        if bucket.day != day:
            bucket.day, bucket.requests = day, 0
        per_day = daily_budget(self.config, group)
        if per_day is not None and bucket.requests >= per_day:
            raise RestliError(429, DAY_MESSAGE, THROTTLE_CODE)
        per_window = records_per_window(self.config, group)
        if per_window is not None:
            horizon = now - timedelta(seconds=self.config.sync_window_seconds)
            if _prune(bucket.window, horizon) + records > per_window:
                raise RestliError(429, RESOURCE_MESSAGE, THROTTLE_CODE)
            bucket.window.append((now, records))
        bucket.requests += 1

    def charge_members(self, app: str, records: Counter[str], now: datetime) -> None:
        """conversationEvents: at most N records per member in any sliding minute.

        docs/linkedin.md#throttles gives 12 records per member per minute and answers any budget overrun
        with 429, so a request whose records for one member would pass the budget (alone or with what that
        member got in the last minute) is refused whole, with the resource-level message, and nothing of it
        is counted.
        """
        limit = self.config.conversation_records_per_member_per_minute
        if limit is None:
            return
        horizon = now - MEMBER_WINDOW
        for member, count in records.items():
            window = self.member_windows.setdefault((app, member), deque())
            if _prune(window, horizon) + count > limit:
                raise RestliError(429, RESOURCE_MESSAGE, THROTTLE_CODE)
        for member, count in records.items():
            self.member_windows[(app, member)].append((now, count))

    def usage(self) -> dict[str, dict[str, int]]:
        return {
            f"{group}:{app}": {"requestsToday": b.requests, "recordsInWindow": sum(n for _, n in b.window)}
            for (group, app), b in self.buckets.items()
        }
