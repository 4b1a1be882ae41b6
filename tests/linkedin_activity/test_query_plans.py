"""R7 and R8 find a candidate's pulled items through ix_pulled_items_candidate on SQLite's plans without
statistics (as a new database has), whatever the tenant's size: neither walks a tenant's pulled items."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from rsc_service.db import migrate
from rsc_service.pull import repository
from rsc_service.pull.service import ACTIVITY_STREAMS

TENANT = uuid.uuid4()
INDEX = "ix_pulled_items_candidate"


@pytest.fixture(scope="module")
def planner(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path = Path(tmp_path_factory.mktemp("activity-plans")) / "plans.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return sqlite3.connect(path)


def _plan(connection: sqlite3.Connection, statement: Any) -> list[str]:
    compiled = statement.compile(
        dialect=sqlite.dialect(paramstyle="qmark"), compile_kwargs={"render_postcompile": True}
    )
    parameters = [None] * len(compiled.positiontup or [])
    rows = connection.execute(f"EXPLAIN QUERY PLAN {compiled.string}", parameters).fetchall()
    return [str(row[3]) for row in rows]


def _searched(plan: list[str]) -> None:
    steps = [step for step in plan if not step.startswith(("LIST SUBQUERY", "USE TEMP B-TREE"))]
    assert steps and all(step.startswith("SEARCH") for step in steps), plan
    assert any(f"INDEX {INDEX} " in step for step in steps), plan


def test_the_lookup_of_500_candidates(planner: sqlite3.Connection) -> None:
    ids = [f"cand_{n}" for n in range(400)]
    _searched(_plan(planner, repository.written_per_candidate_query(TENANT, ids, ACTIVITY_STREAMS)))


def test_one_candidates_items(planner: sqlite3.Connection) -> None:
    _searched(_plan(planner, repository.written_on_candidate_query(TENANT, "cand_1", ACTIVITY_STREAMS)))
