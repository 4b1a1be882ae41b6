"""Candidate and application notes and interview feedback as LinkedIn sub-collection records (§4.4, §4.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from rsc_service.integrations.ats.records import InterviewFeedback, Note
from rsc_service.mirror.payloads_fields import (
    APPLICATION_NOTES,
    APPLICATIONS,
    CANDIDATE_NOTES,
    CANDIDATES,
    INTERVIEW_FEEDBACK,
    PushContext,
    Tombstone,
    epoch_ms,
    parse_or_none,
    ref,
    user_actor,
)
from rsc_service.outbox.ops import Intent, Op

# LinkedIn knows only these two interview types (§4.5); the others are sent without a type.
_INTERVIEW_TYPES: Final = {"phone": "PHONE_SCREEN", "onsite": "ONSITE"}
_RATINGS: Final = {"strong_no": "Strong No", "no": "No", "yes": "Yes", "strong_yes": "Strong Yes"}
RATING_ATTRIBUTE: Final = "Overall Rating"


def note_intents(data: Mapping[str, Any], *, deleted: bool, ctx: PushContext) -> list[Intent]:
    if deleted:
        return _note_deletion(data)
    note = Note.model_validate(data)
    if note.external_id is not None:
        # The service wrote this note from a LinkedIn Recruiter note (R5): sent back, it would show twice in
        # Recruiter, and to seats outside the contract it is kept to (R7).
        return []
    resource, parent = _note_place(note.application_id, note.candidate_id)
    parent_resource = APPLICATIONS if resource == APPLICATION_NOTES else CANDIDATES
    return [
        Intent(
            resource,
            note.id,
            Op.UPSERT,
            note_payload(note, ctx),
            path_parent=parent,
            depends_on=(ref(parent_resource, parent),),
        )
    ]


def _note_deletion(data: Mapping[str, Any]) -> list[Intent]:
    last = parse_or_none(Note, data)
    if last is not None and last.external_id is not None:  # never sent, so nothing to delete
        return []
    tombstone = Tombstone.model_validate(data)
    resource, parent = _note_place(tombstone.application_id, tombstone.candidate_id)
    return [Intent(resource, tombstone.id, Op.DELETE, None, path_parent=parent)]


def _note_place(application_id: str | None, candidate_id: str | None) -> tuple[str, str]:
    """An application note lives under its application, any other note under its candidate."""
    if application_id is not None:
        return APPLICATION_NOTES, application_id
    if candidate_id is None:
        raise ValueError("a note needs its candidate_id or application_id")
    return CANDIDATE_NOTES, candidate_id


def note_payload(note: Note, ctx: PushContext) -> dict[str, Any]:
    payload: dict[str, Any] = {"atsCreatedAt": epoch_ms(note.written_at), "note": note.body}
    author = user_actor(ctx, note.author_user_id, note.author_name)
    if author is not None:
        payload["author"] = author
    return payload


def feedback_intents(data: Mapping[str, Any], *, deleted: bool, ctx: PushContext) -> list[Intent]:
    if deleted:
        tombstone = Tombstone.model_validate(data)
        if tombstone.application_id is None:
            raise ValueError("deleted interview feedback needs its application_id")
        path_parent = tombstone.application_id
        return [Intent(INTERVIEW_FEEDBACK, tombstone.id, Op.DELETE, None, path_parent=path_parent)]
    feedback = InterviewFeedback.model_validate(data)
    return [
        Intent(
            INTERVIEW_FEEDBACK,
            feedback.id,
            Op.UPSERT,
            feedback_payload(feedback, ctx),
            path_parent=feedback.application_id,
            depends_on=(ref(APPLICATIONS, feedback.application_id),),
        )
    ]


def feedback_payload(feedback: InterviewFeedback, ctx: PushContext) -> dict[str, Any]:
    payload: dict[str, Any] = {"atsCreatedAt": epoch_ms(feedback.created_at)}
    interviewer = user_actor(ctx, feedback.interviewer_user_id)
    if interviewer is not None:
        payload["interviewer"] = interviewer
    if feedback.summary is not None:
        payload["feedback"] = feedback.summary
    if feedback.rating is not None:
        payload["evaluations"] = [{"attribute": RATING_ATTRIBUTE, "result": _RATINGS[feedback.rating]}]
    if feedback.interview_type in _INTERVIEW_TYPES:
        payload["interviewType"] = _INTERVIEW_TYPES[feedback.interview_type]
    return payload
