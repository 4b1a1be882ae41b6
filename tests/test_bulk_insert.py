"""db/bulk.py: many rows in one INSERT store what the ORM's flush stores, on both databases, and on
PostgreSQL the server runs it once, not once per row."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select, text

from rsc_service.context import AppContext
from rsc_service.db import bulk
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State
from rsc_service.outbox.service import NewMessage
from tests.factories import make_tenant
from tests.observe import executemany_flags

TABLE = cast(Table, OutboxMessage.__table__)


def _columns(tenant_id: Any, now: Any, key: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "tenant_id": tenant_id,
        "resource": "atsCandidates",
        "key": key,
        "path_parent": None,
        # JSON lists: inside a PostgreSQL array a list would be taken as one more dimension of it.
        "depends_on": ["atsJobPostings:job_1", "atsCandidates:c'1\"\\"],
        "op": Op.UPSERT,
        "payload": {"firstName": "Zoë", "emails": [], "nested": [[1, 2], []], "nothing": None},
        "revision": 1,
        "source_version": 3,
        "state": State.PENDING,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
        "owed_since": now,
        "task_ids": [],
        "attempts": 0,
        "last_error": None,
        "failing_since": None,
        "blocked_by": None,
    }
    return fields | changes


class TestInsertTogether:
    async def test_rows_read_back_as_the_orm_stores_them(self, ctx: AppContext) -> None:
        now = ctx.clock()
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            # The same rows twice but for their keys: through the ORM's flush and through insert_together.
            rows = [
                _columns(tenant.id, now, "a"),
                _columns(tenant.id, now, "b", op=Op.DELETE, payload=None, depends_on=[], path_parent="p"),
            ]
            session.add_all(OutboxMessage(**(row | {"key": f"orm-{row['key']}"})) for row in rows)
            await session.flush()
            with executemany_flags(ctx.engine) as seen:
                await bulk.insert_together(session, [bulk.Rows(TABLE, [NewMessage(**row) for row in rows])])

        async with ctx.sessionmaker() as session:
            mine = select(OutboxMessage).where(OutboxMessage.tenant_id == tenant.id)
            stored = {m.key: m for m in await session.scalars(mine)}
            # A payload of None is JSON's null in both (the column's own type stores it so), not SQL's NULL.
            found = await session.execute(text("SELECT key, payload IS NULL FROM outbox_messages"))
            nulls = dict(found.all())
        assert sorted(stored) == ["a", "b", "orm-a", "orm-b"]
        for key in ("a", "b"):
            assert _as_row(stored[key]) == _as_row(stored[f"orm-{key}"])
            assert nulls[key] == nulls[f"orm-{key}"]
        assert stored["a"].depends_on == ["atsJobPostings:job_1", "atsCandidates:c'1\"\\"]
        assert stored["a"].payload == _columns(None, None, "")["payload"]
        assert (stored["b"].payload, stored["b"].depends_on, stored["b"].task_ids) == (None, [], [])
        # One statement for both rows, never a list of parameter sets (asyncpg's executemany runs each row
        # as an execution of its own on PostgreSQL).
        if ctx.engine.dialect.name == "postgresql":
            assert seen == [False]
        else:
            assert len(seen) == 1

    async def test_nothing_to_insert_sends_nothing(self, ctx: AppContext) -> None:
        async with ctx.sessionmaker.begin() as session:
            with executemany_flags(ctx.engine) as seen:
                await bulk.insert_together(session, [bulk.Rows(TABLE, [])])
        assert seen == []


def _as_row(message: OutboxMessage) -> dict[str, Any]:
    return {
        column: getattr(message, column)
        for column in bulk.columns_of(NewMessage(**_columns(None, None, "")))
        if column != "key"
    }
