"""ATS candidates and applications, with the application's stage history, as LinkedIn records
(docs/linkedin.md#candidates, docs/linkedin.md#applications)."""

from __future__ import annotations

from typing import Final

from rsc_service.integrations.ats import wire as ats
from rsc_service.integrations.linkedin import wire as li
from rsc_service.outbox.ops import Intent, Op
from rsc_service.push import sending
from rsc_service.push.fields import PushContext, Source, epoch_ms, parse_or_none, valid_emails, web_url
from rsc_service.push.postings import JOBS
from rsc_service.push.resource import Resource, Unsendable

# LinkedIn refuses an empty stage name and this one (docs/linkedin.md#applications).
_REFUSED_STAGE: Final = "Not Available"
_DISPOSITIONS: Final = {"rejected": "Rejected", "withdrawn": "Withdrawn"}


def candidate_intents(source: Source, ctx: PushContext) -> list[Intent]:
    candidate = None if source.deleted else source.record(ats.Candidate)
    if candidate is None:
        return [CANDIDATES.intent(source.id, Op.DELETE, None)]
    return [CANDIDATES.intent(candidate.id, Op.UPSERT, lambda: candidate_record(candidate, ctx))]


def candidate_record(candidate: ats.Candidate, ctx: PushContext) -> li.AtsCandidate:
    """The full candidate: a PUT replaces the record, so every field the ATS has is sent every time. One
    with no valid email, no link and no profile URL could not be matched: it is refused as built.

    Optional fields the ATS lacks are absent rather than null (on a PUT absence clears them), and a link made
    by hand, by export or from a stub is always sent: a replace without it would drop the link.
    """
    created = epoch_ms(candidate.created_at)
    emails = valid_emails([email.address for email in candidate.emails])
    profile = web_url(candidate.linkedin_url)
    if not emails and ctx.manual_matched_member is None and profile is None:
        # LinkedIn needs something to match the candidate by (docs/linkedin.md#candidates).
        raise Unsendable(
            "/emailAddresses :: empty, and neither manualMatchedMember nor linkedInProfileUrl is known"
        )
    return li.AtsCandidate(
        first_name=candidate.first_name,
        last_name=candidate.last_name,
        email_addresses=emails,
        # addresses and phoneNumbers are required but may be empty (docs/linkedin.md#candidates).
        phone_numbers=[li.PhoneNumber(number=phone.number) for phone in candidate.phones],
        addresses=_addresses(candidate.location),
        ats_created_at=created,
        # LinkedIn refuses a modification time before the creation time.
        ats_last_modified_at=max(created, epoch_ms(candidate.updated_at)),
        do_not_contact=candidate.do_not_contact,
        manual_matched_member=ctx.manual_matched_member,
        current_company_name=candidate.current_company,
        current_job_title=candidate.current_title,
        linkedin_profile_url=profile,
        external_profile_url=web_url(candidate.url),
    )


def unmatchable_unlinked(candidate: ats.Candidate) -> bool:
    """Whether the candidate, without a link, could not be sent: LinkedIn would have nothing to match it by
    (docs/linkedin.md#candidates)."""
    emails = valid_emails([email.address for email in candidate.emails])
    return not emails and web_url(candidate.linkedin_url) is None


def _addresses(location: ats.Location | None) -> list[li.Address]:
    if location is None or not any((location.city, location.region, location.postal_code, location.country)):
        return []
    return [
        li.Address(
            city=location.city or None,
            geographic_area=location.region or None,
            geographic_area_type="STATE" if location.region else None,
            postal_code=location.postal_code or None,
            country=location.country or None,
        )
    ]


def application_intents(source: Source, ctx: PushContext) -> list[Intent]:
    application = source.record(ats.Application)
    if source.deleted or application is None:
        return [APPLICATIONS.intent(source.id, Op.DELETE, None)]
    parents = (JOBS.ref(application.job_id), CANDIDATES.ref(application.candidate_id))
    if ctx.job is None or ctx.candidate is None:
        # Its job or candidate has not arrived yet: the row waits for them with nothing to send, and is
        # built again when they arrive (they are embedded in it).
        return [APPLICATIONS.intent(application.id, Op.UPSERT, None, depends_on=parents)]
    return [
        APPLICATIONS.intent(
            application.id, Op.UPSERT, lambda: application_record(application, ctx), depends_on=parents
        )
    ]


