"""ATS candidates and applications, with the application's stage history, as LinkedIn records (§4.4, §4.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from rsc_service.integrations.ats.records import Application, Candidate, Job, Location
from rsc_service.mirror.payloads_fields import (
    APPLICATIONS,
    CANDIDATES,
    JOBS,
    STAGES,
    PushContext,
    Tombstone,
    epoch_ms,
    parse_or_none,
    ref,
    valid_emails,
)
from rsc_service.outbox.ops import Intent, Op

# §4.5 "Stages": LinkedIn refuses an empty stage name and this one.
_REFUSED_STAGE: Final = "Not Available"
_DISPOSITIONS: Final = {"rejected": "Rejected", "withdrawn": "Withdrawn"}


def candidate_intents(data: Mapping[str, Any], *, deleted: bool, ctx: PushContext) -> list[Intent]:
    if deleted:
        return [Intent(CANDIDATES, Tombstone.model_validate(data).id, Op.DELETE, None)]
    candidate = Candidate.model_validate(data)
    return [Intent(CANDIDATES, candidate.id, Op.UPSERT, candidate_payload(candidate, ctx))]


def candidate_payload(candidate: Candidate, ctx: PushContext) -> dict[str, Any]:
    """The full candidate: a PUT replaces the record, so every field the ATS has is sent every time."""
    created = epoch_ms(candidate.created_at)
    payload: dict[str, Any] = {
        "firstName": candidate.first_name,
        "lastName": candidate.last_name,
        "emailAddresses": valid_emails([email.address for email in candidate.emails]),
        # addresses and phoneNumbers are required but may be empty (March 2024, linkedin-rsc-docs.md §2).
        "phoneNumbers": [{"number": phone.number} for phone in candidate.phones],
        "addresses": _addresses(candidate.location),
        "atsCreatedAt": created,
        # LinkedIn refuses a modification time before the creation time (§4.4).
        "atsLastModifiedAt": max(created, epoch_ms(candidate.updated_at)),
        "doNotContact": candidate.do_not_contact,
        # Always present, null when unlinked: a full replace without it would drop a link made by hand,
        # by export or from an InMail stub (Decisions 6).
        "manualMatchedMember": ctx.manual_matched_member,
    }
    optional = {
        "currentCompanyName": candidate.current_company,
        "currentJobTitle": candidate.current_title,
        "linkedInProfileUrl": candidate.linkedin_url,
        "externalProfileUrl": candidate.url,
    }
    # Optional Rest.li fields are absent rather than null; on a PUT absence clears them (§7.3).
    payload.update({name: value for name, value in optional.items() if value is not None})
    return payload


def _addresses(location: Location | None) -> list[dict[str, str]]:
    if location is None:
        return []
    fields = {
        "city": location.city,
        "geographicArea": location.region,
        "geographicAreaType": "STATE" if location.region else None,
        "postalCode": location.postal_code,
        "country": location.country,
    }
    address = {name: value for name, value in fields.items() if value}
    return [address] if address else []


def application_intents(data: Mapping[str, Any], *, deleted: bool, ctx: PushContext) -> list[Intent]:
    if deleted:
        return _application_deletion(data)
    application = Application.model_validate(data)
    parents = (ref(JOBS, application.job_id), ref(CANDIDATES, application.candidate_id))
    own = Intent(
        APPLICATIONS, application.id, Op.UPSERT, application_payload(application, ctx), depends_on=parents
    )
    stages = [
        Intent(
            STAGES,
            stage_key(application.id, index),
            Op.UPSERT,
            payload,
            path_parent=application.id,
            depends_on=(ref(APPLICATIONS, application.id),),
        )
        for index, payload in _stages(application)
    ]
    return [own, *stages]


def _application_deletion(data: Mapping[str, Any]) -> list[Intent]:
    key = Tombstone.model_validate(data).id
    last = parse_or_none(Application, data)
    # Children before the parent (Decisions 7). Stages live inside the application record, so they are
    # known only when the last record comes with the tombstone.
    stages = _stages(last) if last is not None else []
    return [
        *(Intent(STAGES, stage_key(key, index), Op.DELETE, None, path_parent=key) for index, _ in stages),
        Intent(APPLICATIONS, key, Op.DELETE, None),
    ]


def application_payload(application: Application, ctx: PushContext) -> dict[str, Any]:
    """The full application, with the job title and candidate fields LinkedIn wants embedded (§4.5)."""
    created = epoch_ms(application.created_at)
    payload: dict[str, Any] = {
        "atsCandidateId": application.candidate_id,
        "atsJobPostingId": application.job_id,
        "atsCreatedAt": created,
        "atsLastModifiedAt": max(created, epoch_ms(application.updated_at)),
    }
    # A parent first seen as a deletion is only its tombstone (no title, no names): as good as unknown.
    job = parse_or_none(Job, ctx.job) if ctx.job is not None else None
    candidate = parse_or_none(Candidate, ctx.candidate) if ctx.candidate is not None else None
    # Without its job or candidate the required names stay out rather than being made up; LinkedIn's
    # error then says which one is missing.
    if job is not None:
        payload["atsJobPostingName"] = job.title
    if candidate is not None:
        payload["firstName"] = candidate.first_name
        payload["lastName"] = candidate.last_name
        emails = valid_emails([email.address for email in candidate.emails])
        if emails:
            payload["candidateEmail"] = emails[0]
    if application.source is not None:
        payload["source"] = application.source
    if application.status in _DISPOSITIONS:
        payload["dispositionReason"] = _DISPOSITIONS[application.status]
    return payload


def _stages(application: Application) -> list[tuple[int, dict[str, Any]]]:
    """(index, payload) of each stage change, oldest first; one LinkedIn stage record per history entry.

    An application without a history is still in its current stage, entered when it was applied.
    """
    history = [(change.stage, change.entered_at) for change in application.stage_history]
    if not history:
        history = [(application.stage, application.applied_at)]
    return [
        (index, {"atsCreatedAt": epoch_ms(entered), "stage": stage})
        for index, (stage, entered) in enumerate(history)
        if stage.strip() and stage.strip() != _REFUSED_STAGE
    ]


def stage_key(application_id: str, index: int) -> str:
    """A stage record's id: unique per tenant, stable while the history only grows (it is oldest first)."""
    return f"{application_id}-{index}"
