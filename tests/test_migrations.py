"""The migrations build exactly the schema the tables describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.db import Database
from storage.migrate import alembic_config, upgrade
from storage.schema import metadata


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _upgrade_on(connection: Connection) -> None:
    config = alembic_config("sqlite://")  # the URL is unused: the connection is handed over
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def test_sqlite_file_upgrades_to_the_models(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/sub/dir/chibo.db"
    await asyncio.to_thread(upgrade, url)  # creates the folder too
    await asyncio.to_thread(upgrade, url)  # a second run is a no-op
    database = Database(url)
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    await database.dispose()
    assert {"member", "chat_account", "report", "meeting", "outbox", "alembic_version"} <= tables


async def test_migrations_on_the_test_database(db: Database) -> None:
    """On the fixture's fresh schema (PostgreSQL with --db=postgres), migrate from nothing."""
    async with db.engine.begin() as connection:
        await connection.run_sync(lambda c: metadata.drop_all(c))
        await connection.run_sync(_upgrade_on)
    async with db.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


def test_one_head() -> None:
    """Branches made in parallel are merged: `alembic upgrade head` has one target."""
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads() == ["0007_membership"]
