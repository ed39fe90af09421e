"""The kept tallies (storage/tallies.py) always equal the same counts made afresh from the rows.

A realistic run of a cell's month through the bot itself: reports sent, sent twice, deleted; a
meeting with answers, a live roll call, its end, a correction and a paper roll call replacing it;
a meeting that ends without a roll call and gets a paper one the next morning; then rows written
as ORM objects (seeded data, a report moved to another month, an attendance row deleted). After
every step the kept tallies are compared with the counts rebuilt from scratch, and at the end
with the figures worked out by hand.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.periods import MONTH, QUARTER, YEAR, Period
from domain.vocabulary import Presence
from storage import summary, tallies
from storage.db import Database
from storage.meetings import Attendance, Meeting
from storage.reports import Report
from storage.types import id_of
from tests.cell_setup import make_cell, say, tick
from tests.conftest import TZ


async def _same(db: Database) -> tallies.Figures:
    """The kept tallies, asserted equal to the rebuilt ones."""
    async with db.session() as session:
        kept = await tallies.kept(session)
        rebuilt = await tallies.rebuilt(session)
    assert kept == rebuilt
    return kept


async def _meeting(db: Database, number: int) -> Meeting:
    async with db.session() as session:
        return (await session.exec(select(Meeting).where(Meeting.number == number))).one()


async def test_kept_tallies_equal_the_rows_after_every_kind_of_write(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    cell = await make_cell(db, clock.now())  # 20/11/2026; an (secretary), binh, cuong, dung, em; hoa exempt
    # -- reports: sent, the same one twice, one deleted
    await say(app, "binh", "/baocao hoc tap Học Nghị quyết Đại hội XIV")
    await say(app, "binh", "/baocao hoc tap Học Nghị quyết Đại hội XIV")  # a double tap: stored once
    await say(app, "cuong", "/baocao CƯ TRÚ Tổng vệ sinh")
    await say(app, "cuong", "/baocao Nhiệm vụ 18/11 Trực bầu cử")
    await say(app, "dung", "/baocao khac Trực an ninh")
    await _same(db)
    await say(app, "dung", "/xoabaocao 1")
    assert "Đã xóa" in memory.take()[-1].reply.text
    await say(app, "dung", "/xoabaocao 1")  # already gone: nothing more uncounted
    kept = await _same(db)
    assert kept[1] == {(cell.id, date(2026, 11, 1), "study"): 1, (cell.id, date(2026, 11, 1), "residence"): 1,
                       (cell.id, date(2026, 11, 1), "assigned"): 1}

    # -- meeting 1: answers, a live roll call, its end (the others settled), a correction, a paper roll call
    await say(app, "an", "/lichhop 05/12/2026 19:30")
    await say(app, "binh", "/thamdu")
    await say(app, "dung", "/vang 1 Ốm")
    await _same(db)  # answers carry no status: nothing counted yet
    await tick(app, clock, "2026-12-05 19:30")
    await say(app, "an", "/diemdanh")
    code = (await _meeting(db, 1)).checkin_code
    await say(app, "binh", f"/comat {code}")
    await say(app, "cuong", f"/comat {code}")
    await say(app, "cuong", f"/comat {code}")  # again: still one row, one count
    await _same(db)
    await tick(app, clock, "2026-12-05 21:00")  # ends: an, binh, cuong present; dung excused; em absent
    first = id_of(await _meeting(db, 1))
    assert (await _same(db))[0][first] == (3, 1, 1)
    await say(app, "an", "/diemdanh 1 Em vangcoly")  # a correction after the end
    assert (await _same(db))[0][first] == (3, 2, 0)
    await say(app, "an", "/diemdanh 1 giấy vắng có lý do: Phạm Thị Dung (ốm); vắng không lý do: Cường")
    assert (await _same(db))[0][first] == (3, 1, 1)  # an, binh, em present; dung excused; cuong absent

    # -- meeting 2 ends without a roll call (no status for anyone), then a paper one the next morning
    await say(app, "an", "/lichhop 12/12/2026 19:30")
    await say(app, "em", "/vang 2 Đi công tác")
    await tick(app, clock, "2026-12-12 21:00")
    second = id_of(await _meeting(db, 2))
    assert second not in (await _same(db))[0]
    await tick(app, clock, "2026-12-13 08:00")
    await say(app, "an", "/diemdanh 2 giay coly: Em")
    assert (await _same(db))[0][second] == (4, 1, 0)

    # -- rows written as ORM objects: seeded, a report moved to another month and kind, a row deleted
    async with db.session() as session:
        session.add(Report(member_id=cell.members["em"], cell_id=cell.id, kind="study", text="Seeded",
                           done_on=date(2026, 12, 3)))
        session.add(Attendance(meeting_id=second, member_id=cell.members["hoa"], status=Presence.ABSENT))
        await session.commit()
    await _same(db)
    async with db.session() as session:
        moved = (await session.exec(select(Report).where(Report.kind == "residence"))).one()
        moved.done_on, moved.kind = date(2026, 9, 30), "mass_help"
        session.add(moved)
        gone = (await session.exec(select(Attendance).where(
            Attendance.meeting_id == first, Attendance.member_id == cell.members["cuong"]))).one()
        await session.delete(gone)
        await session.commit()
    kept = await _same(db)
    assert kept[0] == {first: (3, 1, 0), second: (4, 1, 1)}
    assert kept[1] == {(cell.id, date(2026, 11, 1), "study"): 1, (cell.id, date(2026, 11, 1), "assigned"): 1,
                       (cell.id, date(2026, 9, 1), "mass_help"): 1, (cell.id, date(2026, 12, 1), "study"): 1}

    # The summary reads them: hòa (exempt) is still taken off meeting 2, the periods are whole months.
    async with db.session() as session:
        today = date(2026, 12, 20)
        (december,) = await summary.tallies(session, [(cell.id, "Chi bộ thử")], Period(MONTH, 2026, 12), today, TZ)
        (autumn,) = await summary.tallies(session, [(cell.id, "Chi bộ thử")], Period(QUARTER, 2026, 4), today, TZ)
        (year,) = await summary.tallies(session, [(cell.id, "Chi bộ thử")], Period(YEAR, 2026), today, TZ)
    assert [(m.present, m.excused, m.absent) for m in december.meetings] == [(3, 1, 0), (4, 1, 0)]
    assert (december.reports, autumn.reports) == ({"study": 1}, {"study": 2, "assigned": 1})
    assert year.reports == {"study": 2, "assigned": 1, "mass_help": 1}


async def test_a_report_of_a_cell_counts_for_the_cell_it_was_made_in(app: Chibo, db: Database,
                                                                     clock: ManualClock) -> None:
    """The tally keys a report by the cell copied onto it, as the summary always counted it."""
    cell = await make_cell(db, clock.now())
    await say(app, "binh", "/baocao khac Trực an ninh")
    async with db.session() as session:
        report = (await session.exec(select(Report).order_by(col(Report.id)))).one()
        (found,) = await summary.tallies(session, [(cell.id, "Chi bộ thử")], Period(MONTH, 2026, 11),
                                         date(2026, 11, 20), TZ)
    assert report.cell_id == cell.id and found.reports == {"other": 1}
    await _same(db)
