"""R9: LinkedIn's closed profiles are read at least every 30 days (every 7 by default); what the pull wrote
about such a member is withdrawn from the ATS and the member is dropped from our store, while the ATS
candidate stays."""

from __future__ import annotations

from sqlalchemy import select

from rsc_service.links.models import CandidateLink
from tests.pull.conftest import Pull

EVE = "urn:li:person:m1005"


class TestClosedProfiles:
    async def test_a_closed_profile_leaves_the_ats_candidate_without_its_linkedin_data(
        self, pull: Pull
    ) -> None:
        eve, dan = pull.candidate("Eve", "Prospect"), pull.candidate("Dan", "Candidate")
        await pull.link(eve, EVE)
        await pull.link(dan, "urn:li:person:m1004")
        pull.clock.advance(minutes=5)
        await pull.note(3001, "m1005", "Great fit for the arms team.")
        await pull.inmail(3001, "m1005", body="Hello Eve")
        await pull.note(3001, "m1004", "Dan stays.")
        exported = await pull.linkedin.post("/_sim/exports", json={"seat": 3001, "member": "m1005"})
        assert exported.status_code == 200, exported.text
        pull.clock.advance(minutes=1)
        first = await pull.run()
        assert first.failed == []
        assert len([n for n in pull.records("note") if n.get("external_id")]) == 2

        closed = await pull.linkedin.post("/_sim/members/m1005/close")
        assert closed.status_code == 200, closed.text
        pull.clock.advance(days=1)
        await pull.run()  # read a day ago: not due yet
        assert all("deleted_at" not in n for n in pull.records("note"))

        pull.clock.advance(days=7)
        report = await pull.run()

        [stream] = [s for s in report.tenants[0].streams if s.stream == "closed_profiles"]
        assert (stream.withdrawn, stream.error) == (2, None)
        notes = {n["body"]: n for n in pull.records("note") if n.get("external_id")}
        assert notes["Great fit for the arms team."]["deleted_at"] is not None
        assert "deleted_at" not in notes["Dan stays."]
        [email] = pull.records("email")
        assert email["deleted_at"] is not None
        assert {c["id"] for c in pull.records("candidate") if "deleted_at" not in c} == {eve, dan}
        async with pull.ctx.sessionmaker() as session:
            links = {
                link.ats_candidate_id: link.member_urn
                for link in (await session.scalars(select(CandidateLink))).all()
            }
        assert links == {eve: None, dan: "urn:li:person:m1004"}
        items = await pull.items()
        assert EVE not in {i.member_urn for i in items}
        assert sorted(i.outcome for i in items) == ["withdrawn", "withdrawn", "written"]
