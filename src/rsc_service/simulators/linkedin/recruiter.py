"""What recruiters see and do: the In-ATS indicator, the export drop-down, exports, InMails, notes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from .errors import RestliError
from .matching import candidates_of_member
from .models import ConversationEvent, Export, MailStub, ProspectNote
from .restli import make_key, render_key
from .world import World


def _children(
    world: World, collection: str, parent: dict[str, str], child_field: str
) -> list[dict[str, Any]]:
    return [
        {"id": dict(key)[child_field]} | record
        for key, record in world.collection(collection).where(**parent)
    ]


def _viewers_all(world: World, organization: str, integration_type: str, name: str) -> bool:
    key = make_key(dict(world.integration_key(organization, integration_type)) | {"configuration": name})
    record = world.collection("configurations").get(key) or {}
    return bool(record.get("configurationValue", {}).get("string") == "ALL_PRODUCT_USERS")


def acl_allows(world: World, organization: str, job_id: str, viewer: str) -> bool:
    """Whether an ACL on the job names a group the viewer (person URN) is assigned to."""
    groups = {
        dict(key)["atsEntityAclId"]
        for key, _ in world.collection("atsEntityAcls").where(
            integrationContext=organization, atsEntityId=job_id
        )
    }
    assigned = world.collection("atsEntityAclAssignees").where(
        integrationContext=organization, assignee=viewer
    )
    return any(dict(key)["atsEntityAclId"] in groups for key, _ in assigned)


def job_visible(world: World, organization: str, job_id: str, viewer: str | None) -> bool:
    """Entities without ACLs are hidden unless JOB_POSTING_VIEWERS is ALL_PRODUCT_USERS."""
    if viewer is None or _viewers_all(world, organization, "ONE_CLICK_EXPORT", "JOB_POSTING_VIEWERS"):
        return True
    return acl_allows(world, organization, job_id, viewer)


def application_visible(world: World, organization: str, job_id: str, viewer: str | None) -> bool:
    if viewer is None or _viewers_all(world, organization, "IN_ATS_INDICATOR", "APPLICATION_VIEWERS"):
        return True
    return acl_allows(world, organization, job_id, viewer)


def indicator(
    world: World, member_urn: str, organization: str | None = None, viewer: str | None = None
) -> dict[str, Any]:
    """The Enhanced In-ATS indicator of a member: linked candidates, their applications, stages, notes."""
    jobs = world.collection("simpleJobPostings")
    shown = []
    for key, record in candidates_of_member(world, member_urn, organization):
        fields = dict(key)
        applications = []
        for app_key, application in world.collection("atsApplications").where(
            integrationContext=fields["integrationContext"]
        ):
            if application.get("atsCandidateId") != fields["atsCandidateId"]:
                continue
            job_id = str(application.get("atsJobPostingId"))
            if not application_visible(world, fields["integrationContext"], job_id, viewer):
                continue
            parent = dict(app_key)
            job = jobs.get(
                make_key(
                    {
                        "integrationContext": parent["integrationContext"],
                        "externalJobPostingId": str(application.get("atsJobPostingId")),
                    }
                )
            )
            applications.append(
                {
                    "atsJobApplicationId": parent["atsJobApplicationId"],
                    "application": application,
                    "job": job,
                    "stages": _children(world, "stages", parent, "stageId"),
                    "notes": _children(world, "applicationNotes", parent, "noteId"),
                    "interviewFeedback": _children(world, "interviewFeedback", parent, "interviewFeedbackId"),
                }
            )
        shown.append(
            {
                "key": render_key(key, "1.0.0"),
                "integrationContext": fields["integrationContext"],
                "atsCandidateId": fields["atsCandidateId"],
                "candidate": record,
                "notes": _children(world, "candidateNotes", fields, "noteId"),
                "applications": applications,
            }
        )
    return {"member": member_urn, "inAts": bool(shown), "candidates": shown}


def export_dropdown(world: World, organization: str, viewer: str | None = None) -> list[dict[str, Any]]:
    """Every synced job the viewer may see, closed ones included, as the export drop-down lists them."""
    return [
        {
            "externalJobPostingId": dict(key)["externalJobPostingId"],
            "title": job.get("title"),
            "state": job.get("state"),
            "jobPosting": job.get("jobPosting"),
        }
        for key, job in world.collection("simpleJobPostings").where(integrationContext=organization)
        if job_visible(world, organization, dict(key)["externalJobPostingId"], viewer)
    ]


def export(world: World, organization: str, seat_id: int, member: str, job: str | None) -> Export:
    """A recruiter's One-Click Export; at most the configured number per seat per calendar month (UTC)."""
    seat = world.seats.get(seat_id)
    if seat is None or world.contracts.get(seat.contract) != organization:
        raise RestliError(404, f"Seat {seat_id} is not a seat of {organization}")
    if member not in world.members:
        raise RestliError(404, f"Member {member} not found")
    month = world.now().astimezone(UTC).strftime("%Y-%m")
    used = sum(
        1
        for e in world.exports.values()
        if e.seat == seat_id and datetime.fromtimestamp(e.at / 1000, UTC).strftime("%Y-%m") == month
    )
    if used >= world.config.exports_per_seat_per_month:
        raise RestliError(
            429, f"Seat {seat_id} reached {world.config.exports_per_seat_per_month} exports this month", 101
        )
    # The drop-down a recruiter picks from only lists the jobs that recruiter may see.
    visible = export_dropdown(world, organization, f"urn:li:person:{seat.member}")
    if job is not None and not any(j["externalJobPostingId"] == job for j in visible):
        raise RestliError(404, f"Job {job} is not in the export drop-down")
    record = Export(
        f"urn:li:request:{uuid.uuid4()}", organization, seat_id, member, job, world.clock.now_ms()
    )
    world.exports[record.request_id] = record
    return record


