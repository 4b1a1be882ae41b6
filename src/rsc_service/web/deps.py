"""Annotated dependencies: the AppContext and a write session committed before the response leaves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext


def context_of(request: Request) -> AppContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, AppContext)
    return ctx


async def _context(request: Request) -> AppContext:
    # async: FastAPI runs a plain `def` dependency in a worker thread, a hop every request would pay for
    return context_of(request)


Ctx = Annotated[AppContext, Depends(_context)]


async def _write_session(ctx: Ctx) -> AsyncIterator[AsyncSession]:
    async with ctx.sessionmaker.begin() as session:
        yield session  # commit on clean exit, rollback on error


# scope="function": the commit finishes before the response is sent.
WriteSession = Annotated[AsyncSession, Depends(_write_session, scope="function")]


# An ATS candidate id in a route's path; no NUL gets in (PostgreSQL cannot store one).
CandidateIdPath = Annotated[
    str, Path(min_length=1, max_length=200, pattern=r"^[^\x00]+$", description="The ATS candidate id")
]
