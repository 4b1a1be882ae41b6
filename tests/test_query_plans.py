"""The look-ups every ingest batch and every dispatcher pass runs are answered from an index on SQLite.

SQLite plans without statistics; a look-up that leaves an index column unconstrained or asks for an order can
walk every row of a tenant instead (ingest slowed as the outbox grew until these were fixed). Whatever the
pass's database, this checks the embedded default on a migrated SQLite file of its own.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from rsc_service.db import migrate
from rsc_service.links import repository as link_repository
from rsc_service.mirror import unit
from rsc_service.outbox import repository as outbox_repository
from rsc_service.outbox.models import OutboxMessage

TENANT = uuid.uuid4()


@pytest.fixture(scope="module")
def planner(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path = Path(tmp_path_factory.mktemp("plans")) / "plans.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return sqlite3.connect(path)


def _plan(connection: sqlite3.Connection, statement: Any, **values: Any) -> list[str]:
    compiled = statement.params(**values).compile(
        dialect=sqlite.dialect(paramstyle="qmark"), compile_kwargs={"render_postcompile": True}
    )
    parameters = [None] * len(compiled.positiontup or [])
    rows = connection.execute(f"EXPLAIN QUERY PLAN {compiled.string}", parameters).fetchall()
    return [str(row[3]) for row in rows]


def _searched(plan: list[str], index: str) -> None:
    assert plan and all(step.startswith("SEARCH") for step in plan), plan
    assert any(f"INDEX {index} " in step for step in plan), plan


LOOKUPS = [
    ("mirror by id", unit._BY_ID, {"kind": "candidate"}, "sqlite_autoindex_ats_records_1"),
    ("mirror by candidate", unit._UNDER["candidate_id"], {}, "ix_ats_records_candidate"),
    ("mirror by job", unit._UNDER["job_id"], {}, "ix_ats_records_job"),
    ("mirror by application", unit._UNDER["application_id"], {}, "ix_ats_records_application"),
    ("candidate links", link_repository._MANUAL, {}, "sqlite_autoindex_candidate_links_1"),
    (
        "outbox by key",
        outbox_repository._BY_KEY,
        {"resources": ["atsCandidates"]},
        "sqlite_autoindex_outbox_messages_1",
    ),
    (
        "outbox by parent",
        outbox_repository._UNDER,
        {"resource": "atsApplications/stages"},
        "ix_outbox_messages_parent",
    ),
]


class TestIngestLookups:
    @pytest.mark.parametrize(
        ("statement", "values", "index"), [case[1:] for case in LOOKUPS], ids=[c[0] for c in LOOKUPS]
    )
    def test_is_an_index_search(
        self, planner: sqlite3.Connection, statement: Any, values: dict[str, Any], index: str
    ) -> None:
        _searched(_plan(planner, statement, tenant_id=TENANT, values=["a", "b"], **values), index)


class TestTheCheckItself:
    def test_a_look_up_ordered_by_id_is_caught(self, planner: sqlite3.Connection) -> None:
        # The shape the outbox look-up had: SQLite walks the tenant index to return rows in id order.
        walked = (
            select(OutboxMessage)
            .where(OutboxMessage.tenant_id == TENANT, OutboxMessage.key.in_(["a", "b"]))
            .order_by(OutboxMessage.id)
        )
        plan = _plan(planner, walked)
        with pytest.raises(AssertionError):
            _searched(plan, "sqlite_autoindex_outbox_messages_1")
