"""ATS jobs as LinkedIn job postings and, for restricted jobs, job ACLs (docs/linkedin.md#jobs,
docs/linkedin.md#job-acls)."""

from __future__ import annotations

from typing import Final

from rsc_service.integrations.ats import wire as ats
from rsc_service.integrations.linkedin import wire as li
from rsc_service.outbox.ops import JOB_POSTINGS, Intent, Op
from rsc_service.push import sending
from rsc_service.push.fields import PRIVATE, PushContext, Source, epoch_ms, truncate_utf16, web_url
from rsc_service.push.resource import KeyOnly, Resource
from rsc_service.seats.acl import ACLS as ACLS_NAME
from rsc_service.seats.acl import ASSIGNEES as ASSIGNEES_NAME
from rsc_service.seats.acl import acl_group, acl_key, split_acl_key

# LinkedIn refuses a title over 200 characters and a description over 25,000 outright (docs/linkedin.md#jobs).
TITLE_MAX: Final = 200
DESCRIPTION_MAX: Final = 25_000
JOB_POSTING: Final = "JOB_POSTING"  # the only securable entity type


def posting_intents(source: Source, ctx: PushContext) -> list[Intent]:
    job = source.record(ats.Job)
    if job is None:
        # Known only from its deletion: the ATS never told us of it while it lived, so LinkedIn never had it
        # and there is nothing to close.
        return []
    closed = source.deleted or job.deleted or job.status == "closed"
    # Jobs are closed on LinkedIn, never deleted (docs/architecture.md#6-jobs).
    op = Op.CLOSE if source.deleted else Op.UPSERT
    return [JOBS.intent(job.id, op, lambda: posting(job, ctx, closed=closed))]


def posting(job: ats.Job, ctx: PushContext, *, closed: bool) -> li.SimpleJobPosting:
    """The whole simpleJobPostings element; a close re-sends it whole, with state CLOSED. Its operation
    (CREATE, UPDATE, CLOSE) depends on what LinkedIn already holds, so it is set when it is sent
    (push/sending.py). A required value the ATS lacks (description, apply URL) is not invented: the posting is
    refused where it is built, naming it.
    """
    return li.SimpleJobPosting(
        integration_context=ctx.integration_context,
        external_job_posting_id=job.id,
        title=truncate_utf16(job.title, TITLE_MAX),
        description=_description(job.description),
        state="CLOSED" if closed else "LISTED",
        company_apply_url=web_url(job.url),
        listed_at=epoch_ms(job.created_at),
        availability=_availability(job, ctx),
        **_location(job.location),
    )


def _description(text: str | None) -> str | None:
    """The ATS's description, cut to LinkedIn's limit where it is longer; never inside an HTML tag, which
    would leave a broken `<p …` at the end (LinkedIn drops the markup it does not support, not half a tag)."""
    if text is None:
        return None  # refused where the posting is built: the description is required
    cut = truncate_utf16(text, DESCRIPTION_MAX)
    if len(cut) == len(text):
        return text
    opened = cut.rfind("<")
    return cut[:opened] if opened > cut.rfind(">") else cut


def _availability(job: ats.Job, ctx: PushContext) -> str:
    # PUBLIC only when the customer chose it and the ATS itself publishes the job: a private or unlisted
    # ATS job never becomes a public LinkedIn posting.
    if job.privacy == "public" and job.listed:
        return ctx.job_availability
    return PRIVATE


def _location(location: ats.Location | None) -> dict[str, str]:
    """`location` as "City, Region" or "City, Country"; without a city, countryCode + postalCode."""
    if location is None:
        return {}
    if location.city:
        area = location.region or location.country
        return {"location": f"{location.city}, {area}" if area else location.city}
    fields = {"country_code": location.country, "postal_code": location.postal_code}
    return {name: value for name, value in fields.items() if value}


# ---- ACLs ------------------------------------------------------------------------------------------
# A restricted job is shown only to its hiring team. Each hiring-team member is their own ACL group
# (`atsEntityAclId` = "user-{id}"): the job is tied to the group of every member, and a member with a seat is
# the one assignee of their group. A user then holds one ACL whatever the number of jobs, inside LinkedIn's
# limit of 10 ACLs per user (docs/linkedin.md#job-acls).


def _team(source: Source) -> tuple[ats.Job | None, list[str]]:
    job = source.record(ats.Job)
    if job is None or not job.restricted:
        return None, []
    return job, list(dict.fromkeys(member.user_id for member in job.hiring_team))


def acl_intents(source: Source, ctx: PushContext) -> list[Intent]:
    """The job's ACL for each member of a restricted job's team, filed under the job (`path_parent`) so that
    those of members taken off the team, or all of them once the job is no longer restricted, are found and
    owed as deletions (push/service.py). The job is not in LinkedIn's URL for ACLs: their batches mix jobs."""
    job, team = _team(source)
    if job is None:
        return []
    return [
        ACLS.intent(
            acl_key(acl_group(user), job.id),
            Op.UPSERT,
            KeyOnly,
            path_parent=job.id,
            depends_on=(JOBS.ref(job.id),),
        )
        for user in team
    ]


def assignee_intents(source: Source, ctx: PushContext) -> list[Intent]:
    _, team = _team(source)
    return [
        ACL_ASSIGNEES.intent(acl_key(acl_group(user), ctx.members[user]), Op.UPSERT, KeyOnly)
        for user in team
        if user in ctx.members
    ]


def _acl(key: str, integration_context: str) -> li.AclKey:
    group, job_id = split_acl_key(key)
    return li.AclKey(ats_entity_acl_id=group, integration_context=integration_context, ats_entity_id=job_id)


def _assignee(key: str, integration_context: str) -> li.AclAssigneeKey:
    group, member = split_acl_key(key)
    return li.AclAssigneeKey(
        ats_entity_acl_id=group, integration_context=integration_context, assignee=member
    )


JOBS = Resource(name=JOB_POSTINGS, tier=0, kind="job", build=posting_intents, send=sending.job_tasks())
ACLS = Resource(
    name=ACLS_NAME,
    tier=3,
    kind="job",
    build=acl_intents,
    send=sending.keys_only(_acl, lambda app: app.upsert_acls, lambda app: app.delete_acls),
    origin=lambda key, _: split_acl_key(key)[1],
    parent_in_url=False,
)
ACL_ASSIGNEES = Resource(
    name=ASSIGNEES_NAME,
    tier=3,
    kind="job",
    build=assignee_intents,
    send=sending.keys_only(
        _assignee, lambda app: app.upsert_acl_assignees, lambda app: app.delete_acl_assignees
    ),
    origin=None,
    parent_in_url=False,
)