def application_record(application: ats.Application, ctx: PushContext) -> li.AtsApplication:
    """The full application, with the job title and candidate fields LinkedIn wants embedded.

    A parent known only from its deletion is a tombstone (no title, no names), and nothing is made up in its
    place: without its job's title the application is refused as built, naming the field; without its
    candidate's names it goes without them (LinkedIn does not require them).
    """
    created = epoch_ms(application.created_at)
    job = parse_or_none(ats.Job, ctx.job) if ctx.job is not None else None
    candidate = parse_or_none(ats.Candidate, ctx.candidate) if ctx.candidate is not None else None
    emails = valid_emails([email.address for email in candidate.emails]) if candidate else []
    return li.AtsApplication(
        ats_candidate_id=application.candidate_id,
        ats_job_posting_id=application.job_id,
        ats_created_at=created,
        ats_last_modified_at=max(created, epoch_ms(application.updated_at)),
        ats_job_posting_name=job.title if job else None,
        first_name=candidate.first_name if candidate else None,
        last_name=candidate.last_name if candidate else None,
        candidate_email=emails[0] if emails else None,
        source=application.source,
        disposition_reason=_DISPOSITIONS.get(application.status),
    )


def stage_intents(source: Source, ctx: PushContext) -> list[Intent]:
    """One LinkedIn stage record per entry of the application's history. A deleted application's stages are
    deleted too, when its last record came with the tombstone (they live inside it)."""
    application = source.record(ats.Application)
    if application is None:
        return []
    if source.deleted:
        return [
            STAGES.intent(stage_key(source.id, index), Op.DELETE, None, path_parent=source.id)
            for index, _ in _stages(application)
        ]
    return [
        STAGES.intent(
            stage_key(application.id, index),
            Op.UPSERT,
            stage,
            path_parent=application.id,
            depends_on=(APPLICATIONS.ref(application.id),),
        )
        for index, stage in _stages(application)
    ]


def _stages(application: ats.Application) -> list[tuple[int, li.ApplicationStage]]:
    """(index, record) of each stage change, oldest first.

    An application without a history is still in its current stage, entered when it was applied.
    """
    history = [(change.stage, change.entered_at) for change in application.stage_history]
    if not history:
        history = [(application.stage, application.applied_at)]
    return [
        (index, li.ApplicationStage(ats_created_at=epoch_ms(entered), stage=stage))
        for index, (stage, entered) in enumerate(history)
        if stage.strip() and stage.strip() != _REFUSED_STAGE
    ]


def stage_key(application_id: str, index: int) -> str:
    """A stage record's id: unique per tenant, stable while the history only grows (it is oldest first)."""
    return f"{application_id}-{index}"


def candidate_key(key: str, integration_context: str) -> li.CandidateKey:
    return li.CandidateKey(ats_candidate_id=key, integration_context=integration_context)


def application_key(key: str, integration_context: str) -> li.ApplicationKey:
    return li.ApplicationKey(ats_job_application_id=key, integration_context=integration_context)


CANDIDATES = Resource(
    name="atsCandidates",
    tier=1,
    kind="candidate",
    build=candidate_intents,
    send=sending.batch_update(
        candidate_key,
        lambda key: key.ats_candidate_id,
        li.AtsCandidate,
        lambda app: app.upsert_candidates,
        lambda app: app.delete_candidates,
    ),
)
APPLICATIONS = Resource(
    name="atsApplications",
    tier=2,
    kind="application",
    build=application_intents,
    send=sending.batch_update(
        application_key,
        lambda key: key.ats_job_application_id,
        li.AtsApplication,
        lambda app: app.upsert_applications,
        lambda app: app.delete_applications,
    ),
)
STAGES = Resource(
    name="atsApplications/stages",
    tier=3,
    kind="application",
    build=stage_intents,
    send=sending.sub_collection(
        application_key, li.ApplicationStage, lambda app: app.upsert_stages, lambda app: app.delete_stages
    ),
    parent=APPLICATIONS,
    origin=lambda _, path_parent: path_parent or "",
)
