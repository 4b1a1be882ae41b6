"""Watching what the code under test does: the statements it sends, and a condition coming true."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def statements(engine: AsyncEngine, keep: Callable[[str], bool] = lambda _: True) -> Iterator[list[str]]:
    """The statements `engine` sends while the block runs, those `keep` accepts."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if keep(statement):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def reads(table: str | None = None) -> Callable[[str], bool]:
    """Accepts SELECTs (from `table`, if named)."""
    return lambda statement: (
        statement.lstrip().upper().startswith("SELECT") and (table is None or f"FROM {table}" in statement)
    )


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)
