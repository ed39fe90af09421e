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


async def test_the_fixtures_schema_is_the_tables_schema(db: Database) -> None:
    """The `db` fixture builds its schema its own way on PostgreSQL (one script: tests/conftest.py)."""
    async with db.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert tables == set(metadata.tables)


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

    assert ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads() == ["0014_attendance_covering"]


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = alembic_config("sqlite://")
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _column_names(connection: Connection, table: str) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns(table)}


async def _figures(database: Database) -> list[tuple[object, ...]]:
    """Every membership, rating and development figure of the ward's committee, for three periods."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from domain.periods import MONTH, QUARTER, YEAR, Period
    from storage import org
    from storage.summary import tallies

    today = date(2026, 11, 20)
    found: list[tuple[object, ...]] = []
    async with database.session() as session:
        committee = await org.find_committee(session, "Đảng bộ phường Bến Thành")
        assert committee is not None and committee.id is not None
        cells = [(unit.id, unit.name) for unit in await org.cells_of(session, committee.id) if unit.id is not None]
        for period in (Period(MONTH, 2026, 11), Period(QUARTER, 2026, 3), Period(YEAR, 2026)):
            for t in await tallies(session, cells, period, today, ZoneInfo("Asia/Ho_Chi_Minh")):
                found.append((period.key, t.name, sorted(t.statuses.items()), t.admitted_in_period, t.admitted_in_year,
                              t.members_at_year_start, t.reporters, t.to_be_rated, t.not_reviewed,
                              sorted((s, sorted(levels.items())) for s, levels in t.ratings.items()),
                              t.present, t.expected, t.no_account, t.due_recognition))
    return found


async def test_an_upgraded_database_keeps_its_summaries(db: Database, db_kind: str, tmp_path: Path) -> None:
    """Data made under the schema before membership history (0006), upgraded by 0007, gives the same
    figures as the same data entered today through the history (events and spans)."""
    from sqlalchemy import text

    from tests import seed
    from tests.conftest import make_database

    await seed.ward(db)
    expected = await _figures(db)
    khu_pho_1 = [("exempt", 1), ("official", 7), ("probationary", 3)]  # 11 members (summary_cell.txt)
    assert expected[0][:3] == ("thang-11-2026", "Chi bộ khu phố 1", khu_pho_1)
    old, drop = await make_database(db_kind, tmp_path / "old")
    try:
        async with old.engine.begin() as connection:
            await connection.run_sync(lambda c: metadata.drop_all(c))
            await connection.run_sync(_upgrade_to, "0006_local_numbers")
        history = {"membership_event", "membership_span", "roll_call_tally", "report_tally",
                   "member_report_tally"}  # the migrations make them
        async with db.engine.connect() as source, old.engine.begin() as target:
            for table in metadata.sorted_tables:
                if table.name in history:
                    continue
                rows = (await source.execute(table.select())).mappings().all()
                if rows:  # a table added after 0006 (empty in the seed) does not exist there yet
                    columns = await target.run_sync(_column_names, table.name)
                    await target.execute(table.insert(), [{k: v for k, v in row.items() if k in columns}
                                                          for row in rows])
            await target.run_sync(_upgrade_to, "head")
            events = (await target.execute(text("SELECT count(*) FROM membership_event"))).scalar_one()
        assert events > 0
        assert await _figures(old) == expected
    finally:
        await drop()
