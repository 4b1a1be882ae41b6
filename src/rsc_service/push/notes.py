"""Candidate and application notes and interview feedback as LinkedIn sub-collection records
(docs/linkedin.md#notes-and-feedback)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rsc_service.integrations.ats import wire as ats
from rsc_service.integrations.linkedin import wire as li
from rsc_service.outbox.ops import Intent, Op
from rsc_service.push import sending
from rsc_service.push.candidates import APPLICATIONS, CANDIDATES, application_key, candidate_key
from rsc_service.push.fields import PushContext, Source, epoch_ms, user_actor
from rsc_service.push.resource import Resource

# LinkedIn knows only these two interview types; the others are sent without a type.
_INTERVIEW_TYPES: Final = {"phone": "PHONE_SCREEN", "onsite": "ONSITE"}
_RATINGS: Final = {"strong_no": "Strong No", "no": "No", "yes": "Yes", "strong_yes": "Strong Yes"}
RATING_ATTRIBUTE: Final = "Overall Rating"


def _note_intents(resource: Resource, source: Source, ctx: PushContext) -> list[Intent]:
    """A note under its application when it has one, else under its candidate; `resource` is the one of the
    two this builder declares, so each note is owed once."""
    note = source.record(ats.Note)
    if note is not None and note.external_id is not None:
        # The service wrote this note from a LinkedIn Recruiter note: sent back, it would show twice in
        # Recruiter, and to seats outside the contract it is kept to. Never sent, so never deleted either.
        return []
    ids = source.tombstone
    under_application = ids.application_id is not None
    if under_application != (resource is APPLICATION_NOTES):
        return []
    parent = ids.application_id if under_application else ids.candidate_id
    if parent is None:
        raise ValueError("a note needs its candidate_id or application_id")
    if source.deleted or note is None:
        return [resource.intent(source.id, Op.DELETE, None, path_parent=parent)]
    assert resource.parent is not None
    return [
        resource.intent(
            note.id,
            Op.UPSERT,
            lambda: note_record(note, ctx),
            path_parent=parent,
            depends_on=(resource.parent.ref(parent),),
        )
    ]


def elsewhere(kind: str, ats_id: str, intents: Sequence[Intent]) -> list[tuple[str, str]]:
    """(resource, key) of the rows a note's intents leave behind: a note lives under its application or its
    candidate, so once owed under one, a row under the other is deleted (the note was attached to or taken
    off an application). A note sent back from LinkedIn has no rows to leave."""
    if kind != "note" or not intents:
        return []
    named = {intent.resource for intent in intents}
    return [
        (resource.name, ats_id)
        for resource in (CANDIDATE_NOTES, APPLICATION_NOTES)
        if resource.name not in named
    ]


def note_record(note: ats.Note, ctx: PushContext) -> li.Note:
    return li.Note(
        ats_created_at=epoch_ms(note.written_at),
        note=note.body,
        author=user_actor(ctx, note.author_user_id, note.author_name),
    )


def feedback_intents(source: Source, ctx: PushContext) -> list[Intent]:
    application_id = source.tombstone.application_id
    if application_id is None:
        raise ValueError("interview feedback needs its application_id")
    feedback = None if source.deleted else source.record(ats.InterviewFeedback)
    if feedback is None:
        return [INTERVIEW_FEEDBACK.intent(source.id, Op.DELETE, None, path_parent=application_id)]
    return [
        INTERVIEW_FEEDBACK.intent(
            feedback.id,
            Op.UPSERT,
            lambda: feedback_record(feedback, ctx),
            path_parent=application_id,
            depends_on=(APPLICATIONS.ref(application_id),),
        )
    ]


def feedback_record(feedback: ats.InterviewFeedback, ctx: PushContext) -> li.InterviewFeedback:
    return li.InterviewFeedback(
        ats_created_at=epoch_ms(feedback.created_at),
        interviewer=user_actor(ctx, feedback.interviewer_user_id),
        feedback=feedback.summary,
        evaluations=(
            [li.InterviewEvaluation(attribute=RATING_ATTRIBUTE, result=_RATINGS[feedback.rating])]
            if feedback.rating is not None
            else None
        ),
        interview_type=_INTERVIEW_TYPES.get(feedback.interview_type or ""),
    )


def _candidate_notes(source: Source, ctx: PushContext) -> list[Intent]:
    return _note_intents(CANDIDATE_NOTES, source, ctx)


def _application_notes(source: Source, ctx: PushContext) -> list[Intent]:
    return _note_intents(APPLICATION_NOTES, source, ctx)


CANDIDATE_NOTES = Resource(
    name="atsCandidates/notes",
    tier=3,
    kind="note",
    build=_candidate_notes,
    send=sending.sub_collection(
        candidate_key,
        li.Note,
        lambda app: app.upsert_candidate_notes,
        lambda app: app.delete_candidate_notes,
    ),
    parent=CANDIDATES,
)
APPLICATION_NOTES = Resource(
    name="atsApplications/notes",
    tier=3,
    kind="note",
    build=_application_notes,
    send=sending.sub_collection(
        application_key,
        li.Note,
        lambda app: app.upsert_application_notes,
        lambda app: app.delete_application_notes,
    ),
    parent=APPLICATIONS,
)
# The kinds whose records may change parent: their rows delete the copy left under the old one.
MOVING: Final = frozenset({"note", "interview_feedback"})
INTERVIEW_FEEDBACK = Resource(
    name="atsApplications/interviewFeedback",
    tier=3,
    kind="interview_feedback",
    build=feedback_intents,
    send=sending.sub_collection(
        application_key,
        li.InterviewFeedback,
        lambda app: app.upsert_interview_feedback,
        lambda app: app.delete_interview_feedback,
    ),
    parent=APPLICATIONS,
)
