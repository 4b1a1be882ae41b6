"""MirrorUnit: the mirror records a run of changes reads, loaded in bulk and kept in memory.

Every look-up of the mirror service goes through one unit. `load()` fetches, in a few statements, what a
batch of changes will ask for; a look-up outside what was loaded is a query of its own, so answers are
always those of the database plus this transaction's changes, and loading only decides how many statements
they cost. Records read are ORM objects, changed in place for the session's flush; records created are
plain NewRecords, which the caller takes (take_new()) and inserts together in one statement. On
PostgreSQL every record read is locked for the transaction, so a version check made here holds until commit.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast, get_args

from sqlalchemy import Select, Table, Uuid, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.db import bulk
from rsc_service.db.lookups import Lookup
from rsc_service.mirror.models import EMBEDDED_USER_FIELDS, AtsRecord, EmbeddedUser

ParentField = Literal["candidate_id", "job_id", "application_id"]
_PARENT_FIELDS: tuple[ParentField, ...] = get_args(ParentField)


@dataclass(slots=True, eq=False)
class NewRecord:
    """A mirror record this run creates: the columns of AtsRecord, without the ORM's per-object cost."""

    tenant_id: uuid.UUID
    kind: str
    ats_id: str
    version: int
    deleted: bool
    candidate_id: str | None
    job_id: str | None
    application_id: str | None
    data: dict[str, Any]
    occurred_at: datetime
    updated_at: datetime
    id: None = None  # given by the database on insert; never read back


Record = AtsRecord | NewRecord
_TABLE = cast(Table, AtsRecord.__table__)  # inserted with Core (db/bulk.py): no ORM bookkeeping per row
_CHUNK = 400  # keys per statement, well inside both databases' limits on bound parameters


@functools.cache
def _reads(kinds: int, fields: tuple[ParentField, ...]) -> Lookup[Select[AtsRecord]]:
    """Records of `kinds` kinds by id (`kind_0` and `ids_0`, …) and the records under each of `fields`
    (`under_candidate_id`, …), in one statement. Each branch of the OR names the tenant itself, so each is
    a search of its own index (SQLite walks the tenant's rows for a tenant outside the OR). Built once per
    shape (db/lookups.py), so a batch only binds values; on PostgreSQL every record read is locked.
    tenant_id is typed by hand: the foreign key that types the column resolves once every model is loaded.
    """

    def build(among: Any) -> Select[AtsRecord]:
        tenant = AtsRecord.tenant_id == bindparam("tenant_id", type_=Uuid())
        by_id = [
            and_(tenant, AtsRecord.kind == bindparam(f"kind_{i}"), among(AtsRecord.ats_id, f"ids_{i}"))
            for i in range(kinds)
        ]
        under = [and_(tenant, among(getattr(AtsRecord, field), f"under_{field}")) for field in fields]
        return select(AtsRecord).where(or_(*by_id, *under))

    return Lookup(build, lock_on_postgresql=True)


def _embedding_user(limit: int) -> Select[AtsRecord]:
    """The records naming a user as author or interviewer (`user_id`), newest first, at most `limit`:
    an equality on the (tenant, user, id) index, read backwards (mirror/models.py)."""
    return (
        select(AtsRecord)
        .where(
            AtsRecord.tenant_id == bindparam("tenant_id", type_=Uuid()),
            EmbeddedUser() == bindparam("user_id"),
        )
        .order_by(AtsRecord.id.desc())
        .limit(limit)
    )


