"""/tonghop on known data (tests/seed.py): the grouped tallies, the local-time month, the
settings, the refusals, and the chart. Figures are computed by hand in tests/seed.py's notes."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.messages import Incoming, Sent
from domain.periods import MONTH, Period
from domain.vocabulary import UnitKind
from handlers import chart
from handlers.context import HandlerSettings
from storage import org, unit_settings
from storage.db import Database
from storage.summary import Tally, combine, tallies
from storage.types import id_of
from tests import seed
from tests.conftest import TZ

TODAY = date(2026, 11, 20)
NOVEMBER = Period(MONTH, 2026, 11)


@pytest.fixture
def bot(db: Database, clock: ManualClock, tmp_path: Path) -> tuple[Chibo, MemoryChannel]:
    app = Chibo(db, HandlerSettings(files_dir=str(tmp_path / "files")), clock=clock)
    channel = MemoryChannel(platform="console")
    app.add_channel(channel)
    return app, channel


async def say(bot: tuple[Chibo, MemoryChannel], user: str, text: str, *, private: bool = True) -> list[Sent]:
    app, channel = bot
    chat = user if private else "group-1"
    await app.handle(Incoming("console", user, text, chat_id=chat, is_private=private, display_name=user))
    return channel.take()


async def _ward_tallies(db: Database, period: Period = NOVEMBER, today: date = TODAY) -> dict[str, Tally]:
    async with db.session() as session:
        committee = await org.find_committee(session, "Đảng bộ phường Bến Thành")
        assert committee is not None and committee.id is not None
        cells = await org.cells_of(session, committee.id)
        found = await tallies(session, [(id_of(c), c.name) for c in cells], period, today, TZ)
    return {tally.name: tally for tally in found}


async def test_cell_tallies_equal_the_hand_count(db: Database) -> None:
    await seed.ward(db)
    found = await _ward_tallies(db)
    kp1 = found["Chi bộ khu phố 1"]
    assert kp1.statuses == {"official": 7, "probationary": 3, "exempt": 1}
    assert (kp1.total, kp1.expected_members, kp1.admitted_in_period) == (11, 10, 1)
    # 05/11: 9 present, Em excused, Lan (exempt) not counted; 15/11: 7 present, 1 excused, 2 absent.
    assert [(m.present, m.excused, m.absent, m.good) for m in kp1.meetings] == [
        (9, 1, 0, True), (7, 1, 2, False)]
    assert (kp1.present, kp1.expected, kp1.good_meetings) == (16, 20, 1)
    assert kp1.months == {date(2026, 9, 1): (8, 9), date(2026, 10, 1): (14, 18),
                          date(2026, 11, 1): (16, 20)}
    assert kp1.reports == {"study": 4, "assigned": 1, "residence": 1, "mass_help": 1, "other": 1}
    assert kp1.reporters == 7
    assert kp1.latest_stage == "cell_proposed"
    assert kp1.latest == {"excellent": 2, "good": 6, "complete": 1}
    assert (kp1.good_or_better, kp1.latest_rated, kp1.rated("self")) == (8, 9, 8)
    assert list(kp1.long_absent.values()) == [[9, 10, 11]]  # Hải; Cường's three absences fall in two months
    assert (kp1.due_recognition, kp1.no_account, kp1.unreachable) == (1, 7, 1)
    assert (kp1.admitted_in_year, kp1.members_at_year_start) == (2, 9)

    kp3 = found["Chi bộ khu phố 3"]
    assert (kp3.meetings, kp3.reporters, kp3.due_recognition, kp3.latest_stage) == ([], 3, 1, None)


async def test_a_committee_is_the_sum_of_its_cells(db: Database) -> None:
    await seed.ward(db)
    found = await _ward_tallies(db)
    total = combine("Đảng bộ phường Bến Thành", list(found.values()))
    assert total.statuses == {"official": 18, "probationary": 4, "exempt": 1}
    assert (len(total.meetings), total.good_meetings, total.present, total.expected) == (4, 3, 25, 29)
    assert (total.report_count, total.reporters, total.expected_members) == (17, 16, 22)
    assert total.latest == {"excellent": 3, "good": 10, "complete": 1}  # each cell at its own latest stage
    assert (len(total.long_absent), total.due_recognition, total.no_account, total.unreachable) == (1, 2, 18, 1)
    assert (total.admitted_in_year, total.members_at_year_start) == (2, 21)
    assert "Chi bộ khu phố 9" not in found  # another committee's cell


async def test_a_past_period_expects_only_those_admitted_by_then(db: Database) -> None:
    await seed.ward(db)
    kp1 = (await _ward_tallies(db, Period("quarter", 2026, 3)))["Chi bộ khu phố 1"]
    # Lực was admitted on 03/11: not a member in the third quarter.
    assert (kp1.total, kp1.expected_members, kp1.reporters) == (10, 9, 0)
    assert [(m.present, m.expected) for m in kp1.meetings] == [(8, 9)]


async def test_months_are_local_months(db: Database) -> None:
    """A meeting at 06:00 on 1 October in Vietnam is 30 September in UTC: it belongs to October."""
    async with db.session() as session:
        seeder = seed.Seeder(session)
        committee = await seeder.unit(UnitKind.COMMITTEE, "Đảng bộ thử")
        cell = await seeder.unit(UnitKind.CELL, "Chi bộ thử", committee)
        late = await seeder.member(cell, "Lê Văn Muộn", admitted_on=date(2000, 1, 1))
        other = await seeder.member(cell, "Trần Văn Đủ", admitted_on=date(2000, 1, 1))
        for local in (datetime(2026, 9, 30, 23, 0), datetime(2026, 10, 1, 6, 0), datetime(2026, 11, 5, 19, 0)):
            await seeder.meeting(cell, local, seed.roll([other], absent=[late]))
        await session.commit()
        cell_id = id_of(cell)
    async with db.session() as session:
        october = (await tallies(session, [(cell_id, "Chi bộ thử")], Period(MONTH, 2026, 10), TODAY, TZ))[0]
    assert [m.starts_at.astimezone(TZ).day for m in october.meetings] == [1]
    assert october.months[date(2026, 9, 1)] == (1, 2) and october.months[date(2026, 10, 1)] == (1, 2)
    # In UTC the three absences fall in September (twice) and November: two months, no warning.
    # In Vietnam they fall in September, October and November: removal is to be considered.
    assert list(october.long_absent.values()) == [[9, 10, 11]]


async def test_the_cell_summary_and_its_chart(db: Database, bot: tuple[Chibo, MemoryChannel],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    await seed.ward(db)
    drawn: list[object] = []
    real = chart._png

    def recording(data: chart.ChartData) -> bytes:
        drawn.append(data)
        return real(data)

    monkeypatch.setattr(chart, "_png", recording)
    sent = await say(bot, "binh", "/tonghop")
    text, picture = sent[0].reply.text, sent[-1].reply
    assert text.startswith("Tổng hợp Chi bộ khu phố 1 — tháng 11/2026\n")
    for line in (
        "- Dự họp bình quân: 16/20 = 80%",
        "- Đảng viên đã báo cáo: 7/10 = 70%",
        "- Chưa báo cáo (3): Vũ Văn Hải, Mai Văn Minh, Lâm Văn Lực",
        "- Hoàn thành tốt nhiệm vụ trở lên (theo bước chi bộ đề xuất): 8/9 = 88,9%; chỉ tiêu trên 90%: chưa đạt",
        "- Sắp đủ 12 tháng dự bị, cần xét công nhận chính thức: Ngô Thị Hoa (đủ 12 tháng ngày 15/12/2026)",
        "- Kết nạp: 2/9 = 22,2% số đảng viên ngày 31/12/2025; chỉ tiêu 3% (ít nhất 1 người): đạt",
    ):
        assert line in text.split("\n")
    assert picture.photo is not None and picture.photo.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(drawn) == 1
    again = await say(bot, "binh", "/tonghop thang 11/2026")
    assert again[-1].reply.photo == picture.photo and len(drawn) == 1  # unchanged figures: the same file
    other = await say(bot, "binh", "/tonghop nam 2026")
    assert other[-1].reply.photo != picture.photo and len(drawn) == 2


async def test_targets_are_the_units_settings(db: Database, bot: tuple[Chibo, MemoryChannel]) -> None:
    await seed.ward(db)
    async with db.session() as session:
        committee = await org.find_committee(session, "Đảng bộ phường Bến Thành")
        assert committee is not None
        cell = await org.find_cell(session, id_of(committee), "Chi bộ khu phố 1")
        assert cell is not None
        await unit_settings.put(session, id_of(committee), "good_or_better_target", 0.85)
        await unit_settings.put(session, id_of(cell), "admission_target", "25%")
        await unit_settings.put(session, id_of(committee), "excellent_quota", 0.30)
        await session.commit()
    lines = (await say(bot, "binh", "/tonghop"))[0].reply.text.split("\n")
    # 8 of the 9 to be rated = 88,9% > 85%: reached; 30% of 6 good = 1,8 < 2 excellent: over the quota.
    assert "- Hoàn thành tốt nhiệm vụ trở lên (theo bước chi bộ đề xuất): 8/9 = 88,9%; chỉ tiêu trên 85%: đạt" in lines
    assert "- Kết nạp: 2/9 = 22,2% số đảng viên ngày 31/12/2025; chỉ tiêu 25% (ít nhất 3 người): chưa đạt" in lines
    assert ("- Định mức xuất sắc (số liệu chi bộ đề xuất của Chi bộ khu phố 1): 2 xuất sắc, 6 hoàn thành tốt: "
            "2/6 = 33,3%; không quá 30% số hoàn thành tốt: vượt định mức (chỉ cảnh báo, bot không tự sửa xếp loại)"
            ) in lines
    committee_lines = (await say(bot, "an", "/tonghop"))[0].reply.text.split("\n")
    # The committee's own admission target (3%) applies to its totals, not the cell's 25%.
    assert "- Kết nạp: 2/21 = 9,5% số đảng viên ngày 31/12/2025; chỉ tiêu 3% (ít nhất 1 người): đạt" in committee_lines


async def test_committee_lines_weakest_first_and_drill_down(db: Database, bot: tuple[Chibo, MemoryChannel]) -> None:
    await seed.ward(db)
    text = "\n".join(s.reply.text for s in (await say(bot, "an", "/tonghop"))[:-1])
    lines = [line for line in text.split("\n") if line[:3] in ("1. ", "2. ", "3. ", "4. ")]
    assert lines == [
        "1. Chi bộ khu phố 3: 3 đảng viên; dự họp chưa có dữ liệu; báo cáo 3/3 = 100%",
        "2. Chi bộ khu phố 1: 11 đảng viên; dự họp 16/20 = 80%; báo cáo 7/10 = 70%",
        "3. Chi bộ khu phố 2: 5 đảng viên; dự họp 5/5 = 100%; báo cáo 2/5 = 40%",
        "4. Chi bộ khu phố 4: 4 đảng viên; dự họp 4/4 = 100%; báo cáo 4/4 = 100%",
    ]
    assert "Chi bộ khu phố 9" not in text
    opened = (await say(bot, "an", "/tonghop chi bo khu pho 4 nam 2026"))[0].reply.text
    assert opened.startswith("Tổng hợp Chi bộ khu phố 4 — năm 2026\n")
    several = (await say(bot, "an", "/tonghop khu pho"))[0].reply
    assert [choice.label for choice in several.choices] == [f"Chi bộ khu phố {n}" for n in (1, 2, 3, 4)]
    assert all(len(choice.value.encode()) <= 64 for choice in several.choices)
    picked = (await say(bot, "an", "2"))[0].reply.text
    assert picked.startswith("Tổng hợp Chi bộ khu phố 2 — tháng 11/2026\n")


async def test_refusals(db: Database, bot: tuple[Chibo, MemoryChannel]) -> None:
    await seed.ward(db)
    assert (await say(bot, "cuong", "/tonghop"))[0].reply.text == (
        "Lệnh này dành cho bí thư chi bộ hoặc cấp ủy viên đảng bộ.")
    assert (await say(bot, "cuong", "/xuat"))[0].reply.text == (
        "Lệnh này dành cho bí thư chi bộ hoặc cấp ủy viên đảng bộ.")
    assert (await say(bot, "binh", "/tonghop Chi bộ khu phố 2"))[0].reply.text.startswith(
        "Đồng chí chỉ xem được tổng hợp của Chi bộ khu phố 1.")
    assert (await say(bot, "son", "/tonghop khu pho 1"))[0].reply.text.startswith(
        "Không có chi bộ «khu pho 1» trong Đảng bộ phường Sài Gòn.")
    in_group = await say(bot, "binh", "/tonghop", private=False)
    assert len(in_group) == 1 and in_group[0].reply.text.startswith("Lệnh này có thông tin cá nhân")
    assert "Tháng phải từ 1 đến 12." in (await say(bot, "an", "/tonghop thang 13"))[0].reply.text


async def test_nothing_to_divide_reads_no_data(db: Database, bot: tuple[Chibo, MemoryChannel]) -> None:
    """A committee whose only cell has no members yet: every rate says "chưa có dữ liệu"."""
    async with db.session() as session:
        seeder = seed.Seeder(session)
        committee = await seeder.unit(UnitKind.COMMITTEE, "Đảng bộ mới")
        await seeder.unit(UnitKind.CELL, "Chi bộ mới", committee)
        await seeder.member(None, "Hà Văn Mới", account="console:moi", role=("secretary", committee))
        await session.commit()
    text = (await say(bot, "moi", "/tonghop"))[0].reply.text
    assert "- Dự họp bình quân: chưa có dữ liệu" in text
    assert "- Đảng viên đã báo cáo: chưa có dữ liệu" in text
    assert "- Kết nạp: 0 người; chưa có dữ liệu về đảng viên ngày 31/12/2025 để tính chỉ tiêu 3%" in text
    assert "1. Chi bộ mới: 0 đảng viên; dự họp chưa có dữ liệu; báo cáo chưa có dữ liệu" in text
