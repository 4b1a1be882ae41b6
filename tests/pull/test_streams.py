"""R5 notes and R6 InMails become ATS notes and emails on the linked candidate, with the contract's
visibility and the seat's ATS user as author, once each however often the windows and pages repeat them."""

from __future__ import annotations

from tests.pull.conftest import CONTRACT, Pull

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