def _embedded_user(record: Record) -> str | None:
    """The user a note or feedback names (author or interviewer), as the index reads it."""
    for field in EMBEDDED_USER_FIELDS:
        if isinstance(found := record.data.get(field), str):
            return found
    return None


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class MirrorUnit:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._dialect = session.get_bind().dialect.name
        self._records: dict[tuple[uuid.UUID, str, str], Record | None] = {}
        self._complete: set[tuple[uuid.UUID, ParentField, str]] = set()  # every record under it is loaded
        self._new: list[NewRecord] = []
        # The records held, filed by (tenant, parent field, value): related() reads its one bucket, not every
        # record held, which a batch of n records asking n times would make n² steps
        # (docs/architecture.md#14-ingest). A record whose parent fields change in place is filed again
        # (moved()); the bucket of its old value still lists it, and related() checks the value. A bucket is
        # an ordered set: filing a record again under the same value keeps its place.
        self._under: dict[tuple[uuid.UUID, ParentField, str], dict[Record, None]] = {}
        self._created: dict[NewRecord, int] = {}  # this run's new records, in the order they were created
        # The records held that name a user (a note's author, a feedback's interviewer), filed as above.
        self._by_user: dict[tuple[uuid.UUID, str], dict[Record, None]] = {}

    def _file(self, record: Record) -> None:
        for field in _PARENT_FIELDS:
            if value := getattr(record, field):
                self._under.setdefault((record.tenant_id, field, value), {})[record] = None
        if user := _embedded_user(record):
            self._by_user.setdefault((record.tenant_id, user), {})[record] = None

    def _keep(self, record: AtsRecord) -> None:
        key = (record.tenant_id, record.kind, record.ats_id)
        if self._records.get(key) is None:
            self._records[key] = record
            self._file(record)

    async def _read(self, lookup: Lookup[Select[AtsRecord]], values: dict[str, Any]) -> None:
        for record in await self.session.scalars(lookup.on(self._dialect), values):
            self._keep(record)

    async def load(
        self,
        tenant_id: uuid.UUID,
        keys: Iterable[tuple[str, str]] = (),
        under: Mapping[ParentField, Iterable[str]] | None = None,
    ) -> None:
        """Read the records (kind, ats_id) not read yet, and every record whose field in `under` is one of
        its values (a job's applications, say), in one statement where they fit one: a batch of webhooks asks
        for both, and each statement is a round trip on PostgreSQL. Keys not found are remembered as absent.
        """
        wanted: dict[str, list[str]] = {}
        for kind, ats_id in sorted(
            {key for key in keys if key[1] and (tenant_id, *key) not in self._records}
        ):
            wanted.setdefault(kind, []).append(ats_id)
        related = {
            field: found
            for field, values in sorted((under or {}).items())
            if (found := sorted({v for v in values if v and (tenant_id, field, v) not in self._complete}))
        }
        count = sum(map(len, wanted.values())) + sum(map(len, related.values()))
        if not count:
            return
        if count <= _CHUNK:
            parts = [(wanted, related)]
        else:  # too many values for one statement: each kind's ids and each field's values in chunks
            parts = [({kind: chunk}, {}) for kind, ids in wanted.items() for chunk in _chunks(ids)]
            parts += [({}, {field: chunk}) for field, values in related.items() for chunk in _chunks(values)]
        for by_kind, by_field in parts:
            params: dict[str, Any] = {"tenant_id": tenant_id}
            for i, (kind, ats_ids) in enumerate(by_kind.items()):
                params |= {f"kind_{i}": kind, f"ids_{i}": ats_ids}
            params |= {f"under_{field}": values for field, values in by_field.items()}
            await self._read(_reads(len(by_kind), tuple(by_field)), params)
        for kind, ids in wanted.items():
            for ats_id in ids:
                self._records.setdefault((tenant_id, kind, ats_id), None)
        self._complete.update((tenant_id, field, v) for field, values in related.items() for v in values)

    async def find(self, tenant_id: uuid.UUID, kind: str, ats_id: str) -> Record | None:
        if not ats_id:
            return None
        if (tenant_id, kind, ats_id) not in self._records:
            await self.load(tenant_id, [(kind, ats_id)])
        return self._records[(tenant_id, kind, ats_id)]

    async def find_many(self, tenant_id: uuid.UUID, kind: str, ats_ids: Iterable[str]) -> list[Record]:
        ids = sorted(set(ats_ids))
        await self.load(tenant_id, [(kind, ats_id) for ats_id in ids])
        return [r for r in (self._records[(tenant_id, kind, ats_id)] for ats_id in ids if ats_id) if r]

    async def related(self, tenant_id: uuid.UUID, field: ParentField, value: str) -> list[Record]:
        """Every record whose `field` is `value`, including this transaction's new ones; oldest first."""
        if (tenant_id, field, value) not in self._complete:
            await self.load(tenant_id, under={field: [value]})
        found = [r for r in self._under.get((tenant_id, field, value), ()) if getattr(r, field) == value]
        # Stored ones by id, then this run's new ones in the order they were created: as the ids will be.
        return sorted(found, key=lambda r: (True, self._created[r]) if r.id is None else (False, r.id))

    async def naming_user(self, tenant_id: uuid.UUID, user_id: str, *, limit: int) -> list[Record]:
        """The newest `limit` records naming `user_id` as author or interviewer, this transaction's changes
        included; newest first. One indexed read, however many records name the user."""
        query = _embedding_user(limit)
        for record in await self.session.scalars(query, {"tenant_id": tenant_id, "user_id": user_id}):
            self._keep(record)
        found = [r for r in self._by_user.get((tenant_id, user_id), ()) if _embedded_user(r) == user_id]
        newest = sorted(found, key=lambda r: (False, -self._created[r]) if r.id is None else (True, -r.id))
        return newest[:limit]

    def add(self, record: NewRecord) -> None:
        """A new record: kept here, inserted by write() with every other new one."""
        key = (record.tenant_id, record.kind, record.ats_id)
        self._records.pop(key, None)  # a key first read as absent moves to the end: creation order
        self._records[key] = record
        self._new.append(record)
        self._created[record] = len(self._created)
        self._file(record)

    def moved(self, record: Record) -> None:
        """`record`'s parent fields were changed in place: related() finds it under their new values."""
        self._file(record)

    def take_new(self) -> bulk.Rows:
        """The new records not written yet, for the caller to insert (`bulk.insert_together`) with rows of
        its own; changed ones are the session's to flush."""
        new, self._new = self._new, []
        return bulk.Rows(_TABLE, new)

    def loaded(self, tenant_id: uuid.UUID) -> list[Record]:
        return [r for (tenant, _, _), r in self._records.items() if r is not None and tenant == tenant_id]
