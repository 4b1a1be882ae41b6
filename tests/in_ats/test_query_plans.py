"""The In-ATS reads find their rows through indexes on SQLite's plans without statistics (as a new
database has), whatever the tenant's size: S1 and S2 by ix_candidate_links_member then the mirror's unique
key, the preview's records by the same, ix_ats_records_candidate and the mirror's unique key.

The statements are compiled as the service sends them; none may walk a tenant's rows (a join of links and
the mirror did: without statistics SQLite led with every candidate of the tenant)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from rsc_service.db import migrate
from rsc_service.in_ats import repository
from rsc_service.links_api import repository as link_repository

TENANT = uuid.uuid4()
MIRROR_KEY = "sqlite_autoindex_ats_records_1"


@pytest.fixture(scope="module")
def planner(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path = Path(tmp_path_factory.mktemp("in-ats-plans")) / "plans.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return sqlite3.connect(path)


def _plan(connection: sqlite3.Connection, statement: Any, **values: Any) -> list[str]:
    if values:
        statement = statement.params(**values)
    compiled = statement.compile(
        dialect=sqlite.dialect(paramstyle="qmark"), compile_kwargs={"render_postcompile": True}
    )
    parameters = [None] * len(compiled.positiontup or [])
    rows = connection.execute(f"EXPLAIN QUERY PLAN {compiled.string}", parameters).fetchall()
    return [str(row[3]) for row in rows]


def _searched(plan: list[str], *indexes: str) -> None:
    # A subquery's own SEARCH follows its line; a temporary B-tree sorts the few rows found.
    steps = [
        step
        for step in plan
        if not step.startswith(("CORRELATED SCALAR SUBQUERY", "LIST SUBQUERY", "USE TEMP B-TREE"))
    ]
    assert steps and all(step.startswith("SEARCH") for step in steps), plan
    for index in indexes:
        assert any(f"INDEX {index} " in step for step in steps), plan


def test_past_applicants_and_the_indicator(planner: sqlite3.Connection) -> None:
    plan = _plan(planner, repository._BY_MEMBERS.sqlite, tenant_id=TENANT, members=["urn:li:person:a"] * 100)
    _searched(plan, "ix_candidate_links_member", MIRROR_KEY)


def test_what_lies_under_the_candidates(planner: sqlite3.Connection) -> None:
    _searched(
        _plan(planner, repository.records_under_query(TENANT, ["c1", "c2"])), "ix_ats_records_candidate"
    )


def test_the_previews_candidates(planner: sqlite3.Connection) -> None:
    plan = _plan(planner, repository.candidates_of_member_query(TENANT, "urn:li:person:a"))
    _searched(plan, "ix_candidate_links_member", MIRROR_KEY)


def test_the_jobs_and_users_they_name(planner: sqlite3.Connection) -> None:
    _searched(
        _plan(planner, repository.records_by_id_query(TENANT, ["job", "user"], ["a", "b", "c"])), MIRROR_KEY
    )


def test_the_links_of_a_list_page(planner: sqlite3.Connection) -> None:
    plan = _plan(planner, link_repository.linked_query(TENANT, [f"c{n}" for n in range(500)]))
    _searched(plan, "sqlite_autoindex_candidate_links_1", MIRROR_KEY)
