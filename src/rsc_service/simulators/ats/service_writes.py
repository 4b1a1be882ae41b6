"""The writes the service makes through the ATS API: idempotent on `external_id`, and all recorded."""

from __future__ import annotations

from typing import Any

from rsc_service.simulators.ats.records import STAGES, Record
from rsc_service.simulators.ats.world import InvalidChange, RecordNotFound, World

Body = dict[str, Any]


def _existing(world: World, kind: str, operation: str, body: Body) -> Record | None:
    record_id = world.external_ids.get((kind, body["external_id"]))
    if record_id is None:
        return None
    record = world.stores[kind].records[record_id]
    world.duplicates.append(
        {
            "at": world.now(),
            "operation": operation,
            "kind": kind,
            "external_id": body["external_id"],
            "existing_id": record_id,
            "body": body,
        }
    )
    _log(world, operation, record, body, status=200)
    return record


def _log(world: World, operation: str, record: Record, body: Body, *, status: int) -> None:
    world.writes.append(
        {
            "at": world.now(),
            "operation": operation,
            "kind": record["kind"],
            "id": record["id"],
            "external_id": body["external_id"],
            "status": status,
            "body": body,
        }
    )


def create_candidate(world: World, body: Body) -> tuple[Record, bool]:
    if (found := _existing(world, "candidate", "create_candidate", body)) is not None:
        return found, False
    fields = {key: value for key, value in body.items() if key not in {"job_id", "stage"}}
    if body.get("job_id"):
        world.get("job", body["job_id"])  # 404 before anything is created
    _check_user(world, body.get("sourcer_user_id"))
    candidate = world.create("candidate", fields)
    if body.get("job_id"):
        world.create(
            "application",
            {
                "candidate_id": candidate["id"],
                "job_id": body["job_id"],
                "stage": body.get("stage") or STAGES[0],
                "source": body.get("source"),
                "sourcer_user_id": body.get("sourcer_user_id"),
                "external_id": body["external_id"],
            },
        )
    _log(world, "create_candidate", candidate, body, status=201)
    return candidate, True


def assign_candidate(world: World, candidate_id: str, body: Body) -> tuple[Record, bool]:
    world.get("candidate", candidate_id)
    if (found := _existing(world, "application", "assign_candidate", body)) is not None:
        return found, False
    world.get("job", body["job_id"])
    _check_user(world, body.get("sourcer_user_id"))
    for application in world.stores["application"].live():
        if application["candidate_id"] == candidate_id and application["job_id"] == body["job_id"]:
            _log(world, "assign_candidate", application, body, status=200)
            return application, False
    fields = {"candidate_id": candidate_id, "stage": body.get("stage") or STAGES[0]} | {
        key: value for key, value in body.items() if key != "stage"
    }
    application = world.create("application", fields)
    _log(world, "assign_candidate", application, body, status=201)
    return application, True


def create_note(world: World, candidate_id: str, body: Body) -> tuple[Record, bool]:
    world.get("candidate", candidate_id)
    if (found := _existing(world, "note", "create_note", body)) is not None:
        return found, False
    if body.get("application_id"):
        application = world.get("application", body["application_id"])
        if application["candidate_id"] != candidate_id:
            raise InvalidChange(f"application {application['id']} is not one of candidate {candidate_id}'s")
    _check_field_user(world, "author_user_id", body.get("author_user_id"))
    note = world.create("note", {"candidate_id": candidate_id} | body)
    _log(world, "create_note", note, body, status=201)
    return note, True


def create_email(world: World, candidate_id: str, body: Body) -> tuple[Record, bool]:
    world.get("candidate", candidate_id)
    if (found := _existing(world, "email", "create_email", body)) is not None:
        return found, False
    _check_field_user(world, "sender_user_id", body.get("sender_user_id"))
    at = world.now()
    email = {"kind": "email", "id": world.next_id("email"), "version": 1, "created_at": at, "updated_at": at}
    email |= {"candidate_id": candidate_id, "subject": None, "sender_name": None, "sender_user_id": None}
    email |= {"thread_id": None, "visibility": None} | body
    world.store(email)  # the contract has no email events
    _log(world, "create_email", email, body, status=201)
    return email, True


def send_user_email(world: World, user_id: str, body: Body) -> tuple[Record, bool]:
    user = world.get("user", user_id)
    if (found := _existing(world, "user_email", "send_user_email", body)) is not None:
        return found, False
    message = {
        "kind": "user_email",
        "id": world.next_id("user_email"),
        "user_id": user_id,
        "to": user["email"],
    }
    message |= {"subject": body["subject"], "body": body["body"], "external_id": body["external_id"]}
    message |= {"sent_at": world.now()}
    world.store(message)
    _log(world, "send_user_email", message, body, status=201)
    return message, True


def _check_user(world: World, user_id: str | None) -> None:
    """A sourcer that does not exist: 404, as createCandidate and assignCandidate answer it."""
    if user_id:
        world.get("user", user_id)


def _check_field_user(world: World, field: str, user_id: str | None) -> None:
    """A note's author or an email's sender that is no ATS user: the body is invalid (422 naming the field),
    since createNote and createEmail answer 404 only for a parent record that does not exist."""
    if user_id:
        try:
            world.get("user", user_id)
        except RecordNotFound:
            raise InvalidChange(f"body.{field}: user {user_id} does not exist") from None


def withdraw(world: World, kind: str, external_id: str) -> Record:
    """Delete the note or email the service created with `external_id`; a repeat answers the same record."""
    record_id = world.external_ids.get((kind, external_id))
    if record_id is None:
        raise RecordNotFound(kind, f"with external_id {external_id}")
    record = world.stores[kind].records[record_id]
    if "deleted_at" in record:
        _log_withdrawal(world, kind, record, external_id, status=200)
        return record
    if kind == "note":
        world.delete(kind, record_id)  # a note.deleted event, as when a user deletes it
    else:
        at = world.now()
        world.store(record | {"version": record["version"] + 1, "updated_at": at, "deleted_at": at})
    gone = world.stores[kind].records[record_id]
    _log_withdrawal(world, kind, gone, external_id, status=200)
    return gone


def _log_withdrawal(world: World, kind: str, record: Record, external_id: str, *, status: int) -> None:
    world.writes.append(
        {
            "at": world.now(),
            "operation": f"withdraw_{kind}",
            "kind": kind,
            "id": record["id"],
            "external_id": external_id,
            "status": status,
            "body": {"external_id": external_id},
        }
    )
