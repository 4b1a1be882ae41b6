"""Fresh, migrated test databases on SQLite or PostgreSQL, chosen by RSC_TEST_DATABASE."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from rsc_service.db import migrate

PG_HINT = (
    "PostgreSQL is required for this test pass (127.0.0.1:5432, trust auth, database test); "
    "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)


def choice() -> str:
    return os.environ.get("RSC_TEST_DATABASE", "sqlite")


def is_postgres() -> bool:
    return choice().startswith("postgresql")


def _pg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create(tmp_dir: Path) -> str:
    """A new empty database; returns its async SQLAlchemy URL."""
    name = f"rsc_test_{uuid.uuid4().hex[:12]}"
    if not is_postgres():
        return f"sqlite+aiosqlite:///{tmp_dir / (name + '.db')}"
    admin = choice()
    try:
        connection = await asyncpg.connect(_pg_dsn(admin), timeout=10)
    except (OSError, asyncpg.PostgresError) as error:
        raise RuntimeError(f"{PG_HINT} ({type(error).__name__}: {error})") from error
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


async def drop(url: str) -> None:
    if not url.startswith("postgresql"):
        for suffix in ("", "-wal", "-shm", ".scheduler.lock"):
            Path(make_url(url).database + suffix).unlink(missing_ok=True)  # type: ignore[operator]
        return
    name = make_url(url).database
    connection = await asyncpg.connect(_pg_dsn(choice()), timeout=10)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def create_migrated(tmp_dir: Path) -> str:
    url = await create(tmp_dir)
    await asyncio.to_thread(migrate.upgrade, url)
    return url
