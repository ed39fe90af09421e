"""The database: one async engine, sessions, and the rules each dialect needs."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, cast

import aiosqlite
from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi, SQLiteDialect_aiosqlite
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
            # No ping before each checkout (a round trip on every message: /baocao 0.49 → 0.63 of bare
            # asyncpg). A connection that died with the server fails its first statement instead: a
            # transient fault (storage/faults.py) that the intake retries and the scheduler's next pass
            # repeats, and SQLAlchemy then replaces the whole pool (tests/test_chaos.py: a cut proxy).
            kwargs["pool_pre_ping"] = False
            if connect_args:
                kwargs["connect_args"] = connect_args
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._lock = asyncio.Lock() if self.is_sqlite else None

    @contextlib.asynccontextmanager
    async def session(self, *, short: bool = False) -> AsyncIterator[AsyncSession]:
        """A session for one unit of work; the caller commits. Serialised on SQLite.

        `short`: every statement of it is short whatever the data (a few rows by an index): on
        SQLite they then run on the loop's thread, not aiosqlite's (see `_LoopDrivenConnection`).
        The writer lock is held for the whole unit either way; short units no longer hold it
        across hand-offs to another thread while the loop serves everyone else.
        """
        if self._lock is None:
            async with self._sessions() as session:
                yield session
            return
        async with self._lock:
            with _on_loop(short):
                async with self._sessions() as session:
                    yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


@contextlib.contextmanager
def short_reads() -> Iterator[None]:
    """Within this block, the session's statements are short whatever the data (one cell's rows,
    by index): on SQLite they run on the loop's thread, as a short session's do (`_LoopDrivenConnection`).

    For a unit that learns only as it goes that it is short: a message's session is opened before
    its command is known. Nothing changes on PostgreSQL. Tasks started inside inherit it: only
    for statements that are all short, never around a committee's reads side by side."""
    with _on_loop(True):
        yield


@contextlib.contextmanager
def _on_loop(short: bool) -> Iterator[None]:
    """Within: SQLite statements run on the loop's thread (`short`) or on aiosqlite's."""
    token = _ON_LOOP.set(short)
    try:
        yield
    finally:
        _ON_LOOP.reset(token)


_LOOP_DRIVER = "aiosqlite_loop"
_ON_LOOP: ContextVar[bool] = ContextVar("sqlite_on_loop", default=False)


class _LoopDrivenConnection(aiosqlite.Connection):
    """aiosqlite's connection, driven from the event loop's thread when that is cheaper.

    Every aiosqlite operation goes through `_execute`, which sends it to the connection's own
    thread and waits to hear back: two hand-offs, dearer than a short statement itself. Here:
    - COMMIT and ROLLBACK always run on the loop's thread (WAL with synchronous=NORMAL: no fsync
      but at checkpoints);
    - every statement of a short session (`Database.session(short=True)`) does too;
    - everything else (the handlers' reads, which may take long) stays on aiosqlite's thread.
    A session uses its connection one operation at a time, so the two threads never use it at
    once (the sqlite3 connection is opened with check_same_thread off).
    """

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if _ON_LOOP.get():
            if not self._running or not self._connection:
                raise ValueError("Connection closed")
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()


def _connect(database: str | Path, *, iter_chunk_size: int = 64, **kwargs: Any) -> aiosqlite.Connection:
    """aiosqlite.connect, making a `_LoopDrivenConnection`."""
    location = database.decode() if isinstance(database, bytes) else str(database)
    return _LoopDrivenConnection(lambda: sqlite3.connect(location, **kwargs), iter_chunk_size)


class LoopDrivenDialect(SQLiteDialect_aiosqlite):
    """SQLAlchemy's aiosqlite dialect on `_LoopDrivenConnection`s (registered as sqlite+aiosqlite_loop)."""

    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        module = SimpleNamespace(**vars(aiosqlite))
        module.connect = _connect
        return AsyncAdapt_aiosqlite_dbapi(cast(ModuleType, module), sqlite3)


registry.register(f"sqlite.{_LOOP_DRIVER}", __name__, "LoopDrivenDialect")


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
