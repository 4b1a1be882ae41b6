"""ATS jobs as LinkedIn job postings (§4.3) and, for restricted jobs, job ACLs (§4.6, P7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote, unquote

from rsc_service.integrations.ats.records import Job, Location
from rsc_service.mirror.payloads_fields import (
    ACL_ASSIGNEES,
    ACLS,
    JOBS,
    PRIVATE,
    PushContext,
    Tombstone,
    epoch_ms,
    parse_or_none,
    ref,
    truncate_utf16,
)
from rsc_service.outbox.ops import Intent, Op

# linkedin-rsc-docs.md §2 "Jobs": title is at most 200 characters; LinkedIn refuses a longer one outright.
TITLE_MAX: Final = 200
JOB_POSTING: Final = "JOB_POSTING"  # the only securable entity type (§4.6)


def job_intents(data: Mapping[str, Any], *, deleted: bool, ctx: PushContext) -> list[Intent]:
    job = parse_or_none(Job, data) if deleted else Job.model_validate(data)
    if job is None:
        return [_close_by_id(Tombstone.model_validate(data).id, ctx)]
    closed = deleted or job.deleted or job.status == "closed"
    # Jobs are closed on LinkedIn, never deleted (§4.9, Decisions 5).
    op = Op.CLOSE if deleted else Op.UPSERT
    posting = Intent(JOBS, job.id, op, posting_payload(job, ctx, closed=closed))
    return [posting, *acl_intents(job, ctx)]


def posting_payload(job: Job, ctx: PushContext, *, closed: bool) -> dict[str, Any]:
    """The simpleJobPostings element, as LinkedIn's collection sends it (no jobPostingOperationType).

    Leaving the operation type out lets LinkedIn upsert by externalJobPostingId, so a job closed before it
    was ever synced still arrives, closed (P1: closed jobs are part of the history).
    """
    payload: dict[str, Any] = {
        "integrationContext": ctx.integration_context,
        "externalJobPostingId": job.id,
        "title": truncate_utf16(job.title, TITLE_MAX),
        "state": "CLOSED" if closed else "LISTED",
        "listedAt": epoch_ms(job.created_at),
        "availability": _availability(job, ctx),
    }
    # Required fields the ATS lacks are left out rather than invented: LinkedIn audits partners and its
    # error then names the missing field (linkedin-rsc-docs.md §2).
    if job.description is not None:
        payload["description"] = job.description
    if job.url is not None:
        payload["companyApplyUrl"] = job.url
    payload.update(_location(job.location))
    return payload


def _availability(job: Job, ctx: PushContext) -> str:
    # PUBLIC only when the customer chose it (P9) and the ATS itself publishes the job: a private or
    # unlisted ATS job never becomes a public LinkedIn posting.
    if job.privacy == "public" and job.listed:
        return ctx.job_availability
    return PRIVATE


def _location(location: Location | None) -> dict[str, str]:
    """`location` as "City, Region" or "City, Country"; without a city, countryCode + postalCode (§4.3)."""
    if location is None:
        return {}
    if location.city:
        area = location.region or location.country
        return {"location": f"{location.city}, {area}" if area else location.city}
    fields = {"countryCode": location.country, "postalCode": location.postal_code}
    return {name: value for name, value in fields.items() if value}


def _close_by_id(job_id: str, ctx: PushContext) -> Intent:
    # A bare tombstone has no title or description to resend; LinkedIn's CLOSE operation needs only the id.
    payload = {
        "integrationContext": ctx.integration_context,
        "externalJobPostingId": job_id,
        "jobPostingOperationType": "CLOSE",
        "state": "CLOSED",
    }
    return Intent(JOBS, job_id, Op.CLOSE, payload)


# ---- ACLs ------------------------------------------------------------------------------------------


def acl_intents(job: Job, ctx: PushContext) -> list[Intent]:
    """The ACLs that show a restricted job only to its hiring team.

    Each hiring-team member is their own ACL group (`atsEntityAclId` = "user-{id}"): the job is tied to the
    group of every member, and a member with a seat is the one assignee of their group. A user then holds one
    ACL whatever the number of jobs, inside LinkedIn's limit of 10 ACLs per user (§4.6).
    """
    if not job.restricted:
        return []
    intents: list[Intent] = []
    for user_id in dict.fromkeys(member.user_id for member in job.hiring_team):
        group = acl_group(user_id)
        intents.append(Intent(ACLS, acl_key(group, job.id), Op.UPSERT, {}, depends_on=(ref(JOBS, job.id),)))
        member = ctx.members.get(user_id)
        if member is not None:
            intents.append(Intent(ACL_ASSIGNEES, acl_key(group, member), Op.UPSERT, {}))
    return intents


def acl_group(user_id: str) -> str:
    return f"user-{user_id}"


def acl_key(group: str, other: str) -> str:
    """The outbox key of an ACL ("group/jobId") or assignee ("group/personUrn"); parts percent-quoted."""
    return f"{quote(group, safe='')}/{quote(other, safe='')}"


def split_acl_key(key: str) -> tuple[str, str]:
    group, _, other = key.partition("/")
    return unquote(group), unquote(other)
