"""The fast paths of issue 12 keep their promises: the lane writes inside the session's
transaction (on both databases), a handled inbox row goes in the handling transaction, and
deliveries arriving together are stored with one commit."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.intake import Intake
from storage import inbox, update_marks
from storage.db import Database
from storage.lane import Sql, lane
from storage.tables import ProcessedUpdate
from storage.types import table_of
from tests.test_intake import QUICK, T0, message, until

_MARKS = table_of(ProcessedUpdate)


async def _marks(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(_MARKS))).scalar_one())


async def test_the_lanes_writes_roll_back_with_the_session(db: Database) -> None:
    """On PostgreSQL the lane begins SQLAlchemy's transaction itself: were it to write outside
    it, the mark would be autocommitted and survive the rollback."""
    async with db.session() as session:
        assert await update_marks.mark(session, "memory", "1", T0)
        await session.rollback()
    assert await _marks(db) == 0
    async with db.session() as session:
        assert await update_marks.mark(session, "memory", "1", T0)
        await session.commit()
    assert await _marks(db) == 1


async def test_a_mark_is_refused_once_and_renewed_when_older_than_its_retention(db: Database) -> None:
    """The lane writes times as SQLAlchemy does on SQLite (text compared as text): the renewal's
    comparison with a mark stored by the lane must agree with the clock."""
    async with db.session() as session:
        assert await update_marks.mark(session, "memory", "7", T0)
        await session.commit()
    async with db.session() as session:
        assert not await update_marks.mark(session, "memory", "7", T0 + timedelta(days=1))
        assert await update_marks.mark(session, "memory", "7", T0 + timedelta(days=4))
        await session.commit()
    async with db.session() as session:
        at = (await session.execute(select(_MARKS.c.at))).scalar_one()
    assert at == T0 + timedelta(days=4)


async def test_the_lane_and_the_session_see_one_transaction(db: Database) -> None:
    """A row the lane wrote is visible to the session's own statements before the commit."""
    async with db.session() as session:
        road = await lane(session)
        assert await road.run(Sql("INSERT INTO processed_update (platform, update_key, at) VALUES (?, ?, ?)"),
                              "memory", "9", T0) == 1
        assert (await session.execute(select(func.count()).select_from(_MARKS))).scalar_one() == 1
        await session.rollback()
    assert await _marks(db) == 0


async def test_a_handled_rows_delete_commits_with_the_handling(
    app: Chibo, memory: MemoryChannel, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No transaction of its own for the delete: the worker never calls `inbox.done` when the
    router's transaction took the row with it."""
    separate: list[int] = []
    done = inbox.done

    async def spy(db: Database, row_id: int) -> None:
        separate.append(row_id)
        await done(db, row_id)

    monkeypatch.setattr(inbox, "done", spy)
    intake = Intake(app, QUICK)
    for number in range(3):
        await intake.accept(message(f"chat{number}", "/toi", str(number)))
    await intake.start()
    await until(lambda: intake.handled == 3)
    await intake.drain()
    assert separate == []
    assert await inbox.waiting(app.db) == []
    assert len(memory.sent) == 3


async def test_a_duplicate_delivery_is_forgotten_in_the_same_commit_as_its_refusal(
    app: Chibo, memory: MemoryChannel, monkeypatch: pytest.MonkeyPatch,
) -> None:
    separate: list[int] = []
    monkeypatch.setattr(inbox, "done", lambda db, row_id: separate.append(row_id))
    await app.handle(message("an", "/toi", "5"))  # handled once already (say, by a process that died)
    memory.take()
    intake = Intake(app, QUICK)
    await intake.accept(message("an", "/toi", "5"))
    await intake.start()
    await until(lambda: intake.handled == 1)
    await intake.drain()
    assert separate == [] and memory.sent == []
    assert await inbox.waiting(app.db) == []


async def test_deliveries_arriving_together_share_one_commit(db: Database) -> None:
    commits: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda _connection: commits.append(1))
    stored = await asyncio.gather(*(inbox.store(db, message("an", "x", key), T0) for key in "abacd"))
    assert stored[1] is not None and stored[2] is None  # "a" again in the same group: already stored
    assert len({s for s in stored if s is not None}) == 4
    assert len(commits) < 5
    assert await inbox.store(db, message("an", "x", "a"), T0) is None  # and in a later one
    assert [row.update_key for row in await inbox.waiting(db)] == ["a", "b", "c", "d"]


async def test_a_failed_group_fails_every_delivery_in_it(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each edge answers 503 (the platform delivers again): none is told "kept" for a row not kept."""
    def refuse(*_args: object) -> None:
        raise ConnectionError("database gone")

    event.listen(db.engine.sync_engine, "before_cursor_execute", refuse)
    results = await asyncio.gather(*(inbox.store(db, message("an", "x", key), T0) for key in "abc"),
                                   return_exceptions=True)
    event.remove(db.engine.sync_engine, "before_cursor_execute", refuse)
    assert all(isinstance(r, Exception) for r in results)
    assert await inbox.waiting(db) == []


async def test_a_short_session_runs_on_the_loops_thread_and_others_do_not(db: Database, db_kind: str) -> None:
    if db_kind != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has no thread to leave")
    # Where sqlite3 runs, recorded through a function SQLite calls.
    seen: list[int] = []

    def where_am_i() -> int:
        seen.append(threading.get_ident())
        return 1

    for short in (True, False):
        async with db.session(short=short) as session:
            driver: Any = (await (await session.connection()).get_raw_connection()).driver_connection
            await driver.create_function("where_am_i", 0, where_am_i)
            await session.execute(select(func.where_am_i()))
    assert seen[0] == threading.get_ident() and seen[1] != threading.get_ident()


def test_now_is_aware() -> None:
    """The lane refuses a naive time, as UtcDateTime does: whose clock would it be?"""
    from storage.lane import _sqlite_value

    with pytest.raises(ValueError):
        _sqlite_value(datetime(2026, 1, 1))
