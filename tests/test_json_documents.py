"""JSON columns: what the service writes is what it reads back, on both databases, whichever way it was
inserted (the ORM's flush or a Core INSERT of many rows), and the database's own JSON functions read it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.db import bulk
from rsc_service.mirror import repository
from rsc_service.mirror.models import AtsRecord
from rsc_service.mirror.unit import MirrorUnit, NewRecord
from tests.factories import make_tenant

DOCUMENT: dict[str, Any] = {
    "id": "cand_1",
    "first_name": "Zoë",
    "last_name": "Ngô 李",
    "headline": 'Quotes " and \\ backslashes, a tab\t, an emoji 🎉 and a line\nbreak',
    "version": 2**62,
    "big": 2**70,
    "score": 0.1,
    "large": 1e16,
    "tags": ["a", None, True, False, 0, -1.5],
    "nested": {"empty": {}, "list": [], "deeper": [{"k": "v"}]},
    "nothing": None,
}


class TestRoundTrip:
    async def test_a_document_reads_back_as_written_through_both_insert_paths(self, ctx: AppContext) -> None:
        now = ctx.clock()
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            # One record twice but for its id: through the ORM's flush, and through the Core INSERT.
            record: dict[str, Any] = {
                "tenant_id": tenant.id,
                "kind": "candidate",
                "version": 1,
                "deleted": False,
                "candidate_id": None,
                "job_id": None,
                "application_id": None,
                "data": DOCUMENT,
                "occurred_at": now,
                "updated_at": now,
            }
            session.add(AtsRecord(ats_id="by_orm", **record))
            unit = MirrorUnit(session)
            unit.add(NewRecord(ats_id="by_core", **record))
            await bulk.insert_together(session, [unit.take_new()])

        async with ctx.sessionmaker() as session:
            stored = {
                record.ats_id: record.data
                for record in await session.scalars(select(AtsRecord).where(AtsRecord.tenant_id == tenant.id))
            }
            named = await repository.candidates_named(
                session, tenant_id=tenant.id, first_name="Zoë", last_name="Ngô 李", limit=5
            )
        assert stored == {"by_orm": DOCUMENT, "by_core": DOCUMENT}
        assert sorted(record.ats_id for record in named) == ["by_core", "by_orm"]
