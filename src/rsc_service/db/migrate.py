"""Alembic driven from code: upgrade to head, and whether a database is at head."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def migrations_dir() -> Path:
    # Installed wheels carry the scripts inside the package; a source checkout keeps them at the top.
    for candidate in (_PACKAGE_DIR / "_migrations", _PACKAGE_DIR.parents[1] / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("migration scripts not found beside the package or in the source tree")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s")
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking: run from a thread or before the event loop starts (env.py runs its own loop)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


@functools.cache
def head_revisions() -> frozenset[str]:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


async def current_revisions(connection: AsyncConnection) -> set[str]:
    def _read(sync_connection: object) -> set[str]:
        context = MigrationContext.configure(sync_connection)  # type: ignore[arg-type]
        return set(context.get_current_heads())

    return await connection.run_sync(_read)
