"""The console demo never writes into a real committee's database (issue 9, item 7).

`chibo run` without a token once loaded the demo organisation into whatever DATABASE_URL named,
and crashed where console accounts clashed. These tests run `chibo` as a user would: a process
in an empty folder, input piped, on a database that holds another organisation, and compare every
table's rows (and, on SQLite, the file's bytes) before and after.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from alembic import command
from sqlalchemy import MetaData
from sqlalchemy import select as select_rows
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select

from bot.cli import main
from bot.demo import DEMO_FILE
from storage import demo_guard, org, outbox
from storage.db import Database
from storage.importer import import_file
from storage.migrate import alembic_config
from storage.schema import metadata
from storage.tables import Member
from storage.types import id_of
from tests import seed
from tests.pg_available import PG_URL

TIMEOUT = 90  # seconds for one `chibo` process (migrations on PostgreSQL take a few)
Dump = dict[str, list[tuple[str, ...]]]


# -- fixtures and helpers -------------------------------------------------------------------------

@pytest.fixture
def database_url(db_kind: str, tmp_path: Path) -> Iterator[str]:
    """A database that does not exist yet (SQLite) or exists and is empty (a new PostgreSQL database)."""
    if db_kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'committee' / 'chibo.db'}"
        return
    import asyncpg

    name = f"chibo_demo_{uuid.uuid4().hex[:10]}"
    admin = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _readable(url: str) -> str:
    """SQLite opened read-only, so that looking does not change what is compared."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url
    return f"{parsed.drivername}:///file:{quote(str(Path(parsed.database or '').resolve()))}?mode=ro&uri=true"


async def _dump(url: str) -> Dump:
    """Every table's rows, sorted: what "unchanged" means for a database."""
    engine = create_async_engine(_readable(url))
    try:
        async with engine.connect() as connection:
            metadata = MetaData()
            await connection.run_sync(metadata.reflect)
            return {
                table.name: sorted(tuple(repr(value) for value in row)
                                   for row in (await connection.execute(select_rows(table))).all())
                for table in metadata.sorted_tables
            }
    finally:
        await engine.dispose()


def dump(url: str) -> Dump:
    return asyncio.run(_dump(url))


def file_bytes(url: str) -> str | None:
    """The SQLite file's SHA-256 (None on PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    return hashlib.sha256(Path(parsed.database or "").read_bytes()).hexdigest()


async def fresh(url: str) -> Database:
    """The database with today's tables, stamped as migrated: what `chibo` finds on a committee's server.

    (Created from the models rather than by the migrations, so that a model whose migration is
    still being written does not stop these tests.)
    """
    db = Database(url)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    await asyncio.to_thread(command.stamp, alembic_config(url), "heads")
    return db


async def _ward(url: str) -> None:
    """A real-looking database: the seeded ward (named like the demo's committee, with console
    accounts an, binh… that the demo would claim, and Telegram and Zalo accounts), plus a reminder
    waiting in the outbox that only the real bot may send."""
    db = await fresh(url)
    try:
        await seed.ward(db)
        async with db.session() as session:
            member = (await session.exec(select(Member).where(Member.name_key == "vu van hai"))).one()
            await outbox.enqueue(session, [outbox.New("deadline:test", id_of(member), outbox.DEADLINE,
                                                       datetime(2026, 11, 1, 1, 0, tzinfo=UTC))],
                                 datetime(2026, 10, 31, tzinfo=UTC))
            await session.commit()
    finally:
        await db.dispose()


def ward_database(url: str) -> str:
    asyncio.run(_ward(url))
    return url


def chibo(folder: Path, url: str, *args: str, stdin: str = "/trogiup\n") -> subprocess.CompletedProcess[str]:
    """`chibo ARGS` in `folder` (no .env there), without messenger tokens, input piped."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN", "DEMO_DATABASE_URL")}
    env["DATABASE_URL"] = url
    env["LOG_LEVEL"] = "CRITICAL"  # a crash still prints its traceback; logged errors of other features do not
    script = Path(sys.executable).parent / "chibo"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    return subprocess.run([*command, *args], input=stdin, capture_output=True, text=True, cwd=folder, env=env,
                          timeout=TIMEOUT, check=False)


def demo_committees(url: str) -> list[str]:
    async def names() -> list[str]:
        holdings = await demo_guard.survey(url, demo_guard.demo_shape(DEMO_FILE))
        return list(holdings.organisations)
    return asyncio.run(names())


