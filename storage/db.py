"""The database: one async engine, sessions, and the rules each dialect needs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


class Database:
    """Owns the engine. On SQLite it also serialises writers.

    SQLite allows one writer at a time; two concurrent transactions that both read and then
    write can fail with "database is locked" whatever the busy timeout. A single asyncio lock
    around each unit of work keeps one writer per process, which is also the fastest way to
    use SQLite. PostgreSQL needs no such lock.
    """

    def __init__(self, url: str, *, echo: bool = False, connect_args: dict[str, Any] | None = None) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # The lane (storage/lane.py) and commits run on the loop's thread, the rest on aiosqlite's.
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False, **(connect_args or {})}
            if parsed.get_driver_name() == "aiosqlite":
                url = parsed.set(drivername=f"sqlite+{_LOOP_DRIVER}").render_as_string(hide_password=False)
        else:
            kwargs["pool_pre_ping"] = True
            if connect_args:
                kwargs["connect_args"] = connect_args
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._lock = asyncio.Lock() if self.is_sqlite else None

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for one unit of work; the caller commits. Serialised on SQLite."""
        if self._lock is None:
            async with self._sessions() as session:
                yield session
            return
        async with self._lock, self._sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


_LOOP_DRIVER = "aiosqlite_loop"


class LoopCommitDialect(SQLiteDialect_aiosqlite):
    """aiosqlite, except that COMMIT and ROLLBACK run on the event loop's thread.

    Ending a transaction is short (WAL, synchronous=NORMAL: no fsync but at checkpoints), and
    sending it to aiosqlite's thread and back cost more than doing it. The session never runs
    two things on one connection at once, so nothing else is using the connection meanwhile.
    """

    supports_statement_cache = True

    def do_commit(self, dbapi_connection: Any) -> None:
        driver = dbapi_connection.driver_connection
        if driver._connection is not None:  # closed: nothing to commit (as aiosqlite's adapter does)
            driver._conn.commit()

    def do_rollback(self, dbapi_connection: Any) -> None:
        driver = dbapi_connection.driver_connection
        if driver._connection is not None:
            driver._conn.rollback()


registry.register(f"sqlite.{_LOOP_DRIVER}", __name__, "LoopCommitDialect")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


async def answers(url: str, within: float = 3.0) -> bool:
    """Whether the database at `url` accepts a connection within `within` seconds.

    Tests and benchmarks use PostgreSQL only when it answers; they ask here.
    """
    engine = create_async_engine(url, connect_args={"timeout": within})
    try:
        async with engine.connect():
            return True
    except Exception:
        return False
    finally:
        await engine.dispose()
