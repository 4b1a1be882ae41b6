"""Migrations: upgrade an empty database, no drift from the models, a downgrade/upgrade round trip."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from rsc_service.context import open_context
from rsc_service.db import migrate
from rsc_service.db.base import Base
from rsc_service.db.models import __all__ as model_names  # noqa: F401 — every table registered
from rsc_service.db.session import create_engine
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State
from rsc_service.settings import DatabaseSettings
from rsc_service.tenants.models import Stage, StageChange
from tests.conftest import make_settings
from tests.factories import make_tenant

FreshDatabase = Callable[[bool], Awaitable[str]]


# The revision before tenants.linkedin_app_urn became unique and the audit trails' actor 210 characters.
_BEFORE_APP_URN_UNIQUE = "7d1f3b9e2c64"

# Migrations that change only PostgreSQL (a trigger): on SQLite their step changes no schema.
_POSTGRESQL_ONLY = {"3f7a9c1e5b28"}
# Migrations that change only data: their step changes no schema on either database.
_DATA_ONLY = {"9c4e1a7b3d52"}
# The revision before landed deletions' landed_at was cleared.
_BEFORE_LANDED_DELETIONS = "6a8e2d4f1b37"
# The revision before job ACL rows were filed under their job.
_BEFORE_ACL_PARENTS = "9c4e1a7b3d52"
# The revision before outbox rows said since when they are owed.
_BEFORE_OWED_SINCE = "5b7d2e9a4c16"


async def _schema(url: str) -> set[str]:
    """Every table, index, column and trigger, as "table", "table.index", "table:column" and
    "table!trigger", and each column that may be null also as "table:column:nullable"."""

    def read(connection: Connection) -> set[str]:
        found = inspect(connection)
        tables = set(found.get_table_names())
        indexes = {f"{t}.{i['name']}" for t in tables for i in found.get_indexes(t)}
        columns = [(t, c) for t in tables for c in found.get_columns(t)]
        nullable = {f"{t}:{c['name']}:nullable" for t, c in columns if c["nullable"]}
        if connection.dialect.name == "postgresql":
            triggers = connection.exec_driver_sql(
                "SELECT event_object_table, trigger_name FROM information_schema.triggers"
            )
        else:
            triggers = connection.exec_driver_sql(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
            )
        named = {f"{table}!{trigger}" for table, trigger in triggers}
        return tables | indexes | {f"{t}:{c['name']}" for t, c in columns} | nullable | named

    engine = create_engine(DatabaseSettings(url=url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    return {name for name in await _schema(url) if not any(mark in name for mark in ".:!")}


async def _diff(url: str) -> list[object]:
    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    engine = create_engine(DatabaseSettings(url=url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


class TestMigrations:
    async def test_upgrade_head_on_an_empty_database_creates_every_table(
        self, fresh_database: FreshDatabase
    ) -> None:
        url = await fresh_database(False)
        assert await _tables(url) == set()

        await asyncio.to_thread(migrate.upgrade, url)

        assert set(Base.metadata.tables) | {"alembic_version"} == await _tables(url)

    async def test_models_and_migrations_agree(self, database_url: str) -> None:
        assert await _diff(database_url) == []

    async def test_downgrade_one_step_and_upgrade_again(self, fresh_database: FreshDatabase) -> None:
        url = await fresh_database(True)
        before = await _schema(url)

        # A step that changes only data, or only PostgreSQL on SQLite, changes no schema: undo one more.
        schemaless = _DATA_ONLY | (_POSTGRESQL_ONLY if url.startswith("sqlite") else set())
        steps = "-2" if migrate.head_revisions() <= schemaless else "-1"
        await asyncio.to_thread(migrate.downgrade, url, steps)
        # The newest migration is undone: what it added (or let be null) is gone, what it dropped is back.
        assert await _schema(url) != before
        await asyncio.to_thread(migrate.upgrade, url)

        assert await _schema(url) == before
        assert await _diff(url) == []

    async def test_jobs_that_landed_hold_their_availability_after_the_upgrade(
        self, fresh_database: FreshDatabase
    ) -> None:
        """2026_12_10_outbox_held: a job whose newest write landed holds its payload's availability, so an
        UPDATE that would change it is sent as a close and a new post; any other row starts unknown."""
        url = await fresh_database(True)
        now = datetime(2026, 12, 1, tzinfo=UTC)
        rows = {
            "landed": ("simpleJobPostings", State.DONE, now, "PUBLIC"),
            "owed_again": ("simpleJobPostings", State.PENDING, now, "PUBLIC"),
            "never_sent": ("simpleJobPostings", State.PENDING, None, "PUBLIC"),
            "candidate": ("atsCandidates", State.DONE, now, "PUBLIC"),
        }
        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker.begin() as session:
                tenant = (await make_tenant(session, ctx)).tenant
                for key, (resource, state, landed_at, availability) in rows.items():
                    session.add(
                        OutboxMessage(
                            tenant_id=tenant.id,
                            resource=resource,
                            key=key,
                            op=Op.UPSERT,
                            state=state,
                            payload={"availability": availability},
                            landed_at=landed_at,
                            next_attempt_at=now,
                        )
                    )
        await asyncio.to_thread(migrate.downgrade, url, "3f7a9c1e5b28")
        await asyncio.to_thread(migrate.upgrade, url)

        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker() as session:
                found = await session.execute(select(OutboxMessage.key, OutboxMessage.held))
                held = dict(found.all())
        assert held == {"landed": "PUBLIC", "owed_again": None, "never_sent": None, "candidate": None}

    async def test_deletions_that_landed_hold_nothing_after_the_upgrade(
        self, fresh_database: FreshDatabase
    ) -> None:
        """2026_12_13_outbox_landed_deletions_hold_nothing: a row whose deletion landed no longer says
        LinkedIn holds its record; every other row keeps when it landed."""
        url = await fresh_database(True)
        now = datetime(2026, 12, 1, tzinfo=UTC)
        rows = {
            "deleted": (Op.DELETE, State.DONE),
            "deleting": (Op.DELETE, State.PENDING),
            "written": (Op.UPSERT, State.DONE),
            "owed_again": (Op.UPSERT, State.PENDING),
        }
        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker.begin() as session:
                tenant = (await make_tenant(session, ctx)).tenant
                for key, (op, state) in rows.items():
                    session.add(
                        OutboxMessage(
                            tenant_id=tenant.id,
                            resource="atsCandidates",
                            key=key,
                            op=op,
                            state=state,
                            landed_at=now,
                            next_attempt_at=now,
                        )
                    )
        await asyncio.to_thread(migrate.downgrade, url, _BEFORE_LANDED_DELETIONS)
        await asyncio.to_thread(migrate.upgrade, url)

        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker() as session:
                found = await session.execute(select(OutboxMessage.key, OutboxMessage.landed_at))
                landed = {key: at is not None for key, at in found.all()}
        assert landed == {"deleted": False, "deleting": True, "written": True, "owed_again": True}

    async def test_job_acls_are_filed_under_their_job_after_the_upgrade(
        self, fresh_database: FreshDatabase
    ) -> None:
        """2026_12_14_user_and_member_indexes_acl_parents: an ACL row written before ACLs were filed under
        their job gets its job as parent, so it is found (and deleted) once its member leaves the team."""
        url = await fresh_database(True)
        now = datetime(2026, 12, 1, tzinfo=UTC)
        keys = {"user-usr_1/job_1": "job_1", "user-usr_2/job%2F7": "job/7"}
        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker.begin() as session:
                tenant = (await make_tenant(session, ctx)).tenant
                for key in [*keys, "cand_1"]:
                    session.add(
                        OutboxMessage(
                            tenant_id=tenant.id,
                            resource="atsCandidates" if key == "cand_1" else "atsEntityAcls",
                            key=key,
                            op=Op.UPSERT,
                            state=State.DONE,
                            landed_at=now,
                            next_attempt_at=now,
                        )
                    )
        await asyncio.to_thread(migrate.downgrade, url, _BEFORE_ACL_PARENTS)
        await asyncio.to_thread(migrate.upgrade, url)

        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker() as session:
                found = await session.execute(select(OutboxMessage.key, OutboxMessage.path_parent))
                parents = dict(found.all())
        assert parents == {**keys, "cand_1": None}

    async def test_outbox_rows_are_owed_since_the_best_time_known_after_the_upgrade(
        self, fresh_database: FreshDatabase
    ) -> None:
        """2026_12_15_outbox_owed_since: a row that never landed is owed since it was created; one that
        landed, since its last change, or since its failures began when they began earlier (each retry moved
        `updated_at`)."""
        url = await fresh_database(True)
        created, failing, changed = (datetime(2026, 12, 1, hour, tzinfo=UTC) for hour in (1, 2, 3))
        rows = {
            "never_landed": (None, None),
            "landed_and_failing": (created, failing),
            "landed_and_owed_again": (created, None),
        }
        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker.begin() as session:
                tenant = (await make_tenant(session, ctx)).tenant
                for key, (landed_at, failing_since) in rows.items():
                    session.add(
                        OutboxMessage(
                            tenant_id=tenant.id,
                            resource="atsCandidates",
                            key=key,
                            op=Op.UPSERT,
                            state=State.PENDING,
                            landed_at=landed_at,
                            failing_since=failing_since,
                            created_at=created,
                            updated_at=changed,
                            next_attempt_at=changed,
                        )
                    )
        await asyncio.to_thread(migrate.downgrade, url, _BEFORE_OWED_SINCE)
        await asyncio.to_thread(migrate.upgrade, url)

        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker() as session:
                found = await session.execute(select(OutboxMessage.key, OutboxMessage.owed_since))
                owed_since = dict(found.all())
        assert owed_since == {
            "never_landed": created,
            "landed_and_failing": failing,
            "landed_and_owed_again": changed,
        }

    async def test_tenants_sharing_an_application_stop_the_upgrade_naming_them(
        self, fresh_database: FreshDatabase
    ) -> None:
        """2026_12_12_tenant_app_urn_unique_and_actor_length: the unique index is made only once each
        application URN is one tenant's; until then the upgrade names the URN and the tenants."""
        url = await fresh_database(True)
        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker.begin() as session:
                keys = [
                    (
                        await make_tenant(session, ctx, linkedin_app_urn=f"urn:li:developerApplication:{n}")
                    ).tenant.key
                    for n in (1, 2, 3)
                ]
        await asyncio.to_thread(migrate.downgrade, url, _BEFORE_APP_URN_UNIQUE)
        shared = "UPDATE tenants SET linkedin_app_urn = 'urn:li:developerApplication:1' WHERE key = :key"
        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker.begin() as session:
                await session.execute(text(shared), {"key": keys[1]})

        with pytest.raises(RuntimeError) as stopped:
            await asyncio.to_thread(migrate.upgrade, url)

        assert "urn:li:developerApplication:1" in str(stopped.value)
        assert keys[0] in str(stopped.value) and keys[1] in str(stopped.value)
        assert keys[2] not in str(stopped.value)
        assert "tenants.ix_tenants_linkedin_app_urn" not in await _schema(url)
        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker.begin() as session:
                await session.execute(
                    text("UPDATE tenants SET linkedin_app_urn = NULL WHERE key = :key"), {"key": keys[1]}
                )
        await asyncio.to_thread(migrate.upgrade, url)
        assert "tenants.ix_tenants_linkedin_app_urn" in await _schema(url)

    async def test_actors_of_200_character_ats_user_ids_are_stored_and_cut_back_on_the_way_down(
        self, fresh_database: FreshDatabase
    ) -> None:
        """The audit trails hold `ats_user:` and an id of 200 characters; a downgrade keeps the first 200."""
        url = await fresh_database(True)
        actor = "ats_user:" + "u" * 200
        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker.begin() as session:
                tenant = (await make_tenant(session, ctx)).tenant
                session.add(
                    StageChange(
                        tenant_id=tenant.id,
                        from_stage=Stage.ACTIVE,
                        to_stage=Stage.DEACTIVATED,
                        actor=actor,
                        reason="deactivated",
                        at=ctx.clock(),
                    )
                )

        await asyncio.to_thread(migrate.downgrade, url, _BEFORE_APP_URN_UNIQUE)

        async with open_context(make_settings(url, database={"url": url})) as ctx:
            async with ctx.sessionmaker() as session:
                found = await session.scalars(
                    select(StageChange.actor).where(StageChange.to_stage == Stage.DEACTIVATED)
                )
                assert found.all() == [actor[:200]]

    def test_migration_files_are_named_by_date_and_slug(self) -> None:
        names = [path.name for path in (migrate.migrations_dir() / "versions").glob("*.py")]
        assert names
        assert all(
            name[:4].isdigit() and name[4] == "_" and name[7] == "_" and name[10] == "_" for name in names
        )
