"""R7/R8: the LinkedIn notes and InMails the pull wrote on ATS candidates, read back for the ATS
(docs/linkedin-activity.md).

Who wrote each item, when, and on which contract is kept beside the pulled item; its content stays in the
ATS, where the pull wrote it, and is read from there by id only for a user holding a connected, active seat
on the item's contract. Everyone else gets the same entries with no content, and no content is read.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.integrations.ats import AtsClient, AtsError, AtsNotFound
from rsc_service.linkedin_activity.schemas import (
    ActivityItemRead,
    ActivityLookupRead,
    CandidateActivityCount,
    LinkedInActivityRead,
)
from rsc_service.pull import service as pull_service
from rsc_service.pull.models import PulledItem
from rsc_service.seats import service as seat_service
from rsc_service.tenants import ats as tenant_ats
from rsc_service.tenants.models import Tenant

NOTE_STREAM = "notes"


async def lookup(session: AsyncSession, tenant: Tenant, candidate_ids: list[str]) -> ActivityLookupRead:
    """R8: for each candidate, how many LinkedIn notes and InMails it has; one grouped query."""
    wanted = list(dict.fromkeys(candidate_ids))
    counts = await pull_service.activity_counts(session, tenant_id=tenant.id, candidate_ids=wanted)
    answers = []
    for candidate in wanted:
        found = counts.get(candidate)
        notes, inmails = (found.notes, found.inmails) if found else (0, 0)
        answers.append(
            CandidateActivityCount(
                candidate_id=candidate,
                has_notes=notes > 0,
                has_inmails=inmails > 0,
                notes=notes,
                inmails=inmails,
            )
        )
    return ActivityLookupRead(candidates=answers)


async def activity(
    session: AsyncSession, ctx: AppContext, tenant: Tenant, *, candidate_id: str, ats_user_id: str
) -> LinkedInActivityRead:
    """R7: the candidate's LinkedIn notes and InMails as `ats_user_id` may see them. A candidate with none (or
    one the tenant does not have) has an empty list."""
    items = await pull_service.activity_of(session, tenant_id=tenant.id, candidate_id=candidate_id)
    seat = await seat_service.connected_seat(session, tenant.id, ats_user_id) if items else None
    contract = seat.contract_urn if seat is not None else None
    ats: AtsClient | None = None
    answers = []
    for item in items:
        subject = body = None
        visible = contract is not None and item.contract_urn == contract and item.ats_id is not None
        if visible:
            ats = ats or await tenant_ats.ats_client(ctx, tenant)
            subject, body = await _content(ats, item)
        answers.append(
            ActivityItemRead(
                type="note" if item.stream == NOTE_STREAM else "inmail",
                ats_id=item.ats_id or "",
                contract=item.contract_urn,
                author_user_id=item.author_user_id,
                author_name=item.author_name,
                direction="inbound"
                if item.direction == "inbound"
                else ("outbound" if item.direction else None),
                date=item.dated_at,
                content_visible=visible,
                subject=subject,
                body=body,
            )
        )
    return LinkedInActivityRead(candidate_id=candidate_id, ats_user_id=ats_user_id, items=answers)


async def _content(ats: AtsClient, item: PulledItem) -> tuple[str | None, str | None]:
    """The item's subject and body as the ATS holds them now; (None, None) once deleted there."""
    assert item.ats_id is not None
    try:
        if item.stream == NOTE_STREAM:
            note = await ats.get_note(item.ats_id)
            return None, note.body
        email = await ats.get_email(item.ats_id)
        return email.subject, email.body
    except AtsNotFound:
        return None, None
    except AtsError as error:
        raise tenant_ats.failed(error, f"the ATS could not be read: {type(error).__name__}") from None
