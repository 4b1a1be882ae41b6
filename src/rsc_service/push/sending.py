"""How each outbox resource goes to LinkedIn: keys and payloads → the client's batch call → per-key results.

The outbox stays generic; the dispatcher is handed this table (composition root), as the payloads that fill
the rows live here too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from pydantic import ValidationError

from rsc_service.integrations.linkedin import LinkedInApp
from rsc_service.integrations.linkedin import wire as li
from rsc_service.integrations.linkedin.batch import BatchResult
from rsc_service.integrations.linkedin.errors import Category, EntityError
from rsc_service.mirror.payloads_fields import (
    ACL_ASSIGNEES,
    ACLS,
    APPLICATION_NOTES,
    APPLICATIONS,
    CANDIDATE_NOTES,
    CANDIDATES,
    INTERVIEW_FEEDBACK,
    JOBS,
    STAGES,
)
from rsc_service.mirror.payloads_jobs import split_acl_key
from rsc_service.outbox.sending import Item, Send, Sent, Target

K = TypeVar("K")
M = TypeVar("M", bound=li.Wire)


def _collect(result: BatchResult[K, Any], ours: Callable[[K], str], *, deleting: bool) -> Sent:
    sent = Sent(ok={ours(key): None for key in result.ok})
    for key, error in result.errors.items():
        if deleting and error.status == 404:  # already gone: what a delete wanted
            sent.ok[ours(key)] = None
        else:
            sent.errors[ours(key)] = error
    return sent


def _validated(items: Sequence[Item], model: type[M]) -> tuple[dict[str, M], dict[str, EntityError]]:
    """Payloads as wire models; one that cannot be a valid record fails alone, as LinkedIn would refuse it."""
    records: dict[str, M] = {}
    errors: dict[str, EntityError] = {}
    for key, payload in items:
        try:
            records[key] = model.model_validate(payload)
        except ValidationError as error:
            problems = "; ".join(f"/{'/'.join(map(str, e['loc']))} :: {e['msg']}" for e in error.errors()[:5])
            errors[key] = EntityError(
                status=422, category=Category.REJECTED, message=f"invalid record: {problems}"
            )
    return records, errors


def _merge(sent: Sent, errors: Mapping[str, EntityError]) -> Sent:
    sent.errors.update(errors)
    return sent


def _candidate_key(target: Target, key: str) -> li.CandidateKey:
    return li.CandidateKey(ats_candidate_id=key, integration_context=target.integration_context)


def _application_key(target: Target, key: str) -> li.ApplicationKey:
    return li.ApplicationKey(ats_job_application_id=key, integration_context=target.integration_context)


def _parent(target: Target) -> str:
    if target.path_parent is None:
        raise ValueError("a sub-collection row needs its parent key")
    return target.path_parent


async def _jobs(target: Target, items: Sequence[Item]) -> Sent:
    postings, invalid = _validated(items, li.SimpleJobPosting)
    if not postings:
        return Sent(errors=invalid)
    result = await target.app.create_jobs(list(postings.values()))
    return _merge(Sent(ok=dict(result.ok), errors=dict(result.errors)), invalid)


def _compound(
    key_of: Callable[[Target, str], K],
    ours: Callable[[K], str],
    model: type[li.Wire],
    upsert: Callable[[LinkedInApp], Callable[[dict[K, Any]], Awaitable[BatchResult[K, int]]]],
    remove: Callable[[LinkedInApp], Callable[[list[K]], Awaitable[BatchResult[K, int]]]],
) -> Send:
    """A resource keyed by a compound Rest.li key (candidates, applications): batch PUT or batch DELETE."""

    async def send(target: Target, items: Sequence[Item]) -> Sent:
        if all(payload is None for _, payload in items):
            keys = [key_of(target, key) for key, _ in items]
            return _collect(await remove(target.app)(keys), ours, deleting=True)
        valid, invalid = _validated(items, model)
        if not valid:
            return Sent(errors=invalid)
        records = {key_of(target, key): record for key, record in valid.items()}
        return _merge(_collect(await upsert(target.app)(records), ours, deleting=False), invalid)

    return send


def _ours_candidate(key: li.CandidateKey) -> str:
    return key.ats_candidate_id


def _ours_application(key: li.ApplicationKey) -> str:
    return key.ats_job_application_id


def _same(key: str) -> str:
    return key


async def _candidate_notes(target: Target, items: Sequence[Item]) -> Sent:
    parent = _candidate_key(target, _parent(target))
    if all(payload is None for _, payload in items):
        return _collect(
            await target.app.delete_candidate_notes(parent, [k for k, _ in items]), _same, deleting=True
        )
    notes, invalid = _validated(items, li.Note)
    if not notes:
        return Sent(errors=invalid)
    return _merge(
        _collect(await target.app.upsert_candidate_notes(parent, notes), _same, deleting=False), invalid
    )


def _application_sub(
    upsert: Callable[[LinkedInApp], Callable[[li.ApplicationKey, Any], Awaitable[BatchResult[str, int]]]],
    remove: Callable[
        [LinkedInApp], Callable[[li.ApplicationKey, list[str]], Awaitable[BatchResult[str, int]]]
    ],
    model: type[li.Wire],
) -> Send:
    async def send(target: Target, items: Sequence[Item]) -> Sent:
        parent = _application_key(target, _parent(target))
        if all(payload is None for _, payload in items):
            return _collect(await remove(target.app)(parent, [k for k, _ in items]), _same, deleting=True)
        records, invalid = _validated(items, model)
        if not records:
            return Sent(errors=invalid)
        return _merge(_collect(await upsert(target.app)(parent, records), _same, deleting=False), invalid)

    return send


def _acl_key(target: Target, key: str) -> li.AclKey:
    group, job_id = split_acl_key(key)
    return li.AclKey(
        ats_entity_acl_id=group, integration_context=target.integration_context, ats_entity_id=job_id
    )


def _assignee_key(target: Target, key: str) -> li.AclAssigneeKey:
    group, member = split_acl_key(key)
    return li.AclAssigneeKey(
        ats_entity_acl_id=group, integration_context=target.integration_context, assignee=member
    )


async def _acls(target: Target, items: Sequence[Item]) -> Sent:
    keys = {_acl_key(target, key): key for key, _ in items}
    deleting = all(payload is None for _, payload in items)
    result = await (target.app.delete_acls if deleting else target.app.upsert_acls)(list(keys))
    return _collect(result, keys.__getitem__, deleting=deleting)


async def _acl_assignees(target: Target, items: Sequence[Item]) -> Sent:
    keys = {_assignee_key(target, key): key for key, _ in items}
    deleting = all(payload is None for _, payload in items)
    result = await (target.app.delete_acl_assignees if deleting else target.app.upsert_acl_assignees)(
        list(keys)
    )
    return _collect(result, keys.__getitem__, deleting=deleting)


SENDERS: Final[Mapping[str, Send]] = {
    JOBS: _jobs,
    CANDIDATES: _compound(
        _candidate_key,
        _ours_candidate,
        li.AtsCandidate,
        lambda app: app.upsert_candidates,
        lambda app: app.delete_candidates,
    ),
    APPLICATIONS: _compound(
        _application_key,
        _ours_application,
        li.AtsApplication,
        lambda app: app.upsert_applications,
        lambda app: app.delete_applications,
    ),
    CANDIDATE_NOTES: _candidate_notes,
    APPLICATION_NOTES: _application_sub(
        lambda app: app.upsert_application_notes, lambda app: app.delete_application_notes, li.Note
    ),
    INTERVIEW_FEEDBACK: _application_sub(
        lambda app: app.upsert_interview_feedback,
        lambda app: app.delete_interview_feedback,
        li.InterviewFeedback,
    ),
    STAGES: _application_sub(
        lambda app: app.upsert_stages, lambda app: app.delete_stages, li.ApplicationStage
    ),
    ACLS: _acls,
    ACL_ASSIGNEES: _acl_assignees,
}
