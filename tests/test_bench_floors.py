"""The initial sync benchmark's floors: the ordered floor agrees with the window floor when every record costs
the same, and is higher, never lower, when the walk's later records are slower to send."""

from __future__ import annotations

import pytest
from bench.initial_sync import ordered_floor
from bench.push import WINDOW_SECONDS, backlog_floor


def uniform(records_per_s: float, records: int, per_request: int = 100) -> list[tuple[float, int]]:
    return [(i * per_request / records_per_s, per_request) for i in range(records // per_request)]


class TestOrderedFloor:
    def test_with_every_record_costing_the_same_it_is_the_window_floor(self) -> None:
        floor = ordered_floor(uniform(500, 5000), 0.0, 15_000, 6000)

        # within one request of the probe, stretched to the sync's size (100 records at 500 a second, x 3)
        assert floor == pytest.approx(backlog_floor(15_000, 6000, 500), abs=3 * 100 / 500)

    def test_slower_later_records_raise_it_above_the_window_floor(self) -> None:
        fast = [(i * 100 / 3000, 100) for i in range(30)]  # 3,000 candidates at 3,000 a second
        slow = [(1 + i * 3 / 200, 3) for i in range(667)]  # then stages, 3 a request, 200 a second
        profile = fast + slow
        average = sum(n for _, n in profile) / profile[-1][0]

        floor = ordered_floor(profile, 0.0, 15_000, 6000)

        assert floor > backlog_floor(15_000, 6000, average) + 5
        assert floor >= 2 * WINDOW_SECONDS  # two windows' worth must leave before the last third goes

    def test_without_a_limit_in_reach_it_is_the_probe_stretched_plus_its_tail(self) -> None:
        profile = [(2.0, 100), (3.0, 100), (4.0, 100)]

        assert ordered_floor(profile, 1.5, 600, 10_000) == pytest.approx(2.0 + 2.0 * 2 + 1.5, abs=0.01)
