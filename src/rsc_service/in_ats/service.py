"""S1-S3: past applicants, the indicator and the preview, read from our database only: the mirror holds
the ATS's records and the links say which candidates are which member (docs/in-ats.md).

Nothing here calls LinkedIn or the ATS. A member who is not a live linked candidate of this tenant is
`MemberNotFound`, whatever any other tenant holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.errors import NotFound
from rsc_service.in_ats import repository, schemas
from rsc_service.integrations.ats import wire as ats
from rsc_service.mirror.models import AtsRecord

CANDIDATE_ID = "{candidate_id}"
M = TypeVar("M", bound=BaseModel)


class MemberNotFound(NotFound):
    code = "member_not_found"

    def __init__(self) -> None:
        super().__init__("this member is not a candidate in the ATS")


async def past_applicants(
    session: AsyncSession, *, tenant_id: uuid.UUID, members: Sequence[str]
) -> schemas.PastApplicantsRead:
    """S1: which of `members` (a search page, at most 100) are candidates in the ATS, in one query."""
    found: dict[str, list[str]] = {}
    for member, candidate in await repository.candidates_of_members(
        session, tenant_id=tenant_id, members=members
    ):
        found.setdefault(member, []).append(candidate)
    listed = [
        schemas.MemberCandidates(member_urn=member, candidate_ids=sorted(found[member]))
        for member in dict.fromkeys(members)
        if member in found
    ]
    return schemas.PastApplicantsRead(count=len(listed), members=listed)


async def indicator(session: AsyncSession, *, tenant_id: uuid.UUID, member: str) -> schemas.IndicatorRead:
    """S2: whether the member is a candidate in the ATS; one who is not is a 404."""
    found = await repository.candidates_of_members(session, tenant_id=tenant_id, members=[member])
    if not found:
        raise MemberNotFound
    return schemas.IndicatorRead(
        member_urn=member, in_ats=True, candidate_ids=sorted(candidate for _, candidate in found)
    )


def record_url(template: str | None, candidate: ats.Candidate) -> str | None:
    """The deep link: the tenant's template with the candidate id filled in, else the ATS's own `url`."""
    if template:
        return template.replace(CANDIDATE_ID, quote(candidate.id, safe=""))
    return candidate.url


def _parse(model: type[M], data: Mapping[str, Any]) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError:  # a tombstone carries only ids
        return None


def _name(user: ats.User | None) -> str | None:
    return f"{user.first_name} {user.last_name}".strip() if user is not None else None


def _note(note: ats.Note, users: Mapping[str, ats.User]) -> schemas.NotePreview:
    # R7: a note the service wrote from LinkedIn, or one kept to one contract's seats, shows that it exists,
    # when and by whom, never what it says (docs/in-ats.md#privacy). The ATS's own notes are the ones the
    # push sends LinkedIn anyway.
    restricted = note.visibility is not None or note.external_id is not None
    author = note.author_name or _name(users.get(note.author_user_id or ""))
    return schemas.NotePreview(
        id=note.id,
        written_at=note.written_at,
        author=author,
        body=None if restricted else note.body,
        restricted=restricted,
    )


def _interview(feedback: ats.InterviewFeedback, users: Mapping[str, ats.User]) -> schemas.InterviewPreview:
    return schemas.InterviewPreview(
        id=feedback.id,
        interviewed_at=feedback.interviewed_at,
        interview_type=feedback.interview_type,
        interviewer=_name(users.get(feedback.interviewer_user_id or "")),
        rating=feedback.rating,
        summary=feedback.summary,
    )


def _stage_changes(
    application: ats.Application, users: Mapping[str, ats.User]
) -> list[schemas.StageChangePreview]:
    """Oldest first; an application without a history is in its current stage since it was applied."""
    if not application.stage_history:
        return [
            schemas.StageChangePreview(
                stage=application.stage, entered_at=application.applied_at, changed_by=None
            )
        ]
    return [
        schemas.StageChangePreview(
            stage=change.stage,
            entered_at=change.entered_at,
            changed_by=_name(users.get(change.changed_by_user_id or "")),
        )
        for change in application.stage_history
    ]


def _job(job_id: str, record: AtsRecord | None) -> schemas.JobPreview:
    """The job an application is for. A job only its hiring team may see (P7) keeps its title to itself:
    the preview does not know which Recruiter user is looking (docs/in-ats.md#privacy)."""
    job = _parse(ats.Job, record.data) if record is not None else None
    if record is None or job is None:
        status = "deleted" if record is not None else None
        return schemas.JobPreview(id=job_id, title=None, status=status, restricted=False)
    return schemas.JobPreview(
        id=job_id,
        title=None if job.restricted else job.title,
        status="deleted" if record.deleted else job.status,
        restricted=job.restricted,
    )


def _user_ids(records: Iterable[BaseModel]) -> set[str]:
    found: set[str] = set()
    for record in records:
        if isinstance(record, ats.Note) and record.author_user_id:
            found.add(record.author_user_id)
        elif isinstance(record, ats.InterviewFeedback) and record.interviewer_user_id:
            found.add(record.interviewer_user_id)
        elif isinstance(record, ats.Application):
            found |= {c.changed_by_user_id for c in record.stage_history if c.changed_by_user_id}
    return found


async def preview(
    session: AsyncSession, *, tenant_id: uuid.UUID, member: str, url_template: str | None
) -> schemas.PreviewRead:
    """S3: each of the member's candidates with the jobs they were considered for, stage changes, notes and
    interviews. Three reads whatever the history's size, each by an index: the member's candidates, what
    lies under them, and the jobs and users those name."""
    found = await repository.candidates_of_member(session, tenant_id=tenant_id, member=member)
    candidates = sorted(
        (parsed for parsed in (_parse(ats.Candidate, record.data) for record in found) if parsed is not None),
        key=lambda candidate: (candidate.updated_at, candidate.id),
        reverse=True,
    )
    if not candidates:
        raise MemberNotFound
    under = await repository.records_under(
        session, tenant_id=tenant_id, candidate_ids={candidate.id for candidate in candidates}
    )
    applications: list[ats.Application] = []
    notes: list[ats.Note] = []
    interviews: list[ats.InterviewFeedback] = []
    for record in under:
        if record.kind == "application" and (application := _parse(ats.Application, record.data)):
            applications.append(application)
        elif record.kind == "note" and (note := _parse(ats.Note, record.data)):
            notes.append(note)
        elif record.kind == "interview_feedback" and (feedback := _parse(ats.InterviewFeedback, record.data)):
            interviews.append(feedback)
    named = await repository.records_by_id(
        session,
        tenant_id=tenant_id,
        wanted={("job", a.job_id) for a in applications}
        | {("user", user) for user in _user_ids([*applications, *notes, *interviews])},
    )
    jobs = {ats_id: record for (kind, ats_id), record in named.items() if kind == "job"}
    users = {
        ats_id: user
        for (kind, ats_id), record in named.items()
        if kind == "user" and (user := _parse(ats.User, record.data)) is not None
    }
    return schemas.PreviewRead(
        member_urn=member,
        candidates=[
            _candidate(candidate, applications, notes, interviews, jobs, users, url_template)
            for candidate in candidates
        ],
    )


def _candidate(
    candidate: ats.Candidate,
    applications: Sequence[ats.Application],
    notes: Sequence[ats.Note],
    interviews: Sequence[ats.InterviewFeedback],
    jobs: Mapping[str, AtsRecord],
    users: Mapping[str, ats.User],
    url_template: str | None,
) -> schemas.CandidatePreview:
    own_notes = [n for n in notes if n.candidate_id == candidate.id]
    own_interviews = [i for i in interviews if i.candidate_id == candidate.id]
    own_applications = sorted(
        (a for a in applications if a.candidate_id == candidate.id),
        key=lambda a: (a.applied_at, a.id),
        reverse=True,
    )
    return schemas.CandidatePreview(
        id=candidate.id,
        name=f"{candidate.first_name} {candidate.last_name}".strip(),
        first_name=candidate.first_name,
        last_name=candidate.last_name,
        current_title=candidate.current_title,
        current_company=candidate.current_company,
        record_url=record_url(url_template, candidate),
        updated_at=candidate.updated_at,
        applications=[
            schemas.ApplicationPreview(
                id=application.id,
                job=_job(application.job_id, jobs.get(application.job_id)),
                stage=application.stage,
                status=application.status,
                applied_at=application.applied_at,
                stage_changes=_stage_changes(application, users),
                notes=[
                    _note(n, users)
                    for n in sorted(own_notes, key=lambda n: (n.written_at, n.id))
                    if n.application_id == application.id
                ],
                interviews=[
                    _interview(i, users)
                    for i in sorted(own_interviews, key=lambda i: (i.interviewed_at, i.id))
                    if i.application_id == application.id
                ],
            )
            for application in own_applications
        ],
        notes=[
            _note(n, users)
            for n in sorted(own_notes, key=lambda n: (n.written_at, n.id))
            if n.application_id is None
        ],
        has_notes=bool(own_notes),
        has_interviews=bool(own_interviews),
    )
