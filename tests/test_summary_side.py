"""A committee's reads side by side (storage/summary.py, `_side_by_side`): the same tallies as
one read after another, each lane on a connection of its own, a failing lane's error raised as
itself, and one committee at a time (the next reads in turn, never waiting for connections); and
where the reads run on SQLite: a cell's on the loop's thread, a committee's on the lanes' threads."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from domain.messages import Incoming
from domain.periods import YEAR, Period
from storage import org, summary
from storage.db import Database
from storage.tables import OrgUnit
from storage.types import id_of, table_of
from tests import seed
from tests.conftest import TZ

TODAY = date(2026, 11, 20)
PERIOD = Period(YEAR, 2026)


@pytest.fixture
def side_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the committees read side by side, and the connections their lanes used."""
    runs: list[int] = []
    real = summary._side_by_side

    async def counted(session: Any, ids: list[int], lanes: list[list[summary.Section]]) -> None:
        runs.append(len(lanes))
        await real(session, ids, lanes)

    monkeypatch.setattr(summary, "_side_by_side", counted)
    yield runs


async def _ward(db: Database) -> dict[str, dict[str, Any]]:
    async with db.session() as session:
        committee = await org.find_committee(session, "Đảng bộ phường Bến Thành")
        assert committee is not None and committee.id is not None
        cells = [(id_of(c), c.name) for c in await org.cells_of(session, committee.id)]
        found = await summary.tallies(session, cells, PERIOD, TODAY, TZ)
    return {tally.name: dataclasses.asdict(tally) for tally in found}


async def test_side_by_side_equals_one_after_another(db: Database, side_runs: list[int]) -> None:
    await seed.ward(db)
    beside = await _ward(db)
    assert side_runs == [4]  # four lanes, each on its own connection
    summary._SIDE_BY_SIDE.count = 0  # as while another committee reads: this one reads in turn
    try:
        in_turn = await _ward(db)
    finally:
        summary._SIDE_BY_SIDE.count = 1
    assert side_runs == [4]  # not side by side this time
    assert in_turn == beside
    kp1 = beside["Chi bộ khu phố 1"]  # a figure of each lane, against tests/test_summary.py's hand count
    assert kp1["statuses"] == {"official": 7, "probationary": 3, "exempt": 1}  # members' lane
    # absences' lane: Hải absent 05/09, 05/10, 15/11 (three months); Cường 05/10, 20/10, 15/11 (two)
    assert list(kp1["long_absent"].values()) == [[9, 10, 11]]
    # ratings' lane: the 8 self-assessments, all of members rated in 2026 (admitted by 30/06/2026:
    # Hoa 15/12/2025 and Khoa 10/03/2026 too): Bình excellent, Hải complete, the other six good
    assert kp1["ratings"]["self"] == {"excellent": 1, "good": 6, "complete": 1}
    # reports' lane: Bình study + assigned, Cường residence, Dung study, Em mass_help, Giang study,
    # Hoa other, Khoa study (November), Hải study (31/10): study 5, the other kinds 1 each
    assert kp1["reports"] == {"study": 5, "assigned": 1, "residence": 1, "mass_help": 1, "other": 1}
    # meetings' lane: ended with a roll call 05/09, 05/10, 20/10, 05/11, 15/11 (10/11 cancelled, 25/11 ahead)
    assert len(kp1["meetings"]) == 5


async def test_a_failing_lane_raises_its_own_error(db: Database, side_runs: list[int],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    await seed.ward(db)

    async def broken(*_args: Any) -> None:
        raise LookupError("ratings unreadable")

    monkeypatch.setattr(summary, "_ratings", broken)
    with pytest.raises(LookupError, match="ratings unreadable"):
        await _ward(db)
    assert side_runs == [4] and summary._SIDE_BY_SIDE.count == 1  # the slot is free again


async def test_an_in_memory_sqlite_database_reads_in_turn(tmp_path: Path) -> None:
    memory = Database("sqlite+aiosqlite:///:memory:")
    try:
        async with memory.session() as session:
            assert not summary._pooled(session)  # one connection for every session: no lanes there
    finally:
        await memory.dispose()
    file = Database(f"sqlite+aiosqlite:///{tmp_path / 'side.db'}")
    try:
        async with file.session() as session:
            assert summary._pooled(session)
    finally:
        await file.dispose()


@pytest.fixture
def threads_of_statements(db: Database, db_kind: str) -> Iterator[list[int]]:
    """The thread each SQLite statement ran on, from SQLite's own trace (connections made from now)."""
    if db_kind != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has no thread to leave")
    seen: list[int] = []

    def traced(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection._connection._conn.set_trace_callback(lambda _sql: seen.append(threading.get_ident()))

    event.listen(db.engine.sync_engine, "connect", traced)
    yield seen
    event.remove(db.engine.sync_engine, "connect", traced)


async def test_a_cells_summary_reads_on_the_loops_thread_and_a_committees_does_not(
        db: Database, app: Chibo, threads_of_statements: list[int]) -> None:
    """One cell's `/tonghop` reads only short things (who asks, the cell's rows by index): every
    statement of the message on the loop's thread, no hand-offs. A committee's grouped reads may take
    long: on aiosqlite's threads (its four lanes side by side), the loop free meanwhile."""
    await seed.ward(db)
    await db.engine.dispose()  # the next connections are traced
    memory = MemoryChannel(platform="console")  # the ward's accounts are console ones
    app.add_channel(memory)
    loop = threading.get_ident()
    await app.handle(Incoming("console", "binh", "/tonghop nam 2026", chat_id="binh", update_key="1"))
    assert memory.take()[0].reply.text.startswith("Tổng hợp Chi bộ khu phố 1")
    assert len(threads_of_statements) > 10 and set(threads_of_statements) == {loop}
    threads_of_statements.clear()
    await app.handle(Incoming("console", "an", "/tonghop nam 2026", chat_id="an", update_key="2"))
    assert memory.take()[0].reply.text.startswith("Tổng hợp Đảng bộ phường Bến Thành")
    away = [thread for thread in threads_of_statements if thread != loop]
    assert len(away) >= 10 and len(set(away)) >= 4  # the grouped reads, on the four lanes' threads at least
    threads_of_statements.clear()
    async with db.session() as session:  # the cell's message is over: a later unit's reads leave the loop
        await session.execute(select(func.count()).select_from(table_of(OrgUnit)))
    assert threads_of_statements and loop not in threads_of_statements
