"""Reads built once with SQLAlchemy Core, compiled once per dialect, run on the lane.

Why: `/tonghop` runs a dozen grouped reads per message. Through the session, SQLAlchemy built each
statement again, keyed it, expanded its `IN (…)` lists into a hundred parameters and re-rendered
the text on every call (a committee's year spent more time there than in SQLite), and on SQLite
each read cost several hand-offs to aiosqlite's thread. Here a statement is written in Core as
before, so its rules stay in one place (`reviewed_clause`, `counted_on`…), but with named
parameters; its text is made once per dialect, and each call only lines up the values and runs
the text on the session's own connection (storage/lane.py).

A list of ids is one parameter (`among`): `IN (SELECT value FROM json_each(?))` on SQLite, `= ANY(?)`
on PostgreSQL; the text never depends on how many there are, so PostgreSQL prepares it once.

Rows come back as the driver gives them: on SQLite dates and times as text. Read them with
`storage.lane.as_datetime` and `as_date`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import ARRAY, ClauseElement, ColumnElement, Integer, Select, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.sqltypes import NULLTYPE
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.lane import Sql, lane


class _Among(ColumnElement[Any]):
    """`column IN <the list bound to one parameter>`."""

    inherit_cache = True
    type = NULLTYPE  # not Boolean: SQLite would get "IN (…) = 1", which no index serves
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),  # noqa: RUF012 (SQLAlchemy's own)
                           ("values", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any], values: ClauseElement) -> None:
        self.column = column
        self.values = values


def among(column: Any, name: str) -> ColumnElement[Any]:
    """SQL: `column` is one of the ids given as the value `name` (a list of integers)."""
    return _Among(column, param(name, ARRAY(Integer)))


def param(name: str, type_: Any = None) -> Any:
    """A named parameter of a `Prepared` read, given its value at each call."""
    return bindparam(name, type_=type_, required=False)


@compiles(_Among, "sqlite")
def _among_sqlite(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.values, **kw)
    return f"{column} IN (SELECT value FROM json_each({values}))"


@compiles(_Among, "postgresql")
def _among_postgres(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.values, **kw)})"


class Prepared:
    """One read: built by `build` (Core, named parameters) at its first use on a dialect."""

    __slots__ = ("_build", "_made")

    def __init__(self, build: Callable[[], Select[Any]]) -> None:
        self._build = build
        self._made: dict[str, tuple[Sql, tuple[str, ...], dict[str, Any]]] = {}

    def _for(self, session: AsyncSession) -> tuple[Sql, tuple[str, ...], dict[str, Any]]:
        dialect = session.get_bind().dialect
        made = self._made.get(dialect.name)
        if made is None:
            compiled = self._build().compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
            names = tuple(compiled.positiontup or ())
            text = Sql(compiled.string) if dialect.name == "sqlite" else _dollar_text(compiled.string)
            made = self._made[dialect.name] = (text, names, dict(compiled.params))
        return made

    async def all(self, session: AsyncSession, *, long: bool = False, **values: Any) -> list[tuple[Any, ...]]:
        """The rows, for these values of the named parameters (the others are the statement's own)."""
        text, names, own = self._for(session)
        unknown = [name for name in values if name not in own]
        if unknown:
            raise TypeError(f"no parameter {unknown} in this statement")
        args = [_plain(values[name] if name in values else own[name]) for name in names]
        return await (await lane(session)).all(text, *args, long=long)


def _dollar_text(text: str) -> Sql:
    """A text already in PostgreSQL's `$n` style (SQLAlchemy's asyncpg dialect), kept as it is."""
    sql = Sql("")
    sql.sqlite = ""
    sql.postgres = text
    return sql


def _plain(value: Any) -> Any:
    """Enums as their values (the drivers bind plain strings), the rest as it is."""
    return value.value if isinstance(value, enum.Enum) else value


def as_date(value: Any) -> date | None:
    """A stored date, whichever driver read it (SQLite: ISO text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
