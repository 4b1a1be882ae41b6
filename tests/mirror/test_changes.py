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


def _event(event_type: str, data: dict[str, Any]) -> changes.Change:
    body = {"type": event_type, "id": "evt_1", "occurred_at": "2026-11-21T10:00:00Z", "data": data}
    return changes.from_event(parse_event(json.dumps(body)))


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
