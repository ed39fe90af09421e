"""Fixtures: a fresh database per test (SQLite file, or a PostgreSQL schema with --db=postgres),
the bot wired to it with a manual clock, and the transcript checker."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from bot.scheduling import attach_scheduler
from handlers.context import HandlerSettings
from storage.db import Database
from storage.schema import metadata
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.pg_available import PG_URL

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TRANSCRIPTS = Path(__file__).parent / "transcripts"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default="sqlite", choices=("sqlite", "postgres"), help="database to test on")


@pytest.fixture
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


async def make_database(kind: str, folder: Path) -> tuple[Database, Callable[[], Awaitable[None]]]:
    """A fresh, empty schema: a SQLite file in `folder`, or a new PostgreSQL schema in `test`.

    Returns the database and the coroutine function that disposes of it.
    """
    if kind == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{folder}/test-{uuid.uuid4().hex[:8]}.db")
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        return database, database.dispose
    schema = f"t_{uuid.uuid4().hex[:12]}"
    # synchronous_commit off: a test's commit does not wait for the server's WAL flush. What a
    # transaction sees, locks and keeps while the server runs is unchanged; only a crash of the
    # server itself could lose the last commits, and no test crashes it (bench/bench_chaos.py
    # kills chibo's processes and cuts its connections, at the server's full durability).
    database = Database(PG_URL, connect_args={"server_settings": {"search_path": schema,
                                                                  "synchronous_commit": "off"}})
    async with database.engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        driver: Any = (await connection.get_raw_connection()).driver_connection
        await driver.execute(_postgres_schema())  # in the transaction the statement above began

    async def drop() -> None:
        async with database.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await database.dispose()

    return database, drop


@functools.cache
def _postgres_schema() -> str:
    """The tables' DDL on PostgreSQL as one script: `metadata.create_all` compiled and sent some
    120 statements one by one, for every test (0.30 s a schema; 0.15 as one script).
    tests/test_migrations.py checks that the fixture's schema is the tables' schema."""
    dialect = postgresql.asyncpg.dialect()
    statements = []
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)))
        statements.extend(str(CreateIndex(index).compile(dialect=dialect))
                          for index in sorted(table.indexes, key=lambda index: str(index.name)))
    return ";\n".join(statement.strip() for statement in statements)


@pytest.fixture
async def db(db_kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, empty schema for each test."""
    database, drop = await make_database(db_kind, tmp_path)
    yield database
    await drop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=TZ))


@pytest.fixture
def app(db: Database, clock: ManualClock, tmp_path: Path) -> Chibo:
    app = Chibo(db, HandlerSettings(files_dir=str(tmp_path / "files")), clock=clock)
    attach_scheduler(app)  # `# time:` lines and app.tick() deliver what is due
    return app


@pytest.fixture
def memory(app: Chibo) -> MemoryChannel:
    channel = MemoryChannel()
    app.add_channel(channel)
    return channel


@pytest.fixture
async def telegram(app: Chibo) -> AsyncIterator[FakeTelegram]:
    """A fake Telegram Bot API server, and the bot polling it through the real Telegram channel."""
    from bot.channels.telegram import TelegramChannel
    from tests.fakes.recording import polling

    fake = FakeTelegram()
    await fake.start()
    async with polling(app, TelegramChannel(fake.token, base_url=fake.base_url, catalog=app.catalog), fake):
        yield fake
    await fake.stop()


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeTelegram, FakeZalo]]:
    """Both fake Bot API servers, started on 127.0.0.1 (webhook and file-link tests)."""
    telegram, zalo = FakeTelegram(), FakeZalo()
    await telegram.start()
    await zalo.start()
    yield telegram, zalo
    await zalo.stop()
    await telegram.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass (`--db=postgres`) runs only the tests that touch a database: those that
    ask for `db_kind`, themselves or through a fixture (`db`, `app`, `memory`...). The others run
    the same code whatever the option says, and the SQLite pass has run them already."""
    if config.getoption("--db") != "postgres":
        return
    kept: list[pytest.Item] = []
    left: list[pytest.Item] = []
    for item in items:
        (kept if "db_kind" in getattr(item, "fixturenames", ()) else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
