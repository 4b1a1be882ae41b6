"""Calls reading Recruiter data back: exports, closed profiles, seats, InMails, stubs, prospect notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rsc_service.integrations.linkedin import restli, wire
from rsc_service.integrations.linkedin.throttle import Group
from rsc_service.integrations.linkedin.transport import Transport

MAX_WINDOW_MS: Final = (
    12 * 60 * 60 * 1000
)  # conversationEvents and prospectNotes take at most 12 h per call (docs/linkedin.md#retrieval)


class RetrievalCalls:
    _transport: Transport

    async def get_exported_candidates(self, request_id: str) -> wire.Page[wire.ExportedCandidate]:
        """The profile behind an EXPORT_CANDIDATE_PROFILE notification; check its integrationContext."""
        query = [restli.param("q", "request"), restli.param("requestId", request_id)]
        return await self._transport.finder(
            "/v2/exportedCandidates", query, wire.ExportedCandidate, group=Group.EXPORTS
        )

    async def list_purged_exported_candidates(
        self, *, start: int = 0, count: int = 100
    ) -> wire.Page[wire.PurgedExportedCandidate]:
        """Exported members whose LinkedIn profiles were closed; poll at least every 30 days
        (docs/linkedin.md#retrieval)."""
        query = [
            restli.param("start", start, restli.Protocol.V2),
            restli.param("count", count, restli.Protocol.V2),
        ]
        return await self._transport.finder(
            "/rest/atsPurgedExportedCandidates", query, wire.PurgedExportedCandidate, group=Group.EXPORTS
        )

    async def list_seats(
        self,
        contracts: Sequence[str],
        *,
        states: Sequence[str] = ("ACTIVE",),
        start: int = 0,
        count: int = 100,
    ) -> wire.Page[wire.Seat]:
        """Recruiter seatholders (seatsV2); `start` is always sent, LinkedIn fails requests without it."""
        query = [
            restli.param("q", "attributes"),
            *restli.list_param("contracts", contracts),
            *restli.list_param("states", states),
            restli.param("start", start),
            restli.param("count", count),
        ]
        return await self._transport.finder("/v2/seatsV2", query, wire.Seat, group=Group.PROSPECT)

    async def list_seats_by_attributes(
        self,
        contracts: Sequence[str],
        *,
        active: bool | None = None,
        start: int = 0,
        count: int = 100,
    ) -> wire.Page[wire.Seat]:
        """Recruiter seatholders through the older finder (`seats?q=seatsByAttributes`): `id`, `member`,
        `contract`, `active`, `admin` and the holder's `email`; every state unless `active` is given."""
        query = [restli.param("q", "seatsByAttributes"), *restli.list_param("contracts", contracts)]
        if active is not None:
            query.append(restli.param("active", "true" if active else "false"))
        query += [restli.param("start", start), restli.param("count", count)]
        return await self._transport.finder("/v2/seats", query, wire.Seat, group=Group.PROSPECT)

    async def list_conversation_events(
        self, viewer: str, *, window_start: int, window_end: int, start: int = 0, count: int = 50
    ) -> wire.Page[wire.ConversationEvent]:
        """InMails seen by a seat (`urn:li:seat:…`) from `window_start` (inclusive) to `window_end`."""
        _check_window(window_start, window_end)
        query = [
            restli.param("q", "criteria"),
            restli.param("viewer", viewer),
            *restli.record_param("timeRange", {"start": window_start, "end": window_end}),
            restli.param("start", start),
            restli.param("count", count),
        ]
        return await self._transport.finder(
            "/v2/conversationEvents", query, wire.ConversationEvent, group=Group.PROSPECT
        )

    async def list_mail_stubs(
        self,
        contract: str,
        *,
        owners: Sequence[str],
        created_start: int | None = None,
        created_end: int | None = None,
        start: int = 0,
        count: int = 50,
    ) -> wire.Page[wire.MailStub]:
        """Contact details members shared in InMail replies; start inclusive, end exclusive."""
        query = [
            restli.param("q", "contract"),
            restli.param("contract", contract),
            *restli.list_param("owners", owners),
        ]
        if created_start is not None:
            query.append(restli.param("createdDateStart", created_start))
        if created_end is not None:
            query.append(restli.param("createdDateEnd", created_end))
        query += [restli.param("start", start), restli.param("count", count)]
        return await self._transport.finder("/v2/mailStubs", query, wire.MailStub, group=Group.PROSPECT)

    async def list_prospect_notes(
        self,
        contract: str,
        *,
        owners: Sequence[str],
        cutoff_date: int,
        before_date: int,
        start: int = 0,
        count: int = 100,
    ) -> wire.Page[wire.ProspectNote]:
        """Recruiter notes changed after `cutoff_date` (exclusive) up to `before_date` (inclusive)."""
        _check_window(cutoff_date, before_date)
        query = [
            restli.param("q", "criteria"),
            restli.param("contract", contract),
            *restli.list_param("owners", owners),
            restli.param("cutoffDate", cutoff_date),
            restli.param("beforeDate", before_date),
            restli.param("start", start),
            restli.param("count", count),
        ]
        return await self._transport.finder(
            "/v2/prospectNotes", query, wire.ProspectNote, group=Group.PROSPECT
        )


def _check_window(begin: int, end: int) -> None:
    if end < begin:
        raise ValueError("the window ends before it starts")
    if end - begin > MAX_WINDOW_MS:
        raise ValueError("LinkedIn serves at most a 12-hour window per call")
