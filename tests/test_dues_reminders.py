"""Dues reminders (issue 14): on the cell's day at 08:00, each member with arrears is reminded
privately, once a month; nothing when the setting is off, on other days, for exempt months or
when the arrears were paid meanwhile. And the /caidat commands that set the day and the
committee's two dues figures."""

from __future__ import annotations

from fractions import Fraction

from sqlmodel import col, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.vocabulary import Position
from schedules.driver import Scheduler
from schedules.planner import Planner
from storage import dues as book
from storage import org, outbox, unit_settings
from storage.db import Database
from storage.outbox import OutboxMessage
from storage.types import id_of
from tests.cell_setup import Cell, local, make_cell, say, tick
from tests.conftest import TZ

PEOPLE = {"an": "Nguyễn Văn An", "binh": "Trần Thị Bình", "cuong": "Lê Văn Cường", "dung": "Phạm Thị Dung",
          "em": "Hoàng Văn Em"}
REMINDER = "Nhắc đóng đảng phí"
BINH = ("Nhắc đóng đảng phí: đồng chí còn nợ đảng phí tháng 10, 11/2026, tổng 90.000đ. Đồng chí nộp cho bí thư "
        "hoặc thủ quỹ chi bộ. Gõ /dangphi toi để xem chi tiết.")
CUONG = ("Nhắc đóng đảng phí: đồng chí còn nợ đảng phí tháng 11/2026, tổng 15.000đ. Đồng chí nộp cho bí thư "
         "hoặc thủ quỹ chi bộ. Gõ /dangphi toi để xem chi tiết.")


async def talk(app: Chibo, memory: MemoryChannel, who: str, text: str) -> str:
    memory.take()
    await say(app, who, text)
    return "\n".join(sent.reply.text for sent in memory.take())


async def book_of_november(app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock) -> Cell:
    """On 20/11/2026 the secretary declares and records; on 5/12 the ended months are 9–11/2026:
    - Bình owes 45.000đ from 9/2026 and paid 45.000đ (September): 10 and 11 left, 2 × 45.000 = 90.000đ;
    - Cường owes 30.000đ from 10/2026 and paid 45.000đ: October, and 15.000đ of November;
      left 30.000 − 15.000 = 15.000đ of November;
    - Dung owes 50.000đ from 9/2026, paid September, and is exempt (50 years) from 10/2026: without
      the exemption she would owe 100.000đ; exempt months owe nothing;
    - Em owes 20.000đ from 11/2026 and paid it; An has no amount declared."""
    cell = await make_cell(db, clock.now(), PEOPLE, exempt=())
    for line in ("/dangphi muc Binh 45000 tu 9/2026", "/dangphi muc Cuong 30000 tu 10/2026",
                 "/dangphi muc Dung 50000 tu 9/2026", "/dangphi muc Dung mien 50 nam tu 10/2026",
                 "/dangphi muc Em 20000 tu 11/2026"):
        assert "Đã ghi mức" in await talk(app, memory, "an", line), line
    assert "Đã ghi 4 khoản" in await talk(app, memory, "an",
                                          "/dangphi thu Binh 45000; Cuong 45000; Dung 50000; Em 20000")
    return cell


async def dues_rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        return list((await session.exec(select(OutboxMessage).where(OutboxMessage.kind == outbox.DUES)
                                        .order_by(col(OutboxMessage.id)))).all())


def reminded(memory: MemoryChannel) -> list[tuple[str, str]]:
    """The reminders sent, by chat: those of one due time go in any order."""
    return sorted((sent.to.chat_id, sent.reply.text) for sent in memory.take() if REMINDER in sent.reply.text)


async def set_day(db: Database, cell: Cell, day: int) -> None:
    async with db.session() as session:
        await unit_settings.put(session, cell.id, unit_settings.DUES_REMINDER_DAY, day)
        await session.commit()


