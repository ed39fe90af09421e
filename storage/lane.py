"""The fast lane: a few statements, written once by hand, run on the driver connection of a
session's own transaction.

Why: the busiest path (every message's de-duplication mark and sender lookup, a report's insert)
spent most of its time not in the database but around it: SQLAlchemy building and keying each
statement again, and on SQLite the hops to and from aiosqlite's thread (a dozen per message).
Here a statement is text made once per dialect; on SQLite it runs on the event loop's thread,
directly on the sqlite3 connection (short, indexed statements: microseconds, less than a hop),
and on PostgreSQL straight on asyncpg (which keeps it prepared). Everything else still goes
through the session and, on SQLite, aiosqlite's thread: long reads never block the loop.

The lane shares the session's connection and transaction: what it writes commits or rolls back
with the session. Only statements that stay short whatever the data belong here.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, date, datetime
from typing import Any, Protocol, cast

import aiosqlite
from sqlmodel.ext.asyncio.session import AsyncSession

_PLACEHOLDER = re.compile(r"\?(::\w+)?")


class Sql:
    """One statement in both dialects, from one text: `?` placeholders, each optionally followed
    by a PostgreSQL cast (`?::integer`: PostgreSQL cannot infer a parameter's type in a select
    list; SQLite needs no cast and would mangle some, so it gets a bare `?`)."""

    __slots__ = ("postgres", "sqlite")

    def __init__(self, text: str) -> None:
        self.sqlite = _PLACEHOLDER.sub("?", text)
        numbers = iter(range(1, text.count("?") + 1))
        self.postgres = _PLACEHOLDER.sub(lambda m: f"${next(numbers)}{m.group(1) or ''}", text)


class Lane(Protocol):
    postgres: bool  # the statements run on PostgreSQL (else SQLite)

    async def one(self, sql: Sql, *args: Any) -> tuple[Any, ...] | None:
        """The first row of a statement (a SELECT, or a write with RETURNING), or None."""

    async def run(self, sql: Sql, *args: Any) -> int:
        """Run a write; how many rows it changed."""

    async def all(self, sql: Sql, *args: Any, long: bool = False) -> list[tuple[Any, ...]]:
        """Every row of a read. `long`: it may take milliseconds (a committee's hundred cells); on
        SQLite it then runs on aiosqlite's thread, so the loop serves others meanwhile."""


async def lane(session: AsyncSession) -> Lane:
    """The lane of the session's current transaction (begun here if it was not yet).

    Kept in the session for the rest of that transaction: asking the session for its connection
    is a trip through SQLAlchemy's greenlet, dearer than the statements themselves. A commit or a
    rollback ends the transaction, and the next call asks again (the connection may be another).
    """
    transaction = session.sync_session.get_transaction()
    kept = session.info.get(_KEPT)
    if transaction is not None and kept is not None and kept[0] is transaction:
        return cast(Lane, kept[1])
    connection = await session.connection()
    fairy = connection.sync_connection.connection if connection.sync_connection else None
    assert fairy is not None
    driver: Any = fairy.driver_connection
    found: Lane
    if isinstance(driver, aiosqlite.Connection):
        found = _SqliteLane(driver)  # its sqlite3 connection: check_same_thread off (storage/db.py)
    else:
        adapter: Any = fairy.dbapi_connection
        if adapter._transaction is None:
            # SQLAlchemy's asyncpg adapter begins lazily, at its first statement; the lane's writes
            # must be inside that transaction, so it begins here (the BEGIN SQLAlchemy would send).
            await adapter._start_transaction()
        found = _PostgresLane(driver)
    session.info[_KEPT] = (session.sync_session.get_transaction(), found)
    return found


_KEPT = "storage.lane"


class _SqliteLane:
    """Runs on the loop's thread, on the sqlite3 connection aiosqlite holds: safe because the
    session uses its connection one statement at a time (nothing runs on aiosqlite's thread
    while a lane statement runs) and the connection is opened with check_same_thread off."""

    __slots__ = ("_conn", "_driver")
    postgres = False

    def __init__(self, driver: aiosqlite.Connection) -> None:
        self._driver = driver
        self._conn: sqlite3.Connection = driver._conn

    async def one(self, sql: Sql, *args: Any) -> tuple[Any, ...] | None:
        cursor = self._conn.execute(sql.sqlite, [_sqlite_value(a) for a in args])
        try:
            row: tuple[Any, ...] | None = cursor.fetchone()
            return row
        finally:
            cursor.close()

    async def run(self, sql: Sql, *args: Any) -> int:
        cursor = self._conn.execute(sql.sqlite, [_sqlite_value(a) for a in args])
        cursor.close()
        return cursor.rowcount

    async def all(self, sql: Sql, *args: Any, long: bool = False) -> list[tuple[Any, ...]]:
        values = [_sqlite_value(a) for a in args]
        if long:  # one hand-off to aiosqlite's thread and back, as its own execute makes
            rows: list[tuple[Any, ...]] = await self._driver._execute(_fetch_all, self._conn, sql.sqlite, values)
            return rows
        return _fetch_all(self._conn, sql.sqlite, values)


def _fetch_all(conn: sqlite3.Connection, text: str, values: list[Any]) -> list[tuple[Any, ...]]:
    cursor = conn.execute(text, values)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


class _PostgresLane:
    __slots__ = ("_conn",)
    postgres = True

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def one(self, sql: Sql, *args: Any) -> tuple[Any, ...] | None:
        row = await self._conn.fetchrow(sql.postgres, *args)
        return tuple(row) if row is not None else None

    async def run(self, sql: Sql, *args: Any) -> int:
        status: str = await self._conn.execute(sql.postgres, *args)
        count = status.rsplit(" ", 1)[-1]
        return int(count) if count.isdigit() else 0

    async def all(self, sql: Sql, *args: Any, long: bool = False) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self._conn.fetch(sql.postgres, *args)]


def _sqlite_value(value: Any) -> Any:
    """A parameter as SQLAlchemy stores it on SQLite (times as naive UTC text, so that the text
    comparisons SQLite makes agree with the rows SQLAlchemy wrote)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"aware datetime required, got {value!r}")
        v = value.astimezone(UTC)
        return f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):  # a list bound as one parameter (storage/prepared.py: among)
        return json.dumps(value)
    return value


def as_datetime(value: Any) -> datetime | None:
    """A stored timestamp as an aware UTC datetime, whichever driver read it."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_json(value: Any) -> Any:
    """A stored JSON value, decoded (SQLite hands back its text; asyncpg, as SQLAlchemy set it up, the value)."""
    return json.loads(value) if isinstance(value, str | bytes) else value
