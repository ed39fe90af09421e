"""/xuat and `chibo export`: the workbook, opened with openpyxl, holds the summary's own figures."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.cli import main
from bot.clock import ManualClock
from domain.figures import fraction
from domain.messages import Incoming, Sent
from handlers import export
from handlers.context import HandlerSettings
from storage.db import Database
from storage.migrate import upgrade
from tests import seed


@pytest.fixture
def bot(db: Database, clock: ManualClock, tmp_path: Path) -> tuple[Chibo, MemoryChannel]:
    app = Chibo(db, HandlerSettings(files_dir=str(tmp_path / "files")), clock=clock)
    channel = MemoryChannel(platform="console", max_text=1_000_000)
    app.add_channel(channel)
    return app, channel


async def say(bot: tuple[Chibo, MemoryChannel], user: str, text: str) -> list[Sent]:
    app, channel = bot
    await app.handle(Incoming("console", user, text, chat_id=user))
    return channel.take()


def _rows(sheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True) if any(value is not None for value in row)]


def _check_summary_sheet(rows: list[tuple[Any, ...]], text: str) -> None:
    """Every figure of the sheet is a line of the message, with the same numbers."""
    lines = text.split("\n")
    assert rows[0] == ("Mục", "Chỉ tiêu", "Số", "Trên tổng", "Tỷ lệ", "Diễn giải")
    assert rows[1][0] == lines[0] and rows[1][5] == lines[1]
    for section, label, part, whole, share, words in rows[2:]:
        assert section in lines
        if whole:
            assert share == pytest.approx(part / whole)
            assert fraction(part, whole) in words
        shown = [line for line in lines if label in line]
        assert shown, label
        if not words.startswith(label) and "(" not in label:
            assert any(words.split(", ")[0] in line for line in shown), (label, words)


async def test_the_cell_workbook_holds_the_summary_figures(db: Database, bot: tuple[Chibo, MemoryChannel]) -> None:
    await seed.ward(db)
    text = (await say(bot, "binh", "/tonghop"))[0].reply.text
    sent = await say(bot, "binh", "/xuat")
    assert len(sent) == 1 and sent[0].reply.document is not None
    assert sent[0].reply.text.startswith("Tệp Excel tổng hợp Chi bộ khu phố 1, tháng 11/2026 (các trang: Tổng hợp, ")
    book = load_workbook(sent[0].reply.document)
    assert book.sheetnames == ["Tổng hợp", "Đảng viên", "Báo cáo", "Điểm danh", "Xếp loại"]

    summary = _rows(book["Tổng hợp"])
    _check_summary_sheet(summary, text)
    by_label = {row[1]: row for row in summary[2:]}
    assert by_label["Dự họp bình quân"][2:5] == (16, 20, 0.8)
    assert by_label["Đảng viên đã báo cáo"][2:5] == (7, 10, 0.7)
    assert by_label["Chưa báo cáo"][2] == 3 and by_label["Chưa báo cáo"][5] == "Vũ Văn Hải, Mai Văn Minh, Lâm Văn Lực"
    assert by_label["Hoàn thành tốt nhiệm vụ trở lên (theo bước chi bộ đề xuất)"][2:4] == (8, 9)
    assert by_label["Kết nạp"][2:4] == (2, 9)
    assert by_label["Học tập, quán triệt nghị quyết"][2] == 4

    members = _rows(book["Đảng viên"])
    assert members[0][:4] == ("STT", "Chi bộ", "Họ và tên", "Tình trạng") and len(members) == 1 + 11
    hoa = next(row for row in members if row[2] == "Ngô Thị Hoa")
    assert hoa[3] == "Dự bị" and hoa[4] == datetime(2025, 12, 15)
    hoa_cell = next(row for row in book["Đảng viên"].iter_rows() if row[2].value == "Ngô Thị Hoa")
    assert hoa_cell[4].number_format == "DD/MM/YYYY"
    hai = next(row for row in members if row[2] == "Vũ Văn Hải")
    assert hai[6:10] == (0, 1, 0, 1)  # no report; present 05/11, absent 15/11
    assert sum(row[6] for row in members[1:]) == 8  # the 8 reports of the summary

    reports = _rows(book["Báo cáo"])
    assert len(reports) == 1 + 8
    assert {row[2] for row in reports[1:]} <= {datetime(2026, 11, day) for day in range(1, 31)}
    assert book["Báo cáo"]["C2"].number_format == "DD/MM/YYYY"

    roll = _rows(book["Điểm danh"])
    assert len(roll) == 1 + 11 + 10  # both roll calls as recorded (Lan's row too; the rates leave her out)
    assert sum(1 for row in roll if row[6] == "Có mặt") == 16

    ratings = _rows(book["Xếp loại"])
    luc = next(row for row in ratings if row[2] == "Lâm Văn Lực")
    binh = next(row for row in ratings if row[2] == "Trần Thị Bình")
    assert luc[5:] == (None, None, None)
    assert binh[4:] == ("năm 2026", "Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành xuất sắc nhiệm vụ", None)


async def test_the_committee_workbook_lists_its_cells(db: Database, bot: tuple[Chibo, MemoryChannel]) -> None:
    await seed.ward(db)
    text = (await say(bot, "an", "/tonghop nam 2026"))[0].reply.text
    sent = await say(bot, "an", "/xuat nam 2026")
    assert sent[0].reply.document is not None
    book = load_workbook(sent[0].reply.document)
    assert book.sheetnames == ["Tổng hợp", "Các chi bộ", "Đảng viên", "Báo cáo", "Điểm danh", "Xếp loại"]
    _check_summary_sheet(_rows(book["Tổng hợp"]), text)
    cells = _rows(book["Các chi bộ"])[1:]
    lines = [line for line in text.split("\n") if line[:3] in ("1. ", "2. ", "3. ", "4. ")]
    assert [row[1] for row in cells] == [line.split(": ")[0][3:] for line in lines]
    for row, line in zip(cells, lines, strict=True):
        assert f"dự họp {fraction(row[7], row[8])}" in line and f"báo cáo {fraction(row[10], row[11])}" in line
    assert {row[1] for row in _rows(book["Đảng viên"])[1:]} == {f"Chi bộ khu phố {n}" for n in (1, 2, 3, 4)}


async def test_a_chat_export_too_big_points_to_the_command_line(db: Database, bot: tuple[Chibo, MemoryChannel],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    await seed.ward(db)
    monkeypatch.setattr(export, "CHAT_EXPORT_ROWS", 40)
    sent = await say(bot, "an", "/xuat nam 2026")  # 23 members + 18 reports + 57 roll-call rows + 23 ratings
    assert [s.reply.document for s in sent] == [None]
    assert sent[0].reply.text == (
        "Tổng hợp Đảng bộ phường Bến Thành kỳ này có 121 dòng, quá lớn để tạo ngay trong tin nhắn (tối đa 40 dòng). "
        "Đồng chí có thể xuất từng chi bộ (/xuat <tên chi bộ> <kỳ>), chọn kỳ ngắn hơn, hoặc nhờ quản trị viên chạy: "
        'chibo export --committee "Đảng bộ phường Bến Thành" --period nam-2026 tong-hop.xlsx')
    assert (await say(bot, "an", "/xuat khu pho 2 nam 2026"))[0].reply.document is not None  # 5 + 2 + 5 + 5 rows


def test_the_command_line_writes_the_same_workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    upgrade(url)

    async def fill() -> None:
        database = Database(url)
        await seed.ward(database)
        await database.dispose()

    asyncio.run(fill())
    monkeypatch.setenv("DATABASE_URL", url)
    out = tmp_path / "khu-pho-1.xlsx"
    assert main(["export", "--committee", "dang bo phuong ben thanh", "--cell", "khu pho 1", "--period", "nam-2026",
                 str(out)]) == 0
    captured = capsys.readouterr()
    assert "Đã ghi" in captured.out and "100%" in captured.err
    book = load_workbook(out)
    by_label = {row[1]: row for row in _rows(book["Tổng hợp"])[2:]}
    assert by_label["Dự họp bình quân"][2:4] == (38, 47)  # the year: 8/9 + 7/9 + 7/9 + 9/10 + 7/10
    assert len(_rows(book["Báo cáo"])) == 1 + 9  # November's 8 and Hải's of 31/10

    assert main(["export", "--committee", "Không có", "--period", "nam-2026", str(out)]) == 1
    assert "Không có đảng bộ tên «Không có»." in capsys.readouterr().err
    assert main(["export", "--committee", "Đảng bộ phường Bến Thành", "--cell", "khu pho", str(out)]) == 1
    assert "Có 4 chi bộ khớp" in capsys.readouterr().err
    assert main(["export", "--committee", "Đảng bộ phường Bến Thành", "--period", "quy-5-2026", str(out)]) == 2
    assert "Quý phải từ 1 đến 4." in capsys.readouterr().err
