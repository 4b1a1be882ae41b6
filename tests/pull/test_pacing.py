"""InMails within LinkedIn's 12 records per member a minute: the pure window, and a seat whose InMails are all
with one member pulled without a single 429."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rsc_service.pull.pacing import MemberPace
from tests.pull.conftest import Pull

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class TestMemberPace:
    def test_a_member_waits_until_its_oldest_records_leave_the_minute(self) -> None:
        pace = MemberPace()
        pace.record({"a": 8}, T0)
        pace.record({"a": 4, "b": 12}, T0 + timedelta(seconds=10))
        assert pace.wait({"b": 1}, T0 + timedelta(seconds=20)) == timedelta(seconds=51)
        assert pace.wait({"a": 5}, T0 + timedelta(seconds=20)) == timedelta(seconds=41)  # the 8 leave at 61 s
        assert pace.wait({"c": 12}, T0 + timedelta(seconds=20)) == timedelta(0)
        assert pace.wait({"a": 5}, T0 + timedelta(seconds=61)) == timedelta(0)

    def test_a_page_over_the_limit_alone_waits_only_for_an_empty_minute(self) -> None:
        pace = MemberPace()
        assert pace.wait({"a": 20}, T0) == timedelta(0)


class TestHotMember:
    async def test_thirty_inmails_with_one_member_land_without_a_429(self, pull: Pull) -> None:
        dan = pull.candidate()
        await pull.link(dan, "urn:li:person:m1004")
        pull.clock.advance(minutes=5)
        for n in range(30):
            await pull.inmail(3001, "m1004", body=f"Message {n}")
        pull.clock.advance(minutes=1)
        started = pull.clock()

        report = await pull.run()

        assert report.failed == [], report
        assert len(pull.records("email")) == 30
        # Three pages of at most 12, each after the member's minute cleared: two waits of about a minute.
        assert pull.clock() - started >= timedelta(minutes=2)
        requests = await pull.linkedin.get("/_sim/requests", params={"pathPrefix": "/v2/conversationEvents"})
        logged = requests.json()["elements"]
        assert len(logged) >= 3 and all(r["status"] == 200 for r in logged), logged


class TestOneMemberTwoSeats:
    async def test_inmails_of_one_member_with_two_seats_land_in_one_run_without_a_429(
        self, pull: Pull
    ) -> None:
        """Else the second seat's first page is asked at once, LinkedIn answers 429 and its InMails wait."""
        dan = pull.candidate()
        await pull.link(dan, "urn:li:person:m1004")
        pull.clock.advance(minutes=5)
        for n in range(8):
            await pull.inmail(3001, "m1004", body=f"From Alice {n}")
        for n in range(8):
            await pull.inmail(3002, "m1004", body=f"From Bob {n}")
        pull.clock.advance(minutes=1)

        report = await pull.run()

        errors = [(s.stream, s.seat_id, s.error) for t in report.tenants for s in t.streams if s.error]
        assert report.failed == [], errors
        assert len(pull.records("email")) == 16
        requests = await pull.linkedin.get("/_sim/requests", params={"pathPrefix": "/v2/conversationEvents"})
        statuses = [r["status"] for r in requests.json()["elements"]]
        assert 429 not in statuses, statuses
