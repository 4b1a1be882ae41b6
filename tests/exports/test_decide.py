"""What an export becomes, decided without I/O: the title and employer a headline names, who looks like the
member, and who may see a job (docs/exports.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from rsc_service.exports import decide


class TestHeadline:
    @pytest.mark.parametrize(
        ("headline", "expected"),
        [
            ("Staff Engineer at Initech", ("Staff Engineer", "Initech")),
            ("Staff Engineer @ Initech", ("Staff Engineer", "Initech")),
            ("  Head of Data   AT   Globex  Corp ", ("Head of Data", "Globex Corp")),
            ("Chief at Large at Acme", ("Chief", "Large at Acme")),  # the first " at " splits
            ("Open to work", ("Open to work", None)),
            ("at Initech", ("at Initech", None)),
            ("", (None, None)),
            (None, (None, None)),
        ],
    )
    def test_names_the_title_then_the_employer(self, headline: str | None, expected: tuple[str, str]) -> None:
        assert decide.title_and_company(headline) == expected

    def test_long_parts_are_cut_to_what_the_ats_takes(self) -> None:
        title, company = decide.title_and_company("T" * 300 + " at " + "C" * 300)

        assert (len(title or ""), len(company or "")) == (200, 200)


class TestLikelySamePerson:
    CANDIDATE = {
        "first_name": "Dana",
        "last_name": "Scully",
        "current_company": "Initech",
        "current_title": "QA",
    }

    def test_same_name_and_employer_case_aside(self) -> None:
        assert decide.likely_same_person("dana", "SCULLY", "Engineer", "initech", self.CANDIDATE)

    def test_same_name_and_title(self) -> None:
        assert decide.likely_same_person("Dana", "Scully", "qa", None, self.CANDIDATE)

    def test_same_name_alone_is_not_enough(self) -> None:
        assert not decide.likely_same_person("Dana", "Scully", "Engineer", "Globex", self.CANDIDATE)
        assert not decide.likely_same_person("Dana", "Scully", None, None, self.CANDIDATE)

    def test_another_name_is_someone_else(self) -> None:
        assert not decide.likely_same_person("Fox", "Scully", "QA", "Initech", self.CANDIDATE)


class TestVisibleTo:
    def test_an_unrestricted_job_is_seen_by_anyone_even_without_a_user(self) -> None:
        assert decide.visible_to({"restricted": False}, None)
        assert decide.visible_to({}, "usr_1")

    def test_a_restricted_job_only_by_its_hiring_team(self) -> None:
        job = {"restricted": True, "hiring_team": [{"user_id": "usr_1", "role": "recruiter"}]}

        assert decide.visible_to(job, "usr_1")
        assert not decide.visible_to(job, "usr_2")
        assert not decide.visible_to(job, None)


class TestMonth:
    def test_the_utc_month_counts(self) -> None:
        late_evening_west = datetime(2026, 11, 30, 20, 0, tzinfo=timezone(timedelta(hours=-8)))

        assert decide.month_of(late_evening_west) == "2026-12"
        assert decide.month_of(datetime(2026, 12, 1, tzinfo=UTC)) == "2026-12"

    def test_the_external_id_is_the_request_id_within_the_ats_limit(self) -> None:
        assert decide.external_id("urn:li:request:1") == "linkedin-export:urn:li:request:1"
        assert len(decide.external_id("x" * 400)) == 200
