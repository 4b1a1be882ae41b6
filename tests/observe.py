"""Watching what the code under test does: the statements it sends, and a condition coming true."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def _listening(engine: AsyncEngine, record: Callable[..., None]) -> Iterator[None]:
    """`record(connection, cursor, statement, parameters, context, executemany)` before each statement."""
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@contextmanager
def statements(engine: AsyncEngine, keep: Callable[[str], bool] = lambda _: True) -> Iterator[list[str]]:
    """The statements `engine` sends while the block runs, those `keep` accepts."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if keep(statement):
            seen.append(statement)

    with _listening(engine, record):
        yield seen


@contextmanager
def executemany_flags(engine: AsyncEngine) -> Iterator[list[bool]]:
    """For each statement `engine` sends while the block runs, whether it went as a list of parameter sets
    (on PostgreSQL, asyncpg's executemany: one execution per row)."""
    seen: list[bool] = []

    def record(_conn: Any, _cursor: Any, _statement: str, _params: Any, _context: Any, many: bool) -> None:
        seen.append(many)

    with _listening(engine, record):
        yield seen


def reads(table: str | None = None) -> Callable[[str], bool]:
    """Accepts SELECTs (from `table`, if named)."""
    return lambda statement: (
        statement.lstrip().upper().startswith("SELECT") and (table is None or f"FROM {table}" in statement)
    )


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)
