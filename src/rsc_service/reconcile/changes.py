"""Pure: an ATS record as listed by the API → the webhook event that would have announced it."""

from __future__ import annotations

from typing import Final

from rsc_service.integrations.ats import wire as ats

# Parents before children, so an application finds its job and candidate in the mirror (users first:
# notes and feedback embed their authors' names).
KINDS: Final[tuple[str, ...]] = ("user", "job", "candidate", "application", "note", "interview_feedback")

ListedRecord = ats.User | ats.Job | ats.Candidate | ats.Application | ats.Note | ats.InterviewFeedback


def event_for(record: ListedRecord) -> ats.WebhookEvent:
    """The `*.updated` event carrying `record`, or the `*.deleted` event carrying its tombstone."""
    event_id = f"reconcile:{record.kind}:{record.id}:{record.version}"
    if record.deleted_at is not None:
        return _deleted(record, event_id)
    at = record.updated_at
    match record:
        case ats.User():
            return ats.UserChanged(id=event_id, type="user.updated", occurred_at=at, data=record)
        case ats.Job():
            return ats.JobChanged(id=event_id, type="job.updated", occurred_at=at, data=record)
        case ats.Candidate():
            return ats.CandidateChanged(id=event_id, type="candidate.updated", occurred_at=at, data=record)
        case ats.Application():
            return ats.ApplicationChanged(
                id=event_id, type="application.updated", occurred_at=at, data=record
            )
        case ats.Note():
            return ats.NoteChanged(id=event_id, type="note.updated", occurred_at=at, data=record)
        case ats.InterviewFeedback():
            return ats.InterviewFeedbackChanged(
                id=event_id, type="interview_feedback.updated", occurred_at=at, data=record
            )
    raise ValueError(f"no event for a {type(record).__name__}")


def _deleted(record: ListedRecord, event_id: str) -> ats.WebhookEvent:
    at = record.deleted_at
    assert at is not None
    stamp = {"id": record.id, "version": record.version, "deleted_at": at}
    match record:
        case ats.User():
            return ats.UserDeleted(
                id=event_id, type="user.deleted", occurred_at=at, data=ats.UserTombstone(**stamp)
            )
        case ats.Job():
            return ats.JobDeleted(
                id=event_id, type="job.deleted", occurred_at=at, data=ats.JobTombstone(**stamp)
            )
        case ats.Candidate():
            return ats.CandidateDeleted(
                id=event_id, type="candidate.deleted", occurred_at=at, data=ats.CandidateTombstone(**stamp)
            )
        case ats.Application():
            tombstone = ats.ApplicationTombstone(
                **stamp, candidate_id=record.candidate_id, job_id=record.job_id
            )
            return ats.ApplicationDeleted(
                id=event_id, type="application.deleted", occurred_at=at, data=tombstone
            )
        case ats.Note():
            note = ats.NoteTombstone(
                **stamp,
                candidate_id=record.candidate_id,
                application_id=record.application_id,
                job_id=record.job_id,
            )
            return ats.NoteDeleted(id=event_id, type="note.deleted", occurred_at=at, data=note)
        case ats.InterviewFeedback():
            feedback = ats.InterviewFeedbackTombstone(
                **stamp,
                candidate_id=record.candidate_id,
                job_id=record.job_id,
                application_id=record.application_id,
            )
            return ats.InterviewFeedbackDeleted(
                id=event_id, type="interview_feedback.deleted", occurred_at=at, data=feedback
            )
    raise ValueError(f"no event for a deleted {type(record).__name__}")