async def test_members_with_arrears_are_reminded_on_the_day_at_8_once(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    cell = await book_of_november(app, memory, db, clock)
    await set_day(db, cell, 5)
    await tick(app, clock, "2026-12-04 23:00")
    assert await dues_rows(db) == []  # not on another day
    await tick(app, clock, "2026-12-05 07:59")
    assert reminded(memory) == []
    await tick(app, clock, "2026-12-05 08:00")
    assert reminded(memory) == [("binh", BINH), ("cuong", CUONG)]  # privately, each their own
    rows = await dues_rows(db)
    assert [(row.key, row.due_at, row.status) for row in rows] == [
        (f"dues:2026-12:{cell.members['binh']}", local("2026-12-05 08:00"), outbox.SENT),
        (f"dues:2026-12:{cell.members['cuong']}", local("2026-12-05 08:00"), outbox.SENT)]
    # Later passes the same day, and a restart (a new scheduler, nothing remembered), add nothing.
    await tick(app, clock, "2026-12-05 12:00")
    restarted = Planner(db, TZ)  # the app's scheduler keeps the dispatcher lease: plan beside it
    await restarted.plan(local("2026-12-05 15:00"))
    await restarted.plan(local("2026-12-05 23:59"))
    assert reminded(memory) == [] and len(await dues_rows(db)) == 2
    await tick(app, clock, "2026-12-31 23:00")
    assert reminded(memory) == []  # not on other days
    # Next month, again once: December has ended unpaid too (Bình 3 × 45.000 = 135.000đ; Cường
    # 15.000 + 30.000 = 45.000đ; Em 20.000đ for December).
    await tick(app, clock, "2027-01-05 08:00")
    january = reminded(memory)
    assert [who for who, _text in january] == ["binh", "cuong", "em"]
    for (_who, text), owed in zip(january, ("tháng 10, 11, 12/2026, tổng 135.000đ", "tháng 11, 12/2026, tổng 45.000đ",
                                            "tháng 12/2026, tổng 20.000đ"), strict=True):
        assert f"còn nợ đảng phí {owed}." in text
    assert [row.key.split(":")[1] for row in await dues_rows(db)] == ["2026-12"] * 2 + ["2027-01"] * 3


async def test_nothing_when_the_setting_is_off(app: Chibo, db: Database, clock: ManualClock,
                                               memory: MemoryChannel) -> None:
    await book_of_november(app, memory, db, clock)
    for day in ("2026-12-01 08:00", "2026-12-05 08:00", "2026-12-28 08:00"):
        await tick(app, clock, day)
    assert reminded(memory) == [] and await dues_rows(db) == []


async def test_paid_meanwhile_nothing_goes(app: Chibo, db: Database, clock: ManualClock,
                                           memory: MemoryChannel) -> None:
    cell = await book_of_november(app, memory, db, clock)
    await set_day(db, cell, 5)
    await tick(app, clock, "2026-12-05 00:00")
    assert len(await dues_rows(db)) == 2  # planned from midnight, due at 08:00
    await tick(app, clock, "2026-12-05 07:00")
    assert "Đã ghi 1 khoản" in await talk(app, memory, "an", "/dangphi thu Binh 90000")
    await tick(app, clock, "2026-12-05 08:00")
    assert reminded(memory) == [("cuong", CUONG)]
    assert [(row.status, row.last_error) for row in await dues_rows(db)] == [
        (outbox.DROPPED, "the arrears were paid meanwhile"), (outbox.SENT, None)]


async def test_after_downtime_the_same_day_late_never_a_past_day(db: Database, clock: ManualClock,
                                                                 app: Chibo, memory: MemoryChannel) -> None:
    cell = await book_of_november(app, memory, db, clock)
    await set_day(db, cell, 5)
    channel = MemoryChannel()
    scheduler = Scheduler(db, {"memory": channel}, clock.now)
    assert await scheduler.run_pass(local("2026-12-04 20:00"))
    assert await scheduler.run_pass(local("2026-12-05 14:00"))  # down at 08:00: late, the same day
    assert sorted(s.to.chat_id for s in channel.take()) == ["binh", "cuong"]  # one due time: any order
    assert {row.due_at for row in await dues_rows(db)} == {local("2026-12-05 14:00")}
    # Down over the whole of the day in January: nothing is caught up on the 6th.
    assert await scheduler.run_pass(local("2027-01-04 20:00"))
    assert await scheduler.run_pass(local("2027-01-06 09:00"))
    assert channel.take() == [] and len(await dues_rows(db)) == 2


async def test_planned_at_midnight_then_down_until_the_next_day_is_not_sent(
        db: Database, clock: ManualClock, app: Chibo, memory: MemoryChannel) -> None:
    cell = await book_of_november(app, memory, db, clock)
    await set_day(db, cell, 5)
    channel = MemoryChannel()
    scheduler = Scheduler(db, {"memory": channel}, clock.now)
    assert await scheduler.run_pass(local("2026-12-05 00:30"))
    assert await scheduler.run_pass(local("2026-12-06 09:00"))
    assert channel.take() == []
    assert {(row.status, row.last_error) for row in await dues_rows(db)} == {
        (outbox.DROPPED, "too late: the reminder day has passed")}


# -- /caidat ---------------------------------------------------------------------------------------

async def committee_member(db: Database, cell: Cell, who: str) -> int:
    async with db.session() as session:
        committee = await org.find_committee(session, "Đảng bộ thử")
        assert committee is not None
        await org.grant_role(session, cell.members[who], id_of(committee), Position.COMMITTEE_MEMBER)
        await session.commit()
        return id_of(committee)


async def setting(db: Database, unit_id: int, key: str) -> object:
    async with db.session() as session:
        return await unit_settings.get(session, unit_id, key)


async def test_the_secretary_sets_the_reminder_day(app: Chibo, db: Database, clock: ManualClock,
                                                   memory: MemoryChannel) -> None:
    cell = await make_cell(db, clock.now(), PEOPLE, exempt=())
    assert "Nhắc đảng phí: tắt." in await talk(app, memory, "an", "/caidat")
    answer = await talk(app, memory, "an", "/caidat nhacdangphi 5")
    assert answer.startswith("Đã đặt nhắc đảng phí của Chi bộ thử: ngày 5 hằng tháng, lúc 08:00.")
    assert await setting(db, cell.id, "dues_reminder_day") == 5
    assert "Nhắc đảng phí: ngày 5 hằng tháng, lúc 08:00." in await talk(app, memory, "an", "/caidat")
    for bad in ("/caidat nhacdangphi 31", "/caidat nhacdangphi", "/caidat nhacdangphi mai"):
        assert (await talk(app, memory, "an", bad)).startswith("Gõ /caidat nhacdangphi <ngày 1–28>"), bad
    assert await setting(db, cell.id, "dues_reminder_day") == 5
    assert await talk(app, memory, "an", "/caidat nhắcđảngphí tắt") == "Đã tắt nhắc đảng phí của Chi bộ thử."
    assert await setting(db, cell.id, "dues_reminder_day") == 0
    # A member who leads nothing may not.
    assert "Nhắc đảng phí" not in await talk(app, memory, "binh", "/caidat nhacdangphi 5")
    assert await setting(db, cell.id, "dues_reminder_day") == 0


async def test_the_committee_sets_the_wage_and_the_share_a_cell_may_not(
        app: Chibo, db: Database, clock: ManualClock, memory: MemoryChannel) -> None:
    cell = await make_cell(db, clock.now(), PEOPLE, exempt=())
    committee = await committee_member(db, cell, "em")
    assert await talk(app, memory, "an", "/caidat luongtoithieu 4960000") == (
        "Lương tối thiểu vùng do cấp ủy đảng bộ đặt, áp dụng cho mọi chi bộ.")
    assert await talk(app, memory, "an", "/caidat dangphidelai 40%") == (
        "Phần đảng phí chi bộ giữ lại do cấp ủy đảng bộ đặt, áp dụng cho mọi chi bộ.")
    assert await setting(db, committee, book.MINIMUM_WAGE) == 5_310_000
    # 4.960.000 × 0,3% = 14.880đ; × 0,2% = 9.920đ (2026: the shares before 2028).
    assert await talk(app, memory, "em", "/caidat luongtoithieu năm triệu") == (
        "Gõ /caidat luongtoithieu <số tiền>, ví dụ /caidat luongtoithieu 5310000 (lương tối thiểu vùng, đồng/tháng).")
    assert await talk(app, memory, "em", "/caidat lương tối thiểu 4.960.000đ") == (
        "Đã đặt lương tối thiểu vùng của Đảng bộ thử: 4.960.000đ/tháng. Đảng viên không có lương, lương hưu đóng "
        "0,3% mức này (14.880đ/tháng), từ tuổi nghỉ hưu 0,2% (9.920đ/tháng); mức mới áp dụng cho cả các tháng đã "
        "ghi trong sổ.")
    assert await setting(db, committee, book.MINIMUM_WAGE) == 4_960_000
    assert "không giống lương tối thiểu vùng" in await talk(app, memory, "em", "/caidat luongtoithieu 4960")
    assert "Gõ /caidat luongtoithieu" in await talk(app, memory, "em", "/caidat luongtoithieu -5000000")
    assert await setting(db, committee, book.MINIMUM_WAGE) == 4_960_000
    assert await talk(app, memory, "em", "/caidat dangphidelai 40%") == (
        "Đã đặt phần đảng phí chi bộ giữ lại của Đảng bộ thử: 40%; phần còn lại (60%) nộp lên đảng ủy.")
    async with db.session() as session:
        assert await book.cell_share(session, cell.id) == Fraction(2, 5)  # the cell inherits it
    for bad in ("/caidat dangphidelai 140%", "/caidat dangphidelai nhiều", "/caidat dangphidelai"):
        assert await talk(app, memory, "em", bad) == (
            "Gõ /caidat dangphidelai <phần trăm>, ví dụ /caidat dangphidelai 30% (phần chi bộ giữ lại)."), bad
    async with db.session() as session:
        assert await book.cell_share(session, cell.id) == Fraction(2, 5)
    # The committee's reminder day is its cells' default.
    answer = await talk(app, memory, "em", "/caidat nhacdangphi 10")
    assert "của Đảng bộ thử (áp dụng cho các chi bộ chưa có cài đặt riêng): ngày 10 hằng tháng" in answer
    async with db.session() as session:
        assert await unit_settings.dues_reminder_day(session, cell.id) == 10
