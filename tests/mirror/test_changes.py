"""Change: what the webhook route makes of an event and reconcile of a listed record is the same change."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import TypeAdapter

from rsc_service.integrations.ats import parse_event
from rsc_service.mirror import changes
from tests.factories import application, candidate, job, note

DELETED_AT = "2026-11-21T09:00:00Z"
LISTED: TypeAdapter[changes.Listed] = TypeAdapter(changes.Listed)


def _event(
    event_type: str, data: dict[str, Any], *, occurred_at: str = "2026-11-21T10:00:00Z"
) -> changes.Change:
    body = {"type": event_type, "id": "evt_1", "occurred_at": occurred_at, "data": data}
    return changes.from_event(parse_event(json.dumps(body)))


def _listed(record: dict[str, Any]) -> changes.Change:
    return changes.from_listed(LISTED.validate_python(record))


@pytest.mark.parametrize(
    ("kind", "record"),
    [
        ("candidate", candidate()),
        ("job", job()),
        ("application", application()),
        ("note", note(application_id="app_1")),
    ],
)
class TestSameChangeEitherWay:
    def test_a_live_record(self, kind: str, record: dict[str, Any]) -> None:
        from_webhook = _event(f"{kind}.updated", record)
        from_list = changes.from_listed(LISTED.validate_python(record))

        assert from_list.data == from_webhook.data
        assert (from_list.kind, from_list.ats_id, from_list.version, from_list.deleted) == (
            kind,
            record["id"],
            record["version"],
            False,
        )
        assert (from_list.candidate_id, from_list.job_id, from_list.application_id) == (
            from_webhook.candidate_id,
            from_webhook.job_id,
            from_webhook.application_id,
        )
        assert from_list.occurred_at.isoformat() == record["updated_at"].replace("Z", "+00:00")

    def test_a_deletion_carries_only_its_tombstone(self, kind: str, record: dict[str, Any]) -> None:
        listed = record | {"version": record["version"] + 1, "deleted_at": DELETED_AT}
        tombstone = {
            name: value
            for name, value in listed.items()
            if name in ("kind", "id", "version", "deleted_at", "candidate_id", "job_id", "application_id")
        }
        from_webhook = _event(f"{kind}.deleted", tombstone)
        from_list = changes.from_listed(LISTED.validate_python(listed))

        assert from_list.deleted and from_webhook.deleted
        assert from_list.data == from_webhook.data
        assert "first_name" not in from_list.data and "title" not in from_list.data
        assert from_list.occurred_at.isoformat() == "2026-11-21T09:00:00+00:00"


OUT_OF_RANGE = "not a time from 0001-01-01 to 9999-12-31 in UTC"


class TestUnstorable:
    # Valid times whose UTC falls after 9999 or before the year 1, which no timestamp column holds.
    @pytest.mark.parametrize("at", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
    def test_a_time_no_timestamp_column_holds_is_named_where_it_was_read(self, at: str) -> None:
        from_webhook = _event("candidate.updated", candidate(), occurred_at=at)
        updated = _listed(candidate(updated_at=at))
        deleted = _listed(candidate(version=2, deleted_at=at))

        assert changes.unstorable(from_webhook) == [("occurred_at", OUT_OF_RANGE)]
        assert changes.unstorable(updated) == [("updated_at", OUT_OF_RANGE)]
        assert changes.unstorable(deleted) == [("deleted_at", OUT_OF_RANGE)]

    @pytest.mark.parametrize(
        "at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "2026-11-21T10:00:00-12:00"]
    )
    def test_the_first_and_last_times_in_utc_are_storable(self, at: str) -> None:
        assert changes.unstorable(_event("candidate.updated", candidate(), occurred_at=at)) == []
        assert changes.unstorable(_listed(candidate(updated_at=at))) == []

    def test_the_records_values_are_named_under_data_in_an_event_and_as_they_are_in_a_list(self) -> None:
        record = candidate("x" * 201, version=2**31, first_name="Ad\x00a")
        expected = [
            ("id", "longer than 200 characters"),
            ("version", f"larger than {2**31 - 1}"),
            ("first_name", "contains a NUL character"),
        ]

        assert changes.unstorable(_listed(record)) == expected
        from_webhook = changes.unstorable(_event("candidate.updated", record))
        assert from_webhook == [(f"data.{path}", reason) for path, reason in expected]
