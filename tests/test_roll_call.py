"""A meeting without a roll call has no attendance; the paper roll call; local meeting numbers;
answers typed in words; the roll-call sheet's reasons; the migration that carries data forward."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from alembic import command
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlmodel import col, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain import meeting_rules as rules
from domain import roll_call as paper
from domain.errors import UserError
from domain.periods import YEAR, Period
from domain.text import yes_or_no
from domain.vocabulary import MeetingStatus, Presence
from handlers.attendance import COMMANDS as ATTENDANCE_COMMANDS
from schedules.driver import Scheduler
from storage import attendance, export_rows, org, outbox, summary
from storage.db import Database
from storage.meetings import Attendance, Meeting, meeting_in
from storage.migrate import alembic_config
from storage.outbox import OutboxMessage
from storage.schema import metadata
from storage.tables import OrgUnit
from storage.types import UtcDateTime, id_of
from tests.cell_setup import Cell, local, make_cell, say, tick
from tests.conftest import TZ


async def second_cell(db: Database, name: str, people: dict[str, str]) -> Cell:
    """Another cell of the committee `make_cell` made, its members without accounts."""
    async with db.session() as session:
        committee = (await session.exec(select(OrgUnit).where(OrgUnit.kind == "committee"))).one()
        cell, _, _ = await org.create_cell(session, committee, name)
        ids = {key: id_of(await org.add_member(session, id_of(cell), full))
               for key, full in people.items()}
        await session.commit()
    return Cell(id_of(cell), ids)

# -- the paper roll call's syntax -----------------------------------------------------------------------

E, A = Presence.EXCUSED, Presence.ABSENT


@pytest.mark.parametrize(("typed", "entries"), [
    ("giấy vắng có lý do: Bình (ốm), 4 (đi công tác); vắng không lý do: Em",
     [("Bình", E, "ốm"), ("4", E, "đi công tác"), ("Em", A, None)]),
    ("GIAY COLY: binh (om); KHONGLY: em", [("binh", E, "om"), ("em", A, None)]),
    ("vắng: Bình (ốm, nằm viện), Em", [("Bình", E, "ốm, nằm viện"), ("Em", A, None)]),  # mixed section
    ("giay coly: đ/c Bình - ốm\nkhongly: không", [("Bình", E, "ốm")]),  # "không": nobody
    ("trên giấy: xin vắng: Số 3 (ốm)", [("3", E, "ốm")]),
    ("giấy đủ", []), ("du", []), ("tất cả có mặt", []),
])
def test_paper_roll_calls_as_secretaries_type_them(typed: str, entries: list[tuple[str, str, str | None]]) -> None:
    assert paper.is_paper(typed)
    assert [(e.ref, e.status, e.reason) for e in paper.parse(typed)] == entries


@pytest.mark.parametrize("typed", ["Dung vangcoly", "5 comat", "Em vang", "Bình (ốm)"])
def test_a_one_member_correction_is_not_a_paper_roll_call(typed: str) -> None:
    assert not paper.is_paper(typed)


@pytest.mark.parametrize(("typed", "says"), [
    ("giay", "/diemdanh <số buổi> giấy vắng có lý do"),
    ("giay abc", "Không hiểu «abc»"),
    ("giay coly:", "chưa có tên nào"),
    ("giay khongly: Em (ngủ quên)", "ghi vắng không lý do nhưng có lý do «ngủ quên»"),
    ("giay coly: Bình (" + "x" * 501 + ")", "không quá 500 ký tự"),
    ("giay coly: (ốm)", "Thiếu tên"),
])
def test_paper_roll_calls_that_cannot_be_read_say_what_to_type(typed: str, says: str) -> None:
    with pytest.raises(UserError) as error:
        paper.parse(typed)
    assert says in str(error.value)


# -- the rules ------------------------------------------------------------------------------------------

def test_excused_more_than_three_times_in_a_row() -> None:
    assert not rules.excused_too_often([E, E, E])  # three is allowed
    assert rules.excused_too_often([E, E, E, E])
    assert not rules.excused_too_often([E, E, Presence.PRESENT, E, E])  # broken by a meeting attended
    assert rules.longest_run([E, A, E, E, E, E, Presence.PRESENT], E) == 4


def test_attendance_lines_never_contradict_the_verdict() -> None:
    lines = rules.attendance_lines(11, 13, [("Phạm Thị Dung", "ốm")], ["Hoàng Văn Em"], 1)
    assert lines[0] == "Có mặt: 11/13 = 84,6% (không tính 1 đồng chí miễn sinh hoạt)."  # 11/13 = 0,84615…
    assert lines[-1] == ("Chưa đạt yêu cầu về tham dự: tỷ lệ có mặt 84,6% chưa trên 85%; "
                         "có 1 đảng viên vắng không lý do.")
    exactly = rules.attendance_lines(17, 20, [], [], 0)  # 17/20 = 85% exactly: not above
    assert exactly[0] == "Có mặt: 17/20 = 85%." and "chưa trên 85%" in exactly[-1]
    above = rules.attendance_lines(12, 14, [], [], 0)  # 12/14 = 85,714…%
    assert above[0] == "Có mặt: 12/14 = 85,7%." and above[-1].startswith("Đạt yêu cầu")
    assert Fraction(12, 14) > rules.QUALITY_SHARE


@pytest.mark.parametrize(("typed", "meaning"), [
    ("có", True), ("Có ạ", True), ("CO", True), ("được", True), ("duoc", True), ("dự", True), ("du", True),
    ("tham du", True), ("Vâng", True), ("vâng ạ", True), ("ok!", True),
    ("không", False), ("khong", False), ("vắng", False), ("vang", False), ("xin vang", False),
    ("Xin vắng.", False), ("không dự", False),
    ("1", None), ("hôm nay", None), ("", None),
])
def test_yes_and_no_in_words(typed: str, meaning: bool | None) -> None:
    assert yes_or_no(typed) is meaning


# -- local meeting numbers -----------------------------------------------------------------------------

async def test_meeting_numbers_are_the_cells_own(db: Database, clock: ManualClock) -> None:
    first = await make_cell(db, clock.now())
    second = await second_cell(db, "Chi bộ hai", {"xuan": "Lý Văn Xuân"})
    async with db.session() as session:
        for cell, day in ((first, 5), (second, 6), (first, 7), (second, 8), (second, 9)):
            session.add(Meeting(cell_id=cell.id, starts_at=local(f"2026-12-{day:02d} 19:30")))
        await session.commit()
        found = [(m.cell_id, m.number) for m in (await session.exec(select(Meeting).order_by(col(Meeting.id)))).all()]
        assert found == [(first.id, 1), (second.id, 1), (first.id, 2), (second.id, 2), (second.id, 3)]
        third = await meeting_in(session, 3, [first.id, second.id])  # "buổi số 3": the second cell's
        assert third is not None and (third.cell_id, third.starts_at) == (second.id, local("2026-12-09 19:30"))
        assert await meeting_in(session, 2, [second.id, first.id]) != await meeting_in(session, 2, [first.id])
        assert await meeting_in(session, 4, [first.id, second.id]) is None


async def test_two_transactions_creating_meetings_in_one_cell_take_turns(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now())
    flushed = asyncio.Event()

    async def slow() -> None:
        async with db.session() as session:
            session.add(Meeting(cell_id=cell.id, starts_at=local("2026-12-05 19:30")))
            await session.flush()  # locks the cell's row (PostgreSQL), holds it a while
            flushed.set()
            await asyncio.sleep(0.3)
            await session.commit()

    async def fast() -> None:
        await flushed.wait()
        async with db.session() as session:
            session.add(Meeting(cell_id=cell.id, starts_at=local("2026-12-06 19:30")))
            await session.commit()

    await asyncio.wait_for(asyncio.gather(slow(), fast()), 10)
    async with db.session() as session:
        numbers = [(m.starts_at.day, m.number) for m in (await session.exec(
            select(Meeting).order_by(col(Meeting.starts_at)))).all()]
    assert numbers == [(5, 1), (6, 2)]


async def test_excused_warning_names_the_cells_numbers_not_internal_ids(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), {"an": "Nguyễn Văn An", "dung": "Phạm Thị Dung"}, exempt=())
    other = await second_cell(db, "Chi bộ hai", {"xuan": "Lý Văn Xuân"})
    channel = MemoryChannel()
    scheduler = Scheduler(db, {"memory": channel}, clock.now)
    async with db.session() as session:
        for month in (1, 2, 3, 4):  # the other cell's meetings take ids 1, 3, 5, 7; this cell's 2, 4, 6, 8
            for cell_id in (other.id, cell.id):
                meeting = Meeting(cell_id=cell_id, starts_at=local(f"2027-0{month}-05 19:30"),
                                  roll_call_at=local(f"2027-0{month}-05 19:30"))
                session.add(meeting)
                await session.flush()
                if cell_id == cell.id:
                    session.add(Attendance(meeting_id=id_of(meeting), member_id=cell.members["an"],
                                           status=Presence.PRESENT))
                    session.add(Attendance(meeting_id=id_of(meeting), member_id=cell.members["dung"],
                                           status=Presence.EXCUSED, reason="Ốm"))
        await session.commit()
    assert await scheduler.run_pass(local("2027-04-06 09:00"))
    (warning,) = [s for s in channel.sent if "Lưu ý" in s.reply.text]
    assert "4 buổi liền (buổi số 1, 2, 3, 4)" in warning.reply.text


# -- a meeting that ends without a roll call -----------------------------------------------------------

async def test_no_roll_call_is_not_everyone_absent(app: Chibo, db: Database, clock: ManualClock,
                                                   memory: MemoryChannel) -> None:
    cell = await make_cell(db, clock.now())
    await say(app, "an", "/lichhop 05/12/2026 19:30")
    await say(app, "dung", "/vang 1 Ốm")
    await tick(app, clock, "2026-12-05 21:00")
    memory.take()
    async with db.session() as session:
        meeting = (await session.exec(select(Meeting))).one()
        rows = (await session.exec(select(Attendance))).all()
        assert (meeting.status, meeting.roll_call_at) == (MeetingStatus.ENDED, None)
        assert [(r.member_id, r.rsvp, r.status) for r in rows] == [(cell.members["dung"], "excused", None)]
        assert await attendance.warnings_after(session, meeting, TZ) == []
    await tick(app, clock, "2026-12-06 07:59")
    assert memory.take() == []
    await tick(app, clock, "2026-12-06 08:00")  # 08:00 the next morning, to the secretary only
    (reminder,) = memory.take()
    assert reminder.to.chat_id == "an" and "buổi số 1), 19:30 Thứ Bảy, 05/12/2026, chưa điểm danh" in (
        reminder.reply.text)
    async with db.session() as session:
        kinds = {row.kind for row in (await session.exec(select(OutboxMessage))).all()}
    assert outbox.RESULT not in kinds


async def test_a_roll_call_entered_before_the_morning_cancels_its_reminder(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())
    await say(app, "an", "/lichhop 05/12/2026 19:30")
    await tick(app, clock, "2026-12-05 22:00")
    await say(app, "an", "/diemdanh 1 giấy đủ")
    assert "Có mặt: 5/5 = 100% (không tính 1 đồng chí miễn sinh hoạt)." in memory.sent[-1].reply.text  # 6 − 1 exempt
    memory.take()
    await tick(app, clock, "2026-12-06 09:00")
    assert memory.take() == []
    async with db.session() as session:
        (row,) = (await session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == outbox.ROLL_CALL_MISSING))).all()
    assert (row.status, row.last_error) == (outbox.DROPPED, "the roll call has been entered")


async def test_a_paper_roll_call_replaces_a_live_one_and_refuses_what_it_cannot_read(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    cell = await make_cell(db, clock.now(), {"an": "Nguyễn Văn An", "binh": "Trần Thị An", "cuong": "Lê Văn Cường",
                                             "dung": "Phạm Thị Dung", "hoa": "Đỗ Văn Hòa"})
    await say(app, "an", "/lichhop 05/12/2026 19:30")
    await say(app, "an", "/diemdanh 1 giấy đủ")
    assert "chưa bắt đầu" in memory.take()[-1].reply.text
    await tick(app, clock, "2026-12-05 19:30")
    await say(app, "an", "/diemdanh")  # the live roll call: an is present, the others will be absent
    await tick(app, clock, "2026-12-05 21:00")
    assert "Có mặt: 1/4 = 25%" in memory.take()[-1].reply.text
    for typed, says in (("/diemdanh 1 giay vang: An (om)", "Có nhiều đồng chí khớp «An»: 1. Nguyễn Văn An, "
                                                           "2. Trần Thị An"),
                        ("/diemdanh 1 giay vang: Hoa", "được miễn sinh hoạt"),
                        ("/diemdanh 1 giay vang: 9", "Không tìm thấy «9»"),
                        ("/diemdanh 1 giay coly: Dung (om); khongly: 4", "được kể tên hai lần"),
                        ("/diemdanh 7 giay du", "Không có buổi số 7")):
        await say(app, "an", typed)
        assert says in memory.take()[-1].reply.text, typed
    await say(app, "an", "/diemdanh 1 giấy vắng có lý do: Phạm Thị Dung (ốm); vắng không lý do: 2")
    reply = memory.take()[-1].reply.text
    assert "Có mặt: 2/4 = 50% (không tính 1 đồng chí miễn sinh hoạt)." in reply  # 5 − 1 exempt = 4; 4 − 2 = 2
    assert "Vắng có lý do: Phạm Thị Dung (ốm).\n  Vắng không lý do: Trần Thị An." in reply.replace("\n", "\n  ")
    assert "Lần nhập này thay cho điểm danh đã ghi trước đó." in reply
    async with db.session() as session:
        statuses = {r.member_id: (r.status, r.reason) for r in (await session.exec(select(Attendance))).all()}
    assert statuses == {cell.members["an"]: (Presence.PRESENT, None), cell.members["binh"]: (Presence.ABSENT, None),
                        cell.members["cuong"]: (Presence.PRESENT, None), cell.members["dung"]: (Presence.EXCUSED, "ốm")}


async def test_a_paper_roll_call_during_the_meeting_is_settled_at_its_end(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())
    await say(app, "an", "/lichhop 05/12/2026 19:30")
    await say(app, "dung", "/vang 1 Đi công tác")
    await tick(app, clock, "2026-12-05 20:30")
    await say(app, "an", "/diemdanh 1 giay coly: Dung")  # her reason is the one she gave
    assert "Có mặt: 4/5 = 80%" in memory.take()[-1].reply.text  # 5 expected − Dung = 4
    await tick(app, clock, "2026-12-05 21:00")
    (result,) = [s for s in memory.take() if s.reply.text.startswith("Kết quả điểm danh")]
    assert "Có mặt: 4/5 = 80%" in result.reply.text and "Phạm Thị Dung (Đi công tác)" in result.reply.text


# -- typed answers, exempt members ----------------------------------------------------------------------

async def test_an_invitation_answered_in_words(app: Chibo, db: Database, clock: ManualClock,
                                               memory: MemoryChannel) -> None:
    cell = await make_cell(db, clock.now())
    await say(app, "an", "/lichhop 05/12/2026 19:30")
    await tick(app, clock, "2026-12-02 08:00")
    memory.take()
    await say(app, "binh", "Được ạ")
    await say(app, "cuong", "vang")
    assert memory.take()[-1].reply.text.startswith("Đồng chí vui lòng gõ lý do xin vắng buổi số 1")
    await say(app, "cuong", "Ốm")
    await say(app, "dung", "Vâng")
    await say(app, "em", "hôm nay bận")  # neither yes nor no: not understood, nothing recorded
    async with db.session() as session:
        rsvps = {r.member_id: (r.rsvp, r.reason) for r in (await session.exec(select(Attendance))).all()}
    assert rsvps == {cell.members["binh"]: ("yes", None), cell.members["cuong"]: ("excused", "Ốm"),
                     cell.members["dung"]: ("yes", None)}


def test_exempt_members_are_not_offered_the_meeting_answers() -> None:
    offered = {command.name: command.for_exempt for command in ATTENDANCE_COMMANDS}
    assert offered == {"thamdu": False, "vang": False, "dukien": True, "diemdanh": True, "comat": False}
    details = next(c.details for c in ATTENDANCE_COMMANDS if c.name == "diemdanh")
    assert "/diemdanh 3 giay coly: Binh (om), 4 (cong tac); khongly: Em" in details


async def test_exempt_members_are_told_politely(app: Chibo, db: Database, clock: ManualClock,
                                                memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())
    for typed in ("/thamdu", "/vang 1 Ốm", "/comat 1234"):
        await say(app, "hoa", typed)
        assert "Đồng chí được miễn sinh hoạt nên không cần" in memory.take()[-1].reply.text


# -- summary figures --------------------------------------------------------------------------------------

async def test_the_summary_counts_only_meetings_with_a_roll_call(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), {"an": "Nguyễn Văn An", "dung": "Phạm Thị Dung", "em": "Hoàng Văn Em",
                                             "hoa": "Đỗ Văn Hòa"})
    an, dung, em, hoa = (cell.members[k] for k in ("an", "dung", "em", "hoa"))
    plan = [  # (month, roll call?, dung, em): Dung excused at every roll call, Em absent three months
        (1, True, E, A), (2, True, E, A), (3, False, None, None), (4, True, E, A), (5, True, E, Presence.PRESENT)]
    async with db.session() as session:
        for month, called, dung_status, em_status in plan:
            start = local(f"2027-0{month}-05 19:30")
            meeting = Meeting(cell_id=cell.id, starts_at=start, status=MeetingStatus.ENDED, ended_at=start,
                              roll_call_at=start if called else None)
            session.add(meeting)
            await session.flush()
            session.add(Attendance(meeting_id=id_of(meeting), member_id=an, status=Presence.PRESENT if called else None,
                                   rsvp="yes"))
            session.add(Attendance(meeting_id=id_of(meeting), member_id=dung, status=dung_status))
            session.add(Attendance(meeting_id=id_of(meeting), member_id=em, status=em_status))
        await session.commit()
        (tally,) = await summary.tallies(session, [(cell.id, "Chi bộ thử")], Period(YEAR, 2027), date(2027, 6, 1), TZ)
        absences = await summary.absences(session, [cell.id], 2027, TZ)
    assert [m.starts_at.month for m in tally.meetings] == [1, 2, 4, 5]
    assert [(m.starts_at.month, m.roll_call) for m in tally.without_roll_call] == [(3, False)]
    # 4 meetings with a roll call × 3 expected (4 − Hòa exempt) = 12; present: An 4 + Em 1 = 5
    assert (tally.present, tally.expected, tally.good_meetings) == (5, 12, 0)
    assert date(2027, 3, 1) not in tally.months
    assert tally.long_absent == {em: [1, 2, 4]} and absences == {cell.id: {em: [1, 2, 4]}}
    assert tally.long_excused == {dung: 4}  # months 1, 2, 4, 5: the meeting without roll call breaks nothing
    assert hoa not in tally.long_excused
    total = summary.combine("Đảng bộ", [tally, tally])
    assert len(total.without_roll_call) == 2 and total.long_excused == {dung: 4}


async def test_the_roll_call_sheet_shows_a_reason_only_beside_an_excuse(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), {"an": "Nguyễn Văn An", "dung": "Phạm Thị Dung"}, exempt=())
    async with db.session() as session:
        start = local("2026-11-05 19:30")
        meeting = Meeting(cell_id=cell.id, starts_at=start, status=MeetingStatus.ENDED, roll_call_at=start)
        session.add(meeting)
        await session.flush()
        # An excused himself, then came after all; Dung stayed away with her reason.
        session.add(Attendance(meeting_id=id_of(meeting), member_id=cell.members["an"], rsvp="excused",
                               reason="Bận việc nhà", status=Presence.PRESENT))
        session.add(Attendance(meeting_id=id_of(meeting), member_id=cell.members["dung"], rsvp="excused",
                               reason="Ốm", status=Presence.EXCUSED))
        await session.commit()
        rows = (await session.execute(export_rows.attendance([cell.id], Period(YEAR, 2026), TZ))).all()
    assert [(row.full_name, row.status, row.reason) for row in rows] == [
        ("Nguyễn Văn An", "present", None), ("Phạm Thị Dung", "excused", "Ốm")]


# -- the migration carries existing data forward ---------------------------------------------------------

def _upgrade_to(connection: Connection, revision: str) -> None:
    config = alembic_config("sqlite://")  # the URL is unused: the connection is handed over
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _old_data(connection: Connection) -> None:
    """Rows as 0004 stored them: two cells, meetings with and without anyone present."""
    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 10, day, hour, minute, tzinfo=UTC)

    when = [bindparam(name, type_=UtcDateTime()) for name in ("starts", "ended", "now", "checked")]
    now = at(31, 0)
    connection.execute(text("INSERT INTO org_unit (id, kind, name, name_key, settings, created_at) VALUES "
                            "(1, 'cell', 'A', 'a', '{}', :now), (2, 'cell', 'B', 'b', '{}', :now)")
                       .bindparams(when[2]), {"now": now})
    connection.execute(text("INSERT INTO member (id, cell_id, full_name, name_key, status, active, created_at) "
                            "VALUES (1, 1, 'X', 'x', 'official', true, :now), (2, 2, 'Y', 'y', 'official', true, :now)")
                       .bindparams(when[2]), {"now": now})
    meetings = [  # id, cell, status, ended_at: 1 and 4 had a roll call; 2 ended without; 3 under way; 5 coming
        (1, 1, "ended", at(1, 14)), (2, 2, "ended", at(2, 14)), (3, 1, "scheduled", None), (4, 2, "ended", None),
        (5, 1, "scheduled", None)]
    for meeting_id, cell, status, ended in meetings:
        connection.execute(text(
            "INSERT INTO meeting (id, cell_id, kind, starts_at, duration_minutes, status, ended_at, created_at, "
            "updated_at) VALUES (:id, :cell, 'regular', :starts, 90, :status, :ended, :now, :now)"
        ).bindparams(*when[:3]),
            {"id": meeting_id, "cell": cell, "starts": at(meeting_id, 12, 30), "status": status, "ended": ended,
             "now": now})
    rows = [(1, 1, "present", None), (2, 2, "absent", None), (3, 1, "present", at(3, 12, 40)),
            (4, 2, "present", None), (5, 1, None, None)]
    for meeting_id, member, presence, checked in rows:
        connection.execute(text("INSERT INTO attendance (meeting_id, member_id, status, checked_in_at, updated_at) "
                                "VALUES (:m, :p, :s, :checked, :now)").bindparams(when[2], when[3]),
                           {"m": meeting_id, "p": member, "s": presence, "checked": checked, "now": now})


async def test_the_migration_numbers_meetings_and_clears_roll_calls_never_taken(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(lambda c: metadata.drop_all(c))
        await connection.run_sync(_upgrade_to, "0004_merge")
        await connection.run_sync(_old_data)
        await connection.run_sync(_upgrade_to, "0005_roll_call")
    async with db.session() as session:
        meetings = {m.id: m for m in (await session.exec(select(Meeting))).all()}
        statuses = {r.meeting_id: r.status for r in (await session.exec(select(Attendance))).all()}
    assert {i: (m.cell_id, m.number) for i, m in meetings.items()} == {
        1: (1, 1), 2: (2, 1), 3: (1, 2), 4: (2, 2), 5: (1, 3)}
    assert meetings[1].roll_call_at == datetime(2026, 10, 1, 14, tzinfo=UTC)  # ended with someone present: its end
    assert meetings[4].roll_call_at == datetime(2026, 10, 4, 12, 30, tzinfo=UTC)  # no end kept: its start
    assert meetings[3].roll_call_at == datetime(2026, 10, 3, 12, 40, tzinfo=UTC)  # under way: the first check-in
    assert meetings[2].roll_call_at is None and meetings[5].roll_call_at is None
    assert statuses == {1: "present", 2: None, 3: "present", 4: "present", 5: None}  # "everyone absent" undone
