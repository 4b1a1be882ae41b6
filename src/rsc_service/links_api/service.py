"""L3: a person links or unlinks a candidate and a LinkedIn member through the ATS (the profile widget's
onlink and onunlink callbacks), and the ATS reads links back (docs/in-ats.md#links).

A link by hand wins over LinkedIn's email match, and so does an unlink by hand: the match read back later
is recorded as checked and changes nothing. Each change owes LinkedIn the candidate again, its PUT carrying
`manualMatchedMember` (or, unlinked, no longer carrying it), and leaves an audit row. Functions flush,
never commit.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.candidates import service as candidate_service
from rsc_service.context import AppContext
from rsc_service.errors import Conflict, NotFound
from rsc_service.integrations.ats import AtsError
from rsc_service.integrations.ats import wire as ats
from rsc_service.integrations.linkedin import LinkedInError
from rsc_service.links import service as link_service
from rsc_service.links.models import CandidateLink, LinkSource
from rsc_service.links_api import connect_schemas, repository, schemas
from rsc_service.links_api.models import LinkChange
from rsc_service.mirror import service as mirror_service
from rsc_service.mirror.models import AtsRecord
from rsc_service.pull import service as pull_service
from rsc_service.push.candidates import unmatchable_unlinked
from rsc_service.push.fields import parse_or_none
from rsc_service.tenants import lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.apps import TenantApps
from rsc_service.tenants.models import Tenant


class CandidateNotFound(NotFound):
    code = "candidate_not_found"

    def __init__(self, candidate_id: str) -> None:
        super().__init__(f"no candidate {candidate_id!r} in the ATS")


class UnlinkUnsendable(Conflict):
    code = "unlink_unsendable"

    def __init__(self, candidate_id: str) -> None:
        super().__init__(
            f"candidate {candidate_id!r} has no email address and no LinkedIn profile URL: unlinked, it "
            "could no longer be sent to LinkedIn, which would keep it linked to the member. Add an email "
            "address or a LinkedIn profile URL to the candidate in the ATS first, or link it to the right "
            "member instead"
        )


def actor(ats_user_id: str | None) -> str:
    return f"ats_user:{ats_user_id}" if ats_user_id else "ats"


async def _live_candidate(session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: str) -> AtsRecord:
    record = await mirror_service.find(session, tenant_id=tenant_id, kind="candidate", ats_id=candidate_id)
    if record is None or record.deleted:
        raise CandidateNotFound(candidate_id)
    return record


def read(candidate_id: str, link: CandidateLink | None) -> schemas.LinkRead:
    if link is None:
        return schemas.LinkRead(candidate_id=candidate_id, member_urn=None, source=None, linked_at=None)
    return schemas.LinkRead(
        candidate_id=candidate_id, member_urn=link.member_urn, source=link.source, linked_at=link.linked_at
    )


async def get(session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: str) -> schemas.LinkRead:
    await _live_candidate(session, tenant_id=tenant_id, candidate_id=candidate_id)
    return read(candidate_id, await repository.find(session, tenant_id=tenant_id, candidate_id=candidate_id))


async def set_by_hand(
    session: AsyncSession,
    *,
    tenant: Tenant,
    candidate_id: str,
    member_urn: str | None,
    ats_user_id: str | None,
    now: datetime,
) -> schemas.LinkRead:
    """Link the candidate to `member_urn` (None: unlink) by hand. Asking again for what already holds
    changes nothing: no audit row, nothing owed to LinkedIn. An unlink of a candidate never linked is still
    kept: a person said "not this member", so a later email match links nothing.

    An unlink of a linked candidate LinkedIn could not match without the link (no email address, no
    LinkedIn profile URL) is refused: its PUT could not be sent, and LinkedIn would keep the member
    (docs/in-ats.md#links-by-hand-l3). A deactivated tenant's links change no more (409)."""
    await tenant_service.hold_stage(session, tenant)  # a deactivation comes wholly before or after
    lifecycle.check_not_deactivated(tenant)  # nothing more for it (docs/onboarding.md#deactivation-a8)
    # The candidate's turn first, then what it holds: of a link and an unlink at once, the second reads the
    # link the first made, for the 409 above and for the audit row (docs/in-ats.md#links-by-hand-l3).
    await link_service.hold(session, tenant.id, [candidate_id])
    record = await _live_candidate(session, tenant_id=tenant.id, candidate_id=candidate_id)
    before = await repository.find(session, tenant_id=tenant.id, candidate_id=candidate_id)
    if before is not None and before.source == LinkSource.MANUAL and before.member_urn == member_urn:
        return read(candidate_id, before)
    member_before = before.member_urn if before is not None else None
    if member_urn is None and member_before is not None:
        candidate = parse_or_none(ats.Candidate, record.data)
        if candidate is not None and unmatchable_unlinked(candidate):
            raise UnlinkUnsendable(candidate_id)
    source_before = before.source if before is not None else None
    made = await candidate_service.link(
        session,
        tenant=tenant,
        ats_candidate_id=candidate_id,
        member_urn=member_urn,
        source=LinkSource.MANUAL,
        now=now,
    )
    repository.add_change(
        session,
        LinkChange(
            tenant_id=tenant.id,
            ats_candidate_id=candidate_id,
            member_before=member_before,
            source_before=source_before,
            member_after=member_urn,
            actor=actor(ats_user_id),
            at=now,
        ),
    )
    await session.flush()
    return read(candidate_id, made)


async def lookup(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_ids: Sequence[str]
) -> schemas.LinkLookupRead:
    found = {
        link.ats_candidate_id: link
        for link in await repository.linked(session, tenant_id=tenant_id, candidate_ids=candidate_ids)
    }
    return schemas.LinkLookupRead(
        links=[
            schemas.LinkedCandidate(
                candidate_id=candidate,
                member_urn=found[candidate].member_urn or "",
                source=found[candidate].source,
            )
            for candidate in dict.fromkeys(candidate_ids)
            if candidate in found
        ]
    )


async def history(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: str
) -> schemas.LinkHistoryRead:
    await _live_candidate(session, tenant_id=tenant_id, candidate_id=candidate_id)
    rows = await repository.changes(session, tenant_id=tenant_id, candidate_id=candidate_id)
    return schemas.LinkHistoryRead(
        candidate_id=candidate_id,
        changes=[
            schemas.LinkChangeRead(
                member_before=row.member_before,
                member_after=row.member_after,
                source_before=row.source_before,
                actor=row.actor,
                at=row.at,
            )
            for row in rows
        ],
    )


# ---- connect before alert (L5, docs/in-ats.md#connect-before-alert) --------------------------------------

FIRST_PAUSE = 0.1  # seconds between reads of LinkedIn's match, doubled up to LAST_PAUSE
LAST_PAUSE = 1.0


def _linked(
    candidate_id: str, link: CandidateLink, pulled: pull_service.MemberPulled, error: str | None
) -> connect_schemas.ConnectLinked:
    return connect_schemas.ConnectLinked(
        candidate_id=candidate_id,
        member_urn=link.member_urn or "",
        source=link.source,
        notes_written=pulled.notes_written,
        inmails_written=pulled.inmails_written,
        pull_error=error,
    )


def _failure(error: Exception) -> str:
    if isinstance(error, LinkedInError):
        status = f" {error.status}" if error.status else ""
        return f"LinkedIn{status}: {error.message}"[:500]
    return f"the ATS: {type(error).__name__}"


async def connect(
    ctx: AppContext,
    apps: TenantApps,
    *,
    tenant_id: uuid.UUID,
    candidate_id: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> connect_schemas.ConnectLinked | connect_schemas.ConnectPending:
    """Link a new applicant before the ATS alerts anyone: wait, at most `links.connect_wait_seconds`, for
    LinkedIn's email match of the candidate, read back for it alone and recorded as the read-back records
    it; once linked, the member's notes and InMails are written onto it at once. A candidate linked already
    is answered at once, unless an earlier connect left its member's pull owed: one that answered pending
    (the pull is owed from the start of a connect that finds the candidate unlinked) or whose pull failed.
    Nothing but LinkedIn's match links here. Each step is a short transaction of its own: no transaction is
    held while LinkedIn answers or while waiting. A deactivated tenant is answered 409 before LinkedIn is
    read, and a deactivation seen between two steps stops the connect there
    (docs/onboarding.md#deactivation-a8)."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    deadline = began + ctx.settings.links.connect_wait_seconds
    async with ctx.sessionmaker.begin() as session:
        tenant = await tenant_service.get(session, tenant_id)
        lifecycle.check_not_deactivated(tenant)
        await _live_candidate(session, tenant_id=tenant_id, candidate_id=candidate_id)
        link = await repository.find(session, tenant_id=tenant_id, candidate_id=candidate_id)
        if link is not None and link.member_urn is not None:
            if await repository.pull_owed(session, tenant_id=tenant_id, candidate_id=candidate_id) is None:
                return _linked(candidate_id, link, pull_service.MemberPulled(), None)
        else:
            # Owed before the match is known: a connect answering pending leaves the member's pull to the
            # next connect once the candidate is linked (by the read-back or by hand).
            await repository.owe_pull(
                session, tenant_id=tenant_id, candidate_id=candidate_id, member_urn=None, now=ctx.clock()
            )
            if link is not None and link.source == LinkSource.MANUAL:
                return connect_schemas.ConnectPending(
                    candidate_id=candidate_id, waited_seconds=0.0, reason="unlinked_by_hand"
                )
        if link is None or link.member_urn is None:
            await candidate_service.owe_unless_held(
                session, tenant=tenant, ats_candidate_id=candidate_id, now=ctx.clock()
            )
    if link is not None and link.member_urn is not None:
        # Linked, and an earlier connect answered pending or its member pull failed or never finished.
        return await _pull(ctx, apps, tenant, candidate_id, link)
    pause = FIRST_PAUSE
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            await candidate_service.read_back_match(
                ctx.sessionmaker,
                apps,
                tenant_id=tenant_id,
                ats_candidate_id=candidate_id,
                now=ctx.db_now,
                deadline=deadline,
            )
        except TimeoutError:
            break
        except LinkedInError:
            pass  # asked again within the wait; at its end the answer is pending
        async with ctx.sessionmaker() as session:
            lifecycle.check_not_deactivated(await tenant_service.get(session, tenant_id))
            link = await repository.find(session, tenant_id=tenant_id, candidate_id=candidate_id)
        if link is not None and link.member_urn is not None:
            return await _pull(ctx, apps, tenant, candidate_id, link)
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        await sleep(min(pause, remaining))
        pause = min(pause * 2, LAST_PAUSE)
    return connect_schemas.ConnectPending(
        candidate_id=candidate_id, waited_seconds=round(loop.time() - began, 3), reason="no_match_yet"
    )


async def _pull(
    ctx: AppContext, apps: TenantApps, tenant: Tenant, candidate_id: str, link: CandidateLink
) -> connect_schemas.ConnectLinked:
    """The member's notes and InMails written now; the link stands whatever LinkedIn or the ATS answer. The
    pull is owed to the candidate from before it starts until it succeeds, so one that fails (or never
    finishes) is pulled again by the next connect for the candidate, and the answer says it failed."""
    member = link.member_urn
    assert member is not None
    async with ctx.sessionmaker.begin() as session:
        lifecycle.check_not_deactivated(await tenant_service.get(session, tenant.id))
        await repository.owe_pull(
            session, tenant_id=tenant.id, candidate_id=candidate_id, member_urn=member, now=ctx.clock()
        )
    try:
        pulled = await pull_service.pull_member(ctx, apps, tenant, member_urn=member)
    except (LinkedInError, AtsError) as error:
        pulled = pull_service.MemberPulled(error=_failure(error))
    async with ctx.sessionmaker.begin() as session:
        if pulled.error is None:
            await repository.pull_done(session, tenant_id=tenant.id, candidate_id=candidate_id)
        else:
            await repository.pull_failed(
                session,
                tenant_id=tenant.id,
                candidate_id=candidate_id,
                member_urn=member,
                error=pulled.error,
                now=ctx.clock(),
            )
    return _linked(candidate_id, link, pulled, pulled.error)
