"""The service's clock ran ahead for a while (a VM restored, NTP stepping it back) and pulls ran then, so
their cursors and lease stand in the future: once the clock is put right, the pull still runs, still reads
what was written since, and writes nothing twice."""

from __future__ import annotations

from datetime import timedelta

from tests.pull.conftest import Pull

DAN = "urn:li:person:m1004"


class TestTheClockPutRight:
    async def test_a_note_written_after_the_clock_was_put_right_is_still_pulled(self, pull: Pull) -> None:
        dan = pull.candidate()
        await pull.link(dan, DAN)
        start = pull.clock()
        before = await pull.note(3001, "m1004", "Met at the robotics fair.")
        pull.clock.advance(minutes=5)
        assert (await pull.run()).failed == []
        pull.clock.advance(days=1)  # the clock jumps a day ahead, and the pull runs meanwhile
        assert (await pull.run()).failed == []
        pull.clock.now = start + timedelta(minutes=10)  # put right
        pull.clock.advance(minutes=2)
        after = await pull.note(3001, "m1004", "Call back in May.")
        pull.clock.now = start + timedelta(minutes=40)  # the next run, well past the windows' overlap
        for _ in range(3):
            assert (await pull.run()).failed == []
            pull.clock.advance(minutes=30)

        written = [n["external_id"] for n in pull.records("note") if n.get("external_id")]
        assert sorted(written) == sorted([f"linkedin:notes:{before}", f"linkedin:notes:{after}"])
        assert pull.duplicates() == []
        cursors = {c.stream: c for c in await pull.cursors()}
        assert cursors["notes"].position is not None and cursors["notes"].position <= pull.clock()

    async def test_pull_now_runs_once_the_clock_was_put_right(self, pull: Pull) -> None:
        start = pull.clock()
        pull.clock.advance(hours=2)
        assert (await pull.run()).failed == []
        pull.clock.now = start + timedelta(minutes=5)  # put right; no pull is running

        report = await pull.run()

        assert report.failed == [] and [t.tenant_key for t in report.tenants] == [pull.tenancy.key]

    async def test_closed_profiles_are_read_when_due_after_the_clock_was_put_right(self, pull: Pull) -> None:
        pull.ctx.settings.pull.closed_profiles_days = 1
        start = pull.clock()
        assert (await pull.run()).failed == []
        pull.clock.advance(days=2)  # ahead: the closed profiles are read, dated two days on
        assert (await pull.run()).failed == []
        pull.clock.now = start + timedelta(days=1, hours=1)  # put right: a day since they were last read

        assert (await pull.run()).failed == []

        closed = next(c for c in await pull.cursors() if c.stream == "closed_profiles")
        assert closed.last_success_at == pull.clock()
