"""The dues book in chat (/dangphi): who may record and see what, and that a message is recorded
whole or not at all. The amounts and the months are pinned in test_domain_dues.py; a year of it
end to end in tests/transcripts/dues_year.txt."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Incoming
from domain.vocabulary import Position
from storage import accounts, org
from storage.db import Database
from storage.dues import DuesEntry, DuesRate
from storage.importer import ImportFailed, import_file
from storage.types import id_of, table_of
from tests.cell_setup import make_cell, say

PEOPLE = {"an": "Nguyễn Văn An", "binh": "Trần Thị Bình", "cuong": "Lê Văn Cường", "em": "Hoàng Văn Em"}


async def talk(app: Chibo, memory: MemoryChannel, who: str, text: str, *, group: bool = False) -> str:
    memory.take()
    if group:
        await app.handle(Incoming("memory", who, text, chat_id="group-1", is_private=False))
    else:
        await say(app, who, text)
    return "\n".join(sent.reply.text for sent in memory.take())


async def count(db: Database, table: type[DuesEntry] | type[DuesRate]) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_a_message_with_one_bad_entry_records_nothing(app: Chibo, memory: MemoryChannel, db: Database,
                                                             clock: ManualClock) -> None:
    await make_cell(db, clock.now(), PEOPLE, exempt=())
    assert "Đã ghi mức" in await talk(app, memory, "an", "/dangphi muc Binh 45000")
    answer = await talk(app, memory, "an", "/dangphi thu Binh 45000; Cuong 30000; Bo 10000")
    assert "Không tìm thấy «Bo»" in answer
    assert await count(db, DuesEntry) == 0  # Bình's and Cường's entries were not kept either
    assert "Đã ghi 2 khoản, tổng 75.000đ" in await talk(app, memory, "an", "/dangphi thu Binh 45000; Cuong 30000")
    assert await count(db, DuesEntry) == 2


async def test_bad_amounts_and_months_are_refused_in_words(app: Chibo, memory: MemoryChannel, db: Database,
                                                           clock: ManualClock) -> None:
    await make_cell(db, clock.now(), PEOPLE, exempt=())
    await talk(app, memory, "an", "/dangphi muc Binh 45000")
    assert "âm" in await talk(app, memory, "an", "/dangphi thu Binh -45000")
    # 20/11/2026: twelve months ahead is November 2027; December 2027 is too far.
    assert "quá xa" in await talk(app, memory, "an", "/dangphi thu Binh tháng 12/2027")
    assert "Đã ghi 1 khoản" in await talk(app, memory, "an", "/dangphi thu Binh tháng 11/2027")
    assert "3 tháng trở lên" not in await talk(app, memory, "an", "/dangphi")
    assert "Mức giảm đảng phí là 30%, 50% hoặc 70%" in await talk(app, memory, "an", "/dangphi muc Binh giam 40%")
    assert "tối đa 12 tháng" in await talk(app, memory, "an", "/dangphi muc Binh giam 50% den 12/2027")
    assert await count(db, DuesEntry) == 1 and await count(db, DuesRate) == 1


async def test_an_absurd_amount_is_recorded_only_once_confirmed(app: Chibo, memory: MemoryChannel, db: Database,
                                                                clock: ManualClock) -> None:
    await make_cell(db, clock.now(), PEOPLE, exempt=())
    asked = await talk(app, memory, "an", "/dangphi thu Binh 25000000")
    assert "lớn hơn 10.000.000đ một tháng" in asked
    assert await count(db, DuesEntry) == 0
    assert "Đã hủy" in await talk(app, memory, "an", "hủy")
    assert await count(db, DuesEntry) == 0
    # Three months of 9.000.000đ are 27.000.000đ, not above 10.000.000đ a month: no question.
    assert "Đã ghi 1 khoản" in await talk(app, memory, "an", "/dangphi thu Binh 27000000 3 tháng")
    await talk(app, memory, "an", "/dangphi thu Cuong 25000000")
    assert "Đã ghi 1 khoản, tổng 25.000.000đ" in await talk(app, memory, "an", "đồng ý")
    assert await count(db, DuesEntry) == 2


async def test_who_sees_and_records_what(app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), PEOPLE, exempt=())
    await talk(app, memory, "an", "/dangphi muc Binh 45000")
    await talk(app, memory, "an", "/dangphi muc Cuong 30000")
    await talk(app, memory, "an", "/dangphi thu Binh")
    # A member sees their own statement only, never the cell's.
    own = await talk(app, memory, "cuong", "/dangphi")
    assert own.startswith("Đảng phí của đồng chí Lê Văn Cường") and "Trần Thị Bình" not in own
    assert "còn phải nộp tháng 11/2026: 30.000đ" in own
    assert "bí thư, phó bí thư hoặc thủ quỹ" in await talk(app, memory, "cuong", "/dangphi thu Binh 10000")
    # In a group, the bot answers with a link to a private chat: no figures.
    assert "45.000" not in await talk(app, memory, "an", "/dangphi", group=True)
    # The secretary names a treasurer, who may then record.
    assert "là thủ quỹ" in await talk(app, memory, "an", "/dangphi thuquy Em")
    assert "Đã ghi 1 khoản" in await talk(app, memory, "em", "/dangphi thu Cuong")
    month = await talk(app, memory, "em", "/dangphi")
    assert "Đã nộp (2): Trần Thị Bình 45.000đ, Lê Văn Cường 30.000đ" in month
    async with db.session() as session:
        roles = await accounts.roles_of(session, cell.members["em"])
    assert [(unit, role) for unit, role, _kind, _parent in roles] == [(cell.id, Position.TREASURER)]
    # A treasurer is no leader: /tonghop stays closed to them.
    assert "Tổng hợp" not in await talk(app, memory, "em", "/tonghop")


async def test_a_member_of_another_cell_is_refused(app: Chibo, memory: MemoryChannel, db: Database,
                                                   clock: ManualClock) -> None:
    await make_cell(db, clock.now(), PEOPLE, exempt=())
    async with db.session() as session:
        committee = await org.find_committee(session, "Đảng bộ thử")
        assert committee is not None
        other, _, _ = await org.create_cell(session, committee, "Chi bộ khác")
        await org.add_member(session, id_of(other), "Đỗ Văn Sơn", today=date(2026, 11, 1))
        await session.commit()
    answer = await talk(app, memory, "an", "/dangphi thu Son 30000")
    assert "sinh hoạt ở Chi bộ khác, không thuộc Chi bộ thử" in answer
    assert "sinh hoạt ở Chi bộ khác" in await talk(app, memory, "an", "/dangphi muc Son 30000")
    assert await count(db, DuesEntry) == 0 and await count(db, DuesRate) == 0


async def test_the_import_declares_the_monthly_amount_once(db: Database, tmp_path: Path) -> None:
    sheet = tmp_path / "ds.csv"
    sheet.write_text("Đảng bộ,Chi bộ,Họ và tên,Đảng phí/tháng\n"
                     "Đảng bộ phường Đa Kao,Chi bộ khu phố 5,Nguyễn Văn An,45.000\n"
                     "Đảng bộ phường Đa Kao,Chi bộ khu phố 5,Trần Thị Bình,\n", encoding="utf-8")
    await import_file(db, sheet, today=date(2026, 11, 20))
    await import_file(db, sheet, today=date(2026, 11, 20))  # the same amount again: nothing new
    rate = table_of(DuesRate).c
    async with db.session() as session:
        rows = (await session.execute(select(rate.starts, rate.amount))).all()
    assert [(row.starts, row.amount) for row in rows] == [(date(2026, 11, 1), 45_000)]
    sheet.write_text("Đảng bộ,Chi bộ,Họ và tên,Đảng phí/tháng\n"
                     "Đảng bộ phường Đa Kao,Chi bộ khu phố 5,Nguyễn Văn An,-45000\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        await import_file(db, sheet, today=date(2026, 11, 20))
    assert any("Đảng phí/tháng «-45000» không hợp lệ" in reason for _row, reason in failed.value.errors)


async def test_the_workbook_carries_the_years_dues_book(app: Chibo, memory: MemoryChannel, db: Database,
                                                        clock: ManualClock, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from domain.periods import YEAR, Period
    from handlers import workbook
    from handlers.summary import build
    from handlers.summary_scope import Scope
    from storage.tables import OrgUnit
    from tests.conftest import TZ

    cell = await make_cell(db, clock.now(), PEOPLE, exempt=())  # 20/11/2026
    for typed in ("/dangphi muc Binh 45000 tu 9/2026", "/dangphi muc Cuong khac tu 10/2026",
                  "/dangphi muc Em 20000 tu 9/2026", "/dangphi muc Em mien benh tu 9/2026 den 10/2026",
                  "/dangphi thu Binh 90000; Cuong 15930; Em 20000"):
        assert "Đã ghi" in await talk(app, memory, "an", typed)
    path = tmp_path / "so.xlsx"
    async with db.session() as session:
        unit = await session.get(OrgUnit, cell.id)
        assert unit is not None and unit.parent_id is not None
        committee = await session.get(OrgUnit, unit.parent_id)
        assert committee is not None
        built = await build(session, Scope(unit, [unit], committee), Period(YEAR, 2026), clock.now().astimezone(TZ),
                            TZ)
        await workbook.write(session, built, path, TZ)
    sheet = load_workbook(path)["Đảng phí 2026"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    months = [f"T{m}" for m in range(1, 13)]
    assert rows[0] == ["STT", "Chi bộ", "Họ và tên", *months, "Đã nộp", "Phải nộp", "Còn nợ"]
    blank8 = [None] * 8  # January … August: nothing declared yet
    # Bình 45.000 from September: 90.000 fill September and October; November owes 45.000.
    # Cường «khac» from October: 0,3% × 5.310.000 = 15.930 fills October; November owes 15.930.
    # Em exempt September, October (ill); 20.000 fills November. December has not come: blank.
    assert rows[1:5] == [
        [1, "Chi bộ thử", "Nguyễn Văn An", *blank8, None, None, None, None, 0, 0, 0],
        [2, "Chi bộ thử", "Trần Thị Bình", *blank8, 45_000, 45_000, 0, None, 90_000, 135_000, 45_000],
        [3, "Chi bộ thử", "Lê Văn Cường", *blank8, None, 15_930, 0, None, 15_930, 31_860, 15_930],
        [4, "Chi bộ thử", "Hoàng Văn Em", *blank8, "miễn", "miễn", 20_000, None, 20_000, 20_000, 0],
    ]
    # Cộng: October 45.000 + 15.930 = 60.930; paid 90.000 + 15.930 + 20.000 = 125.930;
    # owed 135.000 + 31.860 + 20.000 = 186.860; left 186.860 − 125.930 = 60.930.
    assert rows[5] == [None, "Cộng", None, *[0] * 8, 45_000, 60_930, 20_000, 0, 125_930, 186_860, 60_930]
