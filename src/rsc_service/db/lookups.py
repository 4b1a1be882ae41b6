"""Look-ups by a list of values, built once per dialect, so each batch only binds its values.

On SQLite a list is `IN (?, ?, …)`, expanded for each length. On PostgreSQL it is `= ANY($1)`, one array
parameter: a single prepared statement serves every batch, where `IN` would be rendered again for each list
and prepared anew for each length it had not seen on that connection (a round trip, then a plan).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import ColumnElement, Select, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

Among = Callable[[Any, str], ColumnElement[bool]]  # (column, parameter name) -> "column is one of them"
S = TypeVar("S", bound=Select[Any] | Select[Any, Any])


def _expanding(column: Any, name: str) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.in_(bindparam(name, expanding=True))
    return result


def _array(column: Any, name: str) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column == any_(bindparam(name, type_=ARRAY(column.type)))
    return result


class Lookup(Generic[S]):
    """`build(among)` returns the statement, calling `among(column, name)` for each list it takes."""

    def __init__(self, build: Callable[[Among], S], *, lock_on_postgresql: bool = False) -> None:
        self.sqlite: S = build(_expanding)
        self.postgresql: S = build(_array)
        if lock_on_postgresql:
            self.postgresql = cast(S, self.postgresql.with_for_update())

    def on(self, dialect: str) -> S:
        return self.postgresql if dialect == "postgresql" else self.sqlite

    def of(self, session: AsyncSession) -> S:
        return self.on(session.get_bind().dialect.name)
