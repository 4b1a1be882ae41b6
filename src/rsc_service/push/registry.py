"""Pure mapping of one ATS record to the LinkedIn RSC records it requires, as outbox intents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Protocol

from rsc_service.mirror.payloads_candidates import application_intents, candidate_intents, stage_key
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
    PushContext,
)
from rsc_service.mirror.payloads_jobs import JOB_POSTING, acl_intents, job_intents, split_acl_key
from rsc_service.mirror.payloads_notes import feedback_intents, note_intents
from rsc_service.outbox.ops import Intent

__all__ = [
    "PARENT_RESOURCE",
    "RESOURCES",
    "PushContext",
    "acl_intents",
    "intents_for",
    "linkedin_key",
    "resource_order",
    "stage_key",
]

# Every outbox `resource` this module emits: LinkedIn's /v2 resource paths, a sub-collection written as
# "parent/collection" (linkedin-rsc-api.md §4.3 to §4.6), mapped to its parent-before-child rank.
_ORDER: Final[dict[str, int]] = {
    JOBS: 0,
    CANDIDATES: 1,
    APPLICATIONS: 2,
    CANDIDATE_NOTES: 3,
    APPLICATION_NOTES: 3,
    INTERVIEW_FEEDBACK: 3,
    STAGES: 3,
    ACLS: 3,
    ACL_ASSIGNEES: 3,
}
RESOURCES: Final[frozenset[str]] = frozenset(_ORDER)

# The resource whose record a sub-collection's `path_parent` names (its key sits in the URL path, §3.1).
PARENT_RESOURCE: Final[Mapping[str, str]] = {
    CANDIDATE_NOTES: CANDIDATES,
    APPLICATION_NOTES: APPLICATIONS,
    INTERVIEW_FEEDBACK: APPLICATIONS,
    STAGES: APPLICATIONS,
}


class _Mapper(Protocol):
    def __call__(self, data: Mapping[str, Any], *, deleted: bool, ctx: PushContext) -> list[Intent]: ...


_MAPPERS: Final[dict[str, _Mapper]] = {
    "job": job_intents,
    "candidate": candidate_intents,
    "application": application_intents,
    "note": note_intents,
    "interview_feedback": feedback_intents,
}


def intents_for(kind: str, data: Mapping[str, Any], *, deleted: bool, ctx: PushContext) -> list[Intent]:
    """The LinkedIn records one ATS record requires, parents first.

    `data` is the record as JSON; for a deletion it may be only the tombstone (id, version, deleted_at and
    the parent ids). A deleted job is closed (Op.CLOSE); to close it with its full posting, and to delete an
    application's stages, pass the last known record with the tombstone's fields. Users map to seats, not
    to records, and yield nothing.
    """
    if kind == "user":
        return []
    mapper = _MAPPERS.get(kind)
    if mapper is None:
        raise ValueError(f"unknown record kind {kind!r}")
    return mapper(data, deleted=deleted, ctx=ctx)


def resource_order(resource: str) -> int:
    """Parent-before-child rank for sending upserts: jobs 0, candidates 1, applications 2, the rest 3.

    Deletions go the other way round (Decisions 7): children first, so the highest rank first.
    """
    try:
        return _ORDER[resource]
    except KeyError:
        raise ValueError(f"unknown resource {resource!r}") from None


def linkedin_key(resource: str, key: str, integration_context: str) -> dict[str, str] | str:
    """The Rest.li key of an outbox row, as the fields of a compound key or a sub-collection's simple id.

    For a sub-collection the parent's compound key is `linkedin_key(PARENT_RESOURCE[r], path_parent, …)`.
    Jobs are addressed by `externalJobPostingId` inside the posting itself and have no Rest.li key.
    """
    if resource == CANDIDATES:
        return {"atsCandidateId": key, "dataProvider": "ATS", "integrationContext": integration_context}
    if resource == APPLICATIONS:
        return {"atsJobApplicationId": key, "dataProvider": "ATS", "integrationContext": integration_context}
    if resource == ACLS:
        group, job_id = split_acl_key(key)
        return _acl_fields(group, integration_context) | {"atsEntityId": job_id}
    if resource == ACL_ASSIGNEES:
        group, member = split_acl_key(key)
        return _acl_fields(group, integration_context) | {"assignee": member}
    if resource in PARENT_RESOURCE or resource == JOBS:
        return key
    raise ValueError(f"unknown resource {resource!r}")


def _acl_fields(group: str, integration_context: str) -> dict[str, str]:
    return {
        "atsEntityAclId": group,
        "atsEntityType": JOB_POSTING,
        "dataProvider": "ATS",
        "integrationContext": integration_context,
    }