# -- chibo run on a database that holds another organisation --------------------------------------

def test_run_leaves_a_real_database_untouched_and_opens_the_demo_in_its_own_file(
    database_url: str, tmp_path: Path
) -> None:
    url = ward_database(database_url)
    before, bytes_before = dump(url), file_bytes(url)
    folder = tmp_path / "cwd"
    folder.mkdir()

    done = chibo(folder, url, "run", stdin="/trogiup\n/toi\n")

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # One line on stderr says where the demo went and why.
    note = [line for line in done.stderr.splitlines() if line.startswith("Dữ liệu mẫu mở trên")]
    assert len(note) == 1, done.stderr
    assert "data/demo.db" in note[0] and "Đảng bộ phường Bến Thành, Đảng bộ phường Sài Gòn" in note[0]
    assert "chibo chat --as <tên>" in note[0]
    # The demo works as before, as the demo's secretary an (not the ward's an).
    assert "Chưa cấu hình TELEGRAM_BOT_TOKEN" in done.stdout
    assert "bot -> an: Các lệnh đồng chí dùng được:" in done.stdout
    assert "Chức vụ: bí thư Chi bộ khu phố 1" in done.stdout
    # The real database: every row as it was (and on SQLite every byte of the file).
    assert dump(url) == before
    assert file_bytes(url) == bytes_before
    demo = folder / "data" / "demo.db"
    assert demo_committees(f"sqlite+aiosqlite:///{demo}") == ["Đảng bộ phường Bến Thành"]


def test_run_again_reuses_the_demo_file(database_url: str, tmp_path: Path) -> None:
    url = ward_database(database_url)
    before = dump(url)
    folder = tmp_path / "cwd"
    folder.mkdir()
    assert chibo(folder, url, "run").returncode == 0
    demo_url = f"sqlite+aiosqlite:///{folder / 'data' / 'demo.db'}"
    first = dump(demo_url)
    # A member of the demo speaks: the second run finds its demo as it was and adds nothing.
    again = chibo(folder, url, "run", "--as", "binh", stdin="/toi\n")
    assert again.returncode == 0, again.stderr
    assert "Họ và tên: Trần Thị Bình" in again.stdout
    after = dump(demo_url)
    for table in ("org_unit", "member", "role"):
        assert after[table] == first[table], table
    assert dump(url) == before


# -- chibo chat --as: the console on that database, explicitly ------------------------------------

def test_chat_on_a_real_database_adds_only_its_console_account(database_url: str, tmp_path: Path) -> None:
    url = ward_database(database_url)
    before = dump(url)

    done = chibo(tmp_path, url, "chat", "--as", "thu", stdin="/trogiup\n")

    assert done.returncode == 0, done.stderr
    assert "không nạp dữ liệu mẫu, không gửi nhắc việc" in done.stderr
    assert "Chưa cấu hình TELEGRAM_BOT_TOKEN" not in done.stdout  # no demo
    assert "bot -> thu: " in done.stdout
    after = dump(url)
    # Every table as it was (the outbox's waiting reminder included: no scheduler ran) ...
    assert {name: rows for name, rows in after.items() if name != "chat_account"} == \
        {name: rows for name, rows in before.items() if name != "chat_account"}
    # ... but one new row: the console account console:thu, a stranger (no member).
    added = [row for row in after["chat_account"] if row not in before["chat_account"]]
    assert len(after["chat_account"]) == len(before["chat_account"]) + 1
    assert len(added) == 1 and "'console'" in added[0] and "'thu'" in added[0] and "None" in added[0]
    assert not (tmp_path / "data").exists()  # and no demo file either


def test_chat_needs_an_account_and_a_valid_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/never.db")
    assert main(["chat"]) == 2
    assert "cần nêu tài khoản, ví dụ chibo chat --as an" in capsys.readouterr().err
    with pytest.raises(SystemExit) as leaving:
        main(["run", "--as", "Nguyễn An"])
    assert leaving.value.code == 2
    assert "«Nguyễn An» không dùng được" in capsys.readouterr().err
    assert not (tmp_path / "never.db").exists()


# -- an empty database, the demo itself, and a clash ---------------------------------------------

