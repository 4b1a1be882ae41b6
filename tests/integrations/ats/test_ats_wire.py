"""Wire models: parsing webhook events of every kind, deletions, parent ids and malformed bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from rsc_service.integrations.ats import wire

STAMP = "2026-03-02T09:15:00Z"


def event(event_type: str, data: dict[str, Any]) -> bytes:
    body = {"type": event_type, "id": "evt_01", "occurred_at": STAMP, "data": data}
    return json.dumps(body).encode()


def record(kind: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "id": f"{kind}_1", "version": 3, "created_at": STAMP, "updated_at": STAMP} | fields


CANDIDATE = record(
    "candidate",
    first_name="Ada",
    last_name="Lovelace",
    emails=[{"address": "ada@example.com", "type": "home"}],
    current_company="Analytical Engines Ltd",
)
APPLICATION = record(
    "application",
    candidate_id="candidate_1",
    job_id="job_1",
    stage="Phone Screen",
    status="active",
    applied_at=STAMP,
    stage_history=[
        {"stage": "Applied", "entered_at": STAMP},
        {"stage": "Phone Screen", "entered_at": STAMP, "changed_by_user_id": "user_1"},
    ],
)


class TestParseEvent:
    def test_candidate_created(self) -> None:
        parsed = wire.parse_event(event("candidate.created", CANDIDATE))

        assert isinstance(parsed, wire.CandidateChanged)
        assert parsed.id == "evt_01"
        assert parsed.type == "candidate.created"
        assert parsed.occurred_at == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
        assert (parsed.data.kind, parsed.data.id, parsed.data.version) == ("candidate", "candidate_1", 3)
        assert parsed.data.emails[0].address == "ada@example.com"
        assert not parsed.deleted
        assert not parsed.data.deleted

    def test_stage_change_carries_the_application_and_its_history(self) -> None:
        parsed = wire.parse_event(event("application.stage_changed", APPLICATION))

        assert isinstance(parsed, wire.ApplicationChanged)
        assert parsed.data.candidate_id == "candidate_1"
        assert parsed.data.job_id == "job_1"
        assert [change.stage for change in parsed.data.stage_history] == ["Applied", "Phone Screen"]

    def test_note_deletion_is_a_tombstone_with_parent_ids(self) -> None:
        data = {
            "kind": "note",
            "id": "note_9",
            "version": 4,
            "deleted_at": STAMP,
            "candidate_id": "candidate_1",
            "application_id": "application_1",
            "job_id": "job_1",
        }
        parsed = wire.parse_event(event("note.deleted", data))

        assert isinstance(parsed, wire.NoteDeleted)
        assert parsed.deleted
        assert parsed.data.deleted
        assert (parsed.data.candidate_id, parsed.data.application_id) == ("candidate_1", "application_1")

    @pytest.mark.parametrize(
        ("event_type", "data"),
        [
            ("job.deleted", {"kind": "job", "id": "job_1", "version": 2, "deleted_at": STAMP}),
            ("user.deleted", {"kind": "user", "id": "user_1", "version": 2, "deleted_at": STAMP}),
            ("candidate.deleted", {"kind": "candidate", "id": "c_1", "version": 7, "deleted_at": STAMP}),
        ],
    )
    def test_every_deletion_says_so(self, event_type: str, data: dict[str, Any]) -> None:
        parsed = wire.parse_event(event(event_type, data))

        assert parsed.deleted
        assert parsed.data.version == data["version"]

    def test_unknown_fields_are_ignored(self) -> None:
        parsed = wire.parse_event(event("candidate.updated", CANDIDATE | {"favourite_colour": "teal"}))

        assert parsed.data.id == "candidate_1"

    def test_every_event_type_is_listed(self) -> None:
        assert len(wire.EVENT_TYPES) == len(set(wire.EVENT_TYPES)) == 19
        assert "application.stage_changed" in wire.EVENT_TYPES


class TestMalformed:
    @pytest.mark.parametrize(
        "body",
        [
            b"not json",
            b"[]",
            b'{"type": "candidate.created"}',
            event("candidate.exploded", CANDIDATE),
            event("candidate.created", APPLICATION),
            event("candidate.created", CANDIDATE | {"version": 0}),
            event("job.deleted", {"kind": "job", "id": "job_1", "version": 2}),
            event("candidate.created", CANDIDATE).replace(b"09:15:00Z", b"09:15:00"),
        ],
    )
    def test_is_a_validation_error(self, body: bytes) -> None:
        with pytest.raises(ValidationError):
            wire.parse_event(body)

    def test_validation_error_is_a_value_error(self) -> None:
        assert issubclass(ValidationError, ValueError)


class TestCreates:
    def test_note_create_keeps_visibility(self) -> None:
        note = wire.NoteCreate(
            external_id="li-note:urn:li:note:1",
            body="Great call",
            written_at=datetime(2026, 3, 2, tzinfo=UTC),
            visibility=wire.Visibility(linkedin_contract="urn:li:contract:1"),
        )

        dumped = note.model_dump(mode="json", exclude_none=True)

        assert dumped["visibility"] == {"linkedin_contract": "urn:li:contract:1"}
        assert dumped["written_at"] == "2026-03-02T00:00:00Z"

    def test_create_refuses_unknown_fields(self) -> None:
        with pytest.raises(ValidationError):
            wire.UserEmailCreate.model_validate({"external_id": "x", "subject": "s", "body": "b", "cc": "y"})

    def test_page_of_candidates(self) -> None:
        page = wire.Page[wire.Candidate].model_validate({"data": [CANDIDATE], "next_cursor": None})

        assert page.data[0].first_name == "Ada"
        assert page.next_cursor is None
