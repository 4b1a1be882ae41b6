"""LinkedIn's 12 InMail records per member a minute (docs/linkedin.md#throttles), kept for one pull run: a
pure sliding window per member, told the time by its caller (docs/pull.md#budgets)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

PER_MINUTE: Final = 12
WINDOW: Final = timedelta(seconds=60)
MARGIN: Final = timedelta(seconds=1)  # our clock and LinkedIn's are not the same clock


class MemberPace:
    def __init__(self, limit: int = PER_MINUTE, window: timedelta = WINDOW + MARGIN) -> None:
        self._limit, self._window = limit, window
        self._seen: dict[str, deque[tuple[datetime, int]]] = {}

    def _used(self, member: str, now: datetime) -> int:
        seen = self._seen.get(member)
        if not seen:
            return 0
        while seen and seen[0][0] <= now - self._window:
            seen.popleft()
        return sum(records for _, records in seen)

    def wait(self, counts: Mapping[str, int], now: datetime) -> timedelta:
        """How long until every member's `counts` fit in its minute (zero: now); a page larger than the
        limit on its own waits for an empty minute."""
        longest = timedelta(0)
        for member, records in counts.items():
            used = self._used(member, now)
            if used + records <= self._limit or used == 0:
                continue
            freed = 0
            for at, count in self._seen[member]:
                freed += count
                if used - freed + records <= self._limit:
                    longest = max(longest, at + self._window - now)
                    break
        return longest

    def record(self, counts: Mapping[str, int], now: datetime) -> None:
        for member, records in counts.items():
            self._seen.setdefault(member, deque()).append((now, records))