def test_run_on_an_empty_database_loads_the_demo_there(database_url: str, tmp_path: Path) -> None:
    done = chibo(tmp_path, database_url, "run", stdin="/trogiup\n/toi\n")

    assert done.returncode == 0, done.stderr
    assert "Dữ liệu mẫu mở trên" not in done.stderr  # nothing moved, nothing to say
    assert "Chưa cấu hình TELEGRAM_BOT_TOKEN" in done.stdout
    assert "Chức vụ: bí thư Chi bộ khu phố 1" in done.stdout
    assert demo_committees(database_url) == ["Đảng bộ phường Bến Thành"]
    assert not (tmp_path / "data").exists()  # the configured database was the demo's home
    # Next time it is recognised as the demo (marked), not as another organisation.
    again = chibo(tmp_path, database_url, "run", stdin="/toi\n")
    assert again.returncode == 0 and "Dữ liệu mẫu mở trên" not in again.stderr, again.stderr


def test_a_clash_of_console_accounts_is_a_message_not_a_crash(database_url: str, tmp_path: Path) -> None:
    """A demo loaded by an older chibo, in which console:an was then given to Trần Thị Bình."""
    lines = DEMO_FILE.read_text(encoding="utf-8").splitlines()
    swapped = [line.replace("console:an", "console:TMP").replace("console:binh", "console:an")
               .replace("console:TMP", "console:binh") for line in lines]
    clash = tmp_path / "clash.csv"
    clash.write_text("\n".join(swapped) + "\n", encoding="utf-8")

    async def load() -> None:
        db = await fresh(database_url)
        try:
            await import_file(db, clash)
        finally:
            await db.dispose()

    asyncio.run(load())
    before = dump(database_url)

    done = chibo(tmp_path, database_url, "run")

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "Không nạp được dữ liệu mẫu vào" in done.stderr and "chưa ghi gì vào đó" in done.stderr
    assert "Tài khoản console:an đã liên kết với đảng viên khác (Trần Thị Bình" in done.stderr
    assert dump(database_url) == before


# -- what counts as the demo (read without writing) -----------------------------------------------

async def test_what_counts_as_the_demo(database_url: str) -> None:
    shape = demo_guard.demo_shape(DEMO_FILE)
    nothing = await demo_guard.survey(database_url, shape)
    assert nothing.empty and nothing.demo_may_live_here
    if make_url(database_url).get_backend_name() == "sqlite":
        assert not Path(make_url(database_url).database or "").exists()  # looking created no file

    db = await fresh(database_url)
    try:
        await import_file(db, DEMO_FILE)  # as an older chibo did: not marked
        unmarked = await demo_guard.survey(database_url, shape)
        assert unmarked.demo and not unmarked.empty
        async with db.session() as session:
            committee = await org.find_committee(session, "Đảng bộ phường Bến Thành")
            assert committee is not None
            await org.create_cell(session, committee, "Chi bộ khu phố 5")  # tried out in the demo
            await session.commit()
        assert not (await demo_guard.survey(database_url, shape)).demo  # unmarked: no longer the file's shape
        async with db.session() as session:
            await demo_guard.mark_demo(session, shape)
            await session.commit()
        assert (await demo_guard.survey(database_url, shape)).demo  # marked: its new cell is still the demo
        async with db.session() as session:
            await org.create_committee(session, "Đảng bộ xã Tân Phú")
            await session.commit()
        other = await demo_guard.survey(database_url, shape)
        assert not other.demo and not other.demo_may_live_here
        assert other.organisations == ("Đảng bộ phường Bến Thành", "Đảng bộ xã Tân Phú")
    finally:
        await db.dispose()


async def test_a_messenger_account_alone_is_not_empty(database_url: str) -> None:
    from storage.tables import ChatAccount

    db = await fresh(database_url)
    try:
        async with db.session() as session:
            session.add(ChatAccount(platform="console", platform_user_id="an", chat_id="an"))
            await session.commit()
        shape = demo_guard.demo_shape(DEMO_FILE)
        assert (await demo_guard.survey(database_url, shape)).empty  # a console stranger: still empty
        async with db.session() as session:
            session.add(ChatAccount(platform="telegram", platform_user_id="42", chat_id="42"))
            await session.commit()
        used = await demo_guard.survey(database_url, shape)
        assert not used.empty and not used.demo_may_live_here and used.messenger_accounts == 1
    finally:
        await db.dispose()
