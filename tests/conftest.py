"""Fixtures: a fresh database per test (SQLite file, or a PostgreSQL schema with --db=postgres),
the bot wired to it with a manual clock, and the transcript checker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

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
    admin = Database(PG_URL)
    async with admin.engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    await admin.dispose()
    database = Database(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)

    async def drop() -> None:
        await database.dispose()
        admin = Database(PG_URL)
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()

    return database, drop


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
