"""The notes and feedback a user wrote are found in one bounded, indexed read: a rename of a recruiter with
thousands of notes must not make the user's webhook slow (docs/architecture.md#2-the-mirror)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.dialects import sqlite

from rsc_service.context import AppContext
from rsc_service.db.base import Base
from rsc_service.db.models import __all__ as model_names  # noqa: F401 - every table registered
from rsc_service.mirror import service as mirror_service
from rsc_service.mirror import unit as mirror_unit
from rsc_service.mirror.models import AtsRecord
from rsc_service.mirror.unit import MirrorUnit
from tests.factories import make_tenant
from tests.observe import reads, statements


def _record(tenant_id: uuid.UUID, kind: str, ats_id: str, ctx: AppContext, **data: Any) -> AtsRecord:
    now = ctx.clock()
    return AtsRecord(
        tenant_id=tenant_id,
        kind=kind,
        ats_id=ats_id,
        version=1,
        deleted=bool(data.pop("deleted", False)),
        candidate_id="cand_1",
        job_id=None,
        application_id=data.get("application_id"),
        data={"id": ats_id, "candidate_id": "cand_1", **data},
        occurred_at=now,
        updated_at=now,
    )


async def test_a_user_change_owes_again_the_newest_notes_and_feedback_naming_them(ctx: AppContext) -> None:
    async with ctx.sessionmaker.begin() as session:
        tenant = (await make_tenant(session, ctx)).tenant
        other = (await make_tenant(session, ctx)).tenant
        session.add_all(
            [
                _record(tenant.id, "note", "note_1", ctx, author_user_id="usr_1"),
                _record(tenant.id, "note", "note_2", ctx, author_user_id="usr_2"),  # someone else's
                _record(tenant.id, "note", "note_3", ctx, author_user_id="usr_1", deleted=True),
                _record(tenant.id, "interview_feedback", "ifb_1", ctx, interviewer_user_id="usr_1"),
                _record(other.id, "note", "note_4", ctx, author_user_id="usr_1"),  # another tenant's
                _record(tenant.id, "user", "usr_1", ctx, first_name="Rita"),
            ]
        )

    async with ctx.sessionmaker.begin() as session:
        unit = MirrorUnit(session)
        user = await unit.find(tenant.id, "user", "usr_1")
        assert user is not None
        with statements(ctx.engine, reads("ats_records")) as read:
            embedding = await mirror_service.embedding(unit, tenant.id, user)
            newest = await unit.naming_user(tenant.id, "usr_1", limit=1)

    assert [(r.kind, r.ats_id) for r in embedding] == [("interview_feedback", "ifb_1"), ("note", "note_1")]
    assert [r.ats_id for r in newest] == ["ifb_1"]
    assert len(read) == 2  # one statement each, however many records name the user


def test_the_read_searches_the_user_index(tmp_path: Path) -> None:
    path = tmp_path / "plans.db"
    Base.metadata.create_all(create_engine(f"sqlite:///{path}"))
    compiled = mirror_unit._embedding_user(500).compile(
        dialect=sqlite.dialect(paramstyle="qmark"), compile_kwargs={"render_postcompile": True}
    )
    parameters = [None] * len(compiled.positiontup or [])  # the plan does not depend on the values
    with sqlite3.connect(path) as connection:
        plan = [
            str(row[3]) for row in connection.execute(f"EXPLAIN QUERY PLAN {compiled.string}", parameters)
        ]
    assert plan and all(step.startswith("SEARCH") for step in plan), plan
    assert any("INDEX ix_ats_records_user " in step for step in plan), plan
