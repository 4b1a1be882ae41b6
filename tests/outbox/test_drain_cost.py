"""What an idle drain pass costs the database: it runs several times a second on every replica."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event as sa_event

from rsc_service import bootstrap
from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import DispatchSettings


async def test_an_idle_pass_reads_the_held_tenants_once(ctx: AppContext) -> None:
    dispatcher = bootstrap.build(ctx, dispatch=DispatchSettings(concurrency=1)).dispatcher
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa_event.listen(ctx.engine.sync_engine, "before_cursor_execute", count)
    try:
        counts = await dispatcher.drain_once()  # the first pass looks for due tasks and due rows
    finally:
        sa_event.remove(ctx.engine.sync_engine, "before_cursor_execute", count)

    assert counts.claimed == 0
    held = [s for s in statements if "FROM tenants" in s]
    assert len(held) == 1, held  # paused and not-yet-sending tenants, read once for the whole pass
