"""Many rows in one INSERT, the statement built once per table, columns and dialect
(docs/architecture.md#14-ingest).

On PostgreSQL the rows go as one array per column, unnested by the server: the statement's text is the same
for every number of rows, so one prepared statement serves them all, and the server plans and runs one
statement. A list of parameter sets would go as asyncpg's executemany: one execution per row, each encoded,
bound and run on its own (a multi-row VALUES would be new text, prepared anew, for each size). On SQLite,
one parameter set per row, in one call of the driver.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, String, Table, Text, bindparam, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType, TypeEngine

from rsc_service.db.session import json_text


def columns_of(item: Any) -> tuple[str, ...]:
    """A dataclass row's columns: every field but `id` (the database gives it)."""
    return tuple(f.name for f in dataclasses.fields(item) if f.name != "id")


@functools.cache
def _json_columns(table: Table) -> frozenset[str]:
    return frozenset(column.name for column in table.c if isinstance(column.type, JSON))


def _item_type(table: Table, name: str) -> TypeEngine[Any]:
    """A column's type inside an array. A foreign key column is typed by its target (the target's type
    reaches the column only once every model is loaded). Strings go as text, not varchar(n): an explicit
    cast to varchar(n) would cut a longer value where inserting it into the column refuses it. JSON goes as
    its text, cast to jsonb by the server: a JSON list inside an array would be taken as a dimension of it."""
    column = table.c[name]
    column_type: TypeEngine[Any] = column.type
    if isinstance(column_type, NullType) and column.foreign_keys:
        column_type = next(iter(column.foreign_keys)).column.type
    return Text() if isinstance(column_type, String | JSON) else column_type


@functools.cache
def insert_statement(table: Table, columns: tuple[str, ...], dialect: str, prefix: str = "") -> Any:
    """The dialect's INSERT of `columns` (ON CONFLICT can be added); bind it with `values()` and the same
    `prefix` (on PostgreSQL, its parameters are the columns' names after it)."""
    if dialect != "postgresql":
        return sqlite.insert(table)
    arrays = [bindparam(prefix + name, type_=postgresql.ARRAY(_item_type(table, name))) for name in columns]
    rows = func.unnest(*arrays).table_valued(*columns).render_derived(with_types=False)
    read = [cast(rows.c[name], JSONB) if name in _json_columns(table) else rows.c[name] for name in columns]
    return postgresql.insert(table).from_select(list(columns), select(*read))


def values(
    table: Table, items: Sequence[Any], columns: tuple[str, ...], dialect: str, prefix: str = ""
) -> Any:
    """What `insert_statement()` binds: one list per column on PostgreSQL, one dict per row elsewhere."""
    if dialect != "postgresql":
        return [{name: getattr(item, name) for name in columns} for item in items]
    json = _json_columns(table)
    return {
        # None in a JSON column is JSON's null, as the column's own type stores it.
        prefix + name: [json_text(getattr(item, name)) for item in items]
        if name in json
        else [getattr(item, name) for item in items]
        for name in columns
    }


@dataclass(frozen=True)
class Rows:
    """Rows for one table: dataclass instances, all of one class."""

    table: Table
    items: Sequence[Any]


@functools.cache
def _together(shapes: tuple[tuple[Table, tuple[str, ...]], ...]) -> Any:
    """On PostgreSQL, one statement inserting into several tables: each INSERT but the last in a WITH of the
    last, which PostgreSQL runs once, whether or not the statement reads it."""
    *first, last = [
        insert_statement(table, columns, "postgresql", f"t{i}_") for i, (table, columns) in enumerate(shapes)
    ]
    for i, statement in enumerate(first):
        last = last.add_cte(statement.cte(f"inserted_{i}"))
    return last


async def insert_together(session: AsyncSession, groups: Sequence[Rows]) -> None:
    """Insert every group's rows: in one statement on PostgreSQL, one round trip however many tables; one
    statement per table on SQLite, where a statement costs no round trip. Sent on the session's connection
    as Core statements, without the session's own bookkeeping for each."""
    groups = [group for group in groups if group.items]
    if not groups:
        return
    connection = await session.connection()
    dialect = connection.dialect.name
    shapes = tuple((group.table, columns_of(group.items[0])) for group in groups)
    if dialect != "postgresql":
        for group, (table, columns) in zip(groups, shapes, strict=True):
            await connection.execute(
                insert_statement(table, columns, dialect), values(table, group.items, columns, dialect)
            )
        return
    bound: dict[str, Any] = {}
    for i, (group, (table, columns)) in enumerate(zip(groups, shapes, strict=True)):
        bound |= values(table, group.items, columns, dialect, f"t{i}_")
    await connection.execute(_together(shapes), bound)
