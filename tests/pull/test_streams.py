"""R5 notes and R6 InMails become ATS notes and emails on the linked candidate, with the contract's
visibility and the seat's ATS user as author, once each however often the windows and pages repeat them."""

from __future__ import annotations

from sqlalchemy import select

from rsc_service.mirror.models import AtsRecord
from tests.pull.conftest import CONTRACT, Pull, ats_world, delivered

DAN, EVE = "urn:li:person:m1004", "urn:li:person:m1005"


class TestNotesAndInMails:
    async def test_a_note_and_an_inmail_land_once_on_the_linked_candidate(self, pull: Pull) -> None:
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        note = await pull.note(3001, "m1004", "Strong in Rust; call back in May.")
        inmail = await pull.inmail(3001, "m1004", subject="Robotics role", body="Would you talk to us?")
        pull.clock.advance(minutes=1)

        first = await pull.run()
        assert first.failed == [], first
        pull.clock.advance(minutes=40)
        await pull.run()  # the next window overlaps the first: nothing is written again

        notes = [n for n in pull.records("note") if n.get("external_id")]
        assert [(n["candidate_id"], n["body"], n["author_user_id"]) for n in notes] == [
            (dan, "Strong in Rust; call back in May.", pull.rita)
        ]
        assert notes[0]["external_id"] == f"linkedin:notes:{note}"
        assert notes[0]["visibility"] == {"linkedin_contract": CONTRACT}
        emails = pull.records("email")
        assert [(e["candidate_id"], e["subject"], e["direction"], e["sender_user_id"]) for e in emails] == [
            (dan, "Robotics role", "outbound", pull.rita)
        ]
        assert emails[0]["external_id"] == f"linkedin:inmails:{inmail}"
        assert emails[0]["visibility"] == {"linkedin_contract": CONTRACT}
        assert pull.duplicates() == []
        items = await pull.items()
        assert {(i.stream, i.item_id, i.outcome) for i in items} == {
            ("notes", note, "written"),
            ("inmails", inmail, "written"),
        }


class TestWithdrawn:
    async def test_a_note_linkedin_marks_inactive_is_withdrawn_from_the_ats(self, pull: Pull) -> None:
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        kept = await pull.note(3001, "m1004", "Keeps.")
        gone = await pull.note(3001, "m1004", "Written in haste.")
        pull.clock.advance(minutes=1)
        assert (await pull.run()).failed == []
        pull.clock.advance(minutes=10)
        deleted = await pull.linkedin.delete(f"/_sim/prospect-notes/{gone}")
        assert deleted.json()["active"] is False
        pull.clock.advance(minutes=1)

        report = await pull.run()
        pull.clock.advance(minutes=40)
        await pull.run()  # seen again in the overlap: nothing more happens

        assert [s.withdrawn for s in report.tenants[0].streams if s.stream == "notes"] == [1]
        notes = {n["external_id"]: n for n in pull.records("note") if n.get("external_id")}
        assert "deleted_at" not in notes[f"linkedin:notes:{kept}"]
        assert notes[f"linkedin:notes:{gone}"]["deleted_at"] is not None
        withdrawals = [w for w in ats_world(pull.ats).writes if w["operation"] == "withdraw_note"]
        assert [w["external_id"] for w in withdrawals] == [f"linkedin:notes:{gone}"]
        items = {i.item_id: i for i in await pull.items()}
        assert (items[gone].outcome, items[kept].outcome) == ("withdrawn", "written")
        assert items[gone].withdrawn_at is not None

    async def test_a_note_inactive_when_first_seen_is_not_written(self, pull: Pull) -> None:
        dan = pull.candidate()
        await pull.link(dan, DAN)
        pull.clock.advance(minutes=5)
        note = await pull.note(3001, "m1004", "Never mind.")
        await pull.linkedin.delete(f"/_sim/prospect-notes/{note}")
        pull.clock.advance(minutes=1)

        assert (await pull.run()).failed == []

        assert [n for n in pull.records("note") if n.get("external_id")] == []
        [item] = await pull.items()
        assert (item.outcome, item.reason) == ("skipped", "inactive_when_first_seen")


class TestFirstLinkedCandidateDeleted:
    async def test_the_note_and_inmail_go_on_the_live_linked_candidate(self, pull: Pull) -> None:
        """Else they go to the deleted duplicate, get the ATS's 404 and are skipped for good."""
        merged_away, kept = pull.candidate("Dan", "Candidate"), pull.candidate("Daniel", "Candidate")
        await pull.link(merged_away, DAN)
        await pull.link(kept, DAN)
        ats_world(pull.ats).delete("candidate", merged_away)  # the duplicate merged away in the ATS
        pull.ats.state.webhooks.release()
        await delivered(pull.ats)
        async with pull.ctx.sessionmaker() as session:
            rows = (await session.scalars(select(AtsRecord).where(AtsRecord.kind == "candidate"))).all()
            live = {r.ats_id: not r.deleted for r in rows}
        assert (live.get(kept), live.get(merged_away)) == (True, False), live
        pull.clock.advance(minutes=5)
        note = await pull.note(3001, "m1004", "Strong in Rust; call back in May.")
        inmail = await pull.inmail(3001, "m1004", subject="Robotics role", body="Would you talk to us?")
        pull.clock.advance(minutes=1)

        assert (await pull.run()).failed == []

        notes = [(n["candidate_id"], n["body"]) for n in pull.records("note") if n.get("external_id")]
        assert notes == [(kept, "Strong in Rust; call back in May.")]
        assert [(e["candidate_id"], e["subject"]) for e in pull.records("email")] == [(kept, "Robotics role")]
        assert {(i.item_id, i.outcome, i.ats_candidate_id) for i in await pull.items()} == {
            (note, "written", kept),
            (inmail, "written", kept),
        }

    async def test_a_candidate_deleted_before_the_mirror_heard_is_passed_over_on_the_ats_404(
        self, pull: Pull
    ) -> None:
        """Else the ATS's 404 for the first linked candidate skips the note for good."""
        merged_away, kept = pull.candidate("Dan", "Candidate"), pull.candidate("Daniel", "Candidate")
        await pull.link(merged_away, DAN)
        await pull.link(kept, DAN)
        ats_world(pull.ats).delete("candidate", merged_away)  # its webhook not delivered yet
        pull.clock.advance(minutes=5)
        note = await pull.note(3001, "m1004", "Strong in Rust; call back in May.")
        pull.clock.advance(minutes=1)

        assert (await pull.run()).failed == []

        notes = [(n["candidate_id"], n["body"]) for n in pull.records("note") if n.get("external_id")]
        assert notes == [(kept, "Strong in Rust; call back in May.")]
        assert [(i.item_id, i.outcome, i.ats_candidate_id) for i in await pull.items()] == [
            (note, "written", kept)
        ]