def send_inmail(world: World, seat_id: int, member: str, subject: str, body: str) -> ConversationEvent:
    if seat_id not in world.seats or member not in world.members:
        raise RestliError(404, "Unknown seat or member")
    event = ConversationEvent(
        str(uuid.uuid4()),
        f"urn:li:messagingThread:{uuid.uuid4()}",
        seat_id,
        member,
        "OUTBOUND",
        subject,
        body,
        world.clock.now_ms(),
    )
    world.conversation_events.append(event)
    return event


def reply(
    world: World, event_id: str, body: str, share_email: bool, share_phone: bool
) -> tuple[ConversationEvent, MailStub | None]:
    """The member answers an InMail; sharing contact details creates a mail stub for the seat's contract."""
    original = next((e for e in world.conversation_events if e.event_id == event_id), None)
    if original is None:
        raise RestliError(404, f"InMail {event_id} not found")
    answer = ConversationEvent(
        str(uuid.uuid4()),
        original.thread,
        original.seat,
        original.member,
        "INBOUND",
        "Re: " + original.subject,
        body,
        world.clock.now_ms(),
    )
    world.conversation_events.append(answer)
    stub = None
    if share_email or share_phone:
        member = world.members[original.member]
        seat = world.seats[original.seat]
        stub = MailStub(
            str(uuid.uuid4()),
            seat.contract,
            seat.seat_id,
            member.person_id,
            member.first_name,
            member.last_name,
            (member.emails[0] if member.emails else None) if share_email else None,
            member.phone if share_phone else None,
            world.clock.now_ms(),
        )
        world.mail_stubs.append(stub)
    return answer, stub


def write_note(
    world: World, seat_id: int, member: str, text: str, note_id: str | None = None
) -> ProspectNote:
    """A recruiter writes or edits a note on a prospect."""
    seat = world.seats.get(seat_id)
    if seat is None or member not in world.members:
        raise RestliError(404, "Unknown seat or member")
    now = world.clock.now_ms()
    existing = world.prospect_notes.get(note_id or "")
    if existing is not None:
        existing.note, existing.last_modified, existing.active = text, now, True
        return existing
    note = ProspectNote(note_id or str(world.next_id()), seat.contract, seat_id, member, text, now, now)
    world.prospect_notes[note.note_id] = note
    return note


def delete_note(world: World, note_id: str) -> ProspectNote:
    note = world.prospect_notes.get(note_id)
    if note is None:
        raise RestliError(404, f"Note {note_id} not found")
    note.active, note.last_modified = False, world.clock.now_ms()
    return note
