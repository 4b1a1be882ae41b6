"""MirrorUnit: the mirror records and candidate links a run of changes reads, loaded in bulk, kept in memory.

Every look-up of the mirror service goes through one unit. `load_*` fetch, in a few statements, what a
batch of changes will ask for; a look-up outside what was loaded is a query of its own, so answers are
always those of the database plus this transaction's changes, and loading only decides how many statements
they cost. Records are ORM objects: changed ones are changed in place for the session's flush; new ones
stay out of the session and write() inserts them together in one statement. On PostgreSQL every record
read is locked for the transaction, so a version check made here holds until commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db.session import insert_all
from rsc_service.mirror.models import AtsRecord, CandidateLink

ParentField = Literal["candidate_id", "job_id", "application_id"]
_CHUNK = 400  # keys per statement, well inside both databases' limits on bound parameters


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class MirrorUnit:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._lock = session.get_bind().dialect.name == "postgresql"
        self._records: dict[tuple[uuid.UUID, str, str], AtsRecord | None] = {}
        self._complete: set[tuple[uuid.UUID, ParentField, str]] = set()  # every record under it is loaded
        self._links: dict[tuple[uuid.UUID, str], str | None] = {}
        self._new: list[AtsRecord] = []

    def _keep(self, record: AtsRecord) -> None:
        key = (record.tenant_id, record.kind, record.ats_id)
        if self._records.get(key) is None:
            self._records[key] = record

    async def load_records(self, tenant_id: uuid.UUID, keys: Iterable[tuple[str, str]]) -> None:
        """Read the records (kind, ats_id) not read yet; absent ones are remembered as absent."""
        wanted = sorted({key for key in keys if key[1] and (tenant_id, *key) not in self._records})
        for kind in sorted({kind for kind, _ in wanted}):
            for chunk in _chunks([ats_id for k, ats_id in wanted if k == kind]):
                query = select(AtsRecord).where(
                    AtsRecord.tenant_id == tenant_id, AtsRecord.kind == kind, AtsRecord.ats_id.in_(chunk)
                )
                for record in await self.session.scalars(query.with_for_update() if self._lock else query):
                    self._keep(record)
        for kind, ats_id in wanted:
            self._records.setdefault((tenant_id, kind, ats_id), None)

    async def load_related(self, tenant_id: uuid.UUID, field: ParentField, values: Iterable[str]) -> None:
        """Read every record whose `field` is one of `values` (a job's applications, say)."""
        wanted = sorted({v for v in values if v and (tenant_id, field, v) not in self._complete})
        column = getattr(AtsRecord, field)
        for chunk in _chunks(wanted):
            query = select(AtsRecord).where(AtsRecord.tenant_id == tenant_id, column.in_(chunk))
            for record in await self.session.scalars(query.with_for_update() if self._lock else query):
                self._keep(record)
        self._complete.update((tenant_id, field, value) for value in wanted)

    async def load_links(self, tenant_id: uuid.UUID, candidate_ids: Iterable[str]) -> None:
        """Read the member linked by hand, export or stub to each candidate (not LinkedIn's email match)."""
        wanted = sorted({c for c in candidate_ids if (tenant_id, c) not in self._links})
        for chunk in _chunks(wanted):
            rows = await self.session.execute(
                select(CandidateLink.ats_candidate_id, CandidateLink.member_urn).where(
                    CandidateLink.tenant_id == tenant_id,
                    CandidateLink.ats_candidate_id.in_(chunk),
                    CandidateLink.source != "email",
                )
            )
            self._links.update(((tenant_id, candidate), member) for candidate, member in rows.all())
        for candidate in wanted:
            self._links.setdefault((tenant_id, candidate), None)

    async def find(self, tenant_id: uuid.UUID, kind: str, ats_id: str) -> AtsRecord | None:
        if not ats_id:
            return None
        if (tenant_id, kind, ats_id) not in self._records:
            await self.load_records(tenant_id, [(kind, ats_id)])
        return self._records[(tenant_id, kind, ats_id)]

    async def find_many(self, tenant_id: uuid.UUID, kind: str, ats_ids: Iterable[str]) -> list[AtsRecord]:
        ids = sorted(set(ats_ids))
        await self.load_records(tenant_id, [(kind, ats_id) for ats_id in ids])
        return [r for r in (self._records[(tenant_id, kind, ats_id)] for ats_id in ids if ats_id) if r]

    async def related(self, tenant_id: uuid.UUID, field: ParentField, value: str) -> list[AtsRecord]:
        """Every record whose `field` is `value`, including this transaction's new ones; oldest first."""
        if (tenant_id, field, value) not in self._complete:
            await self.load_related(tenant_id, field, [value])
        found = [r for r in self.loaded(tenant_id) if getattr(r, field) == value]
        return sorted(found, key=lambda r: (r.id is None, r.id or 0))

    async def manual_member(self, tenant_id: uuid.UUID, candidate_id: str) -> str | None:
        if (tenant_id, candidate_id) not in self._links:
            await self.load_links(tenant_id, [candidate_id])
        return self._links[(tenant_id, candidate_id)]

    def add(self, record: AtsRecord) -> None:
        """A new record: kept here, inserted by write() with every other new one."""
        self._new.append(record)
        self._records[(record.tenant_id, record.kind, record.ats_id)] = record

    async def write(self) -> None:
        """Insert the new records in one statement; changed ones are the session's to flush."""
        new, self._new = self._new, []
        await insert_all(self.session, new)

    def loaded(self, tenant_id: uuid.UUID) -> list[AtsRecord]:
        return [r for (tenant, _, _), r in self._records.items() if r is not None and tenant == tenant_id]
