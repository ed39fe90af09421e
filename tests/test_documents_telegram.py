"""Meeting documents sent as files on Telegram (issue 13): python-telegram-bot polls the fake Bot
API; the secretary sends a file with the caption `/tailieu 1`, or right after `/tailieu 1`; a file
over 20 MB is refused with nothing kept; each member gets each file once, re-sent by its file id,
with the reminder a day before."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bot.app import Chibo
from bot.clock import ManualClock
from domain.vocabulary import Position
from storage import org
from storage.documents import MeetingDocument
from storage.tables import ChatAccount
from storage.types import id_of
from tests.cell_setup import local
from tests.fakes.telegram_api import FakeTelegram
from tests.test_reports_telegram import Chat

SECRETARY = 101
MEMBERS = {101: "Nguyễn Văn An", 201: "Trần Thị Bình", 202: "Lê Văn Cường"}
REPORT: dict[str, Any] = {"file_id": "BQACAgUAAxkBAAIBbmV4", "file_name": "Báo cáo tháng 11.pdf", "file_size": 180_000}
DRAFT: dict[str, Any] = {"file_id": "BQACAgUAAxkBAAIBbmV5", "file_name": "du-thao.docx", "file_size": 40_000}
HUGE: dict[str, Any] = {"file_id": "BQACAgUAAxkBAAIBbmV6", "file_name": "ghi-am.mp3", "file_size": 25 * 1024 * 1024}


async def _cell(app: Chibo) -> None:
    async with app.db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Bến Thành")
        cell, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        for user_id, name in MEMBERS.items():
            member = await org.add_member(session, cell.id, name)
            session.add(ChatAccount(platform="telegram", platform_user_id=str(user_id), chat_id=str(user_id),
                                    member_id=member.id))
            if user_id == SECRETARY:
                await org.grant_role(session, id_of(member), id_of(cell), Position.SECRETARY)
        await session.commit()


async def _kept(app: Chibo) -> list[tuple[str, str, int | None]]:
    async with app.db.session() as session:
        rows = (await session.exec(select(MeetingDocument).order_by(col(MeetingDocument.id)))).all()
        return [(row.name, row.ref, row.size) for row in rows]


async def test_files_sent_on_telegram_go_to_each_member_once_a_day_before(
        app: Chibo, clock: ManualClock, telegram: FakeTelegram) -> None:
    clock.set(local("2026-11-20 09:00"))
    await _cell(app)
    chat = Chat(telegram)
    await chat.say(SECRETARY, "/lichhop 05/12/2026 19:30 tại Nhà văn hóa khu phố 1")

    [refused] = await chat.say(SECRETARY, "/tailieu 1", document=HUGE)
    assert refused.text.startswith("Tệp «ghi-am.mp3» nặng 25,0 MB, quá giới hạn 20,0 MB: chưa gắn.")
    assert await _kept(app) == []

    # "/tailieu 1", then the file: its name is the file's own.
    shown, asked = await chat.say(SECRETARY, "/tailieu 1", replies=2)
    assert shown.text == "Buổi số 1 chưa có tài liệu nào."
    assert asked.text.startswith("Để gắn tài liệu vào buổi số 1, đồng chí gửi tệp ngay sau tin này")
    [attached] = await chat.say(SECRETARY, "", document=REPORT)
    assert attached.text.startswith("Đã gắn tài liệu «Báo cáo tháng 11.pdf» vào buổi số 1.\n"
                                    "Tài liệu sẽ gửi lúc 08:00 Thứ Sáu, 04/12/2026 tới 3 đảng viên phải dự")
    # A file with the caption "/tailieu 1 <tên>": named by the caption.
    [attached] = await chat.say(SECRETARY, "/tailieu 1 Dự thảo nghị quyết", document=DRAFT)
    assert attached.text.startswith("Đã gắn tài liệu «Dự thảo nghị quyết» vào buổi số 1.")
    assert await _kept(app) == [("Báo cáo tháng 11.pdf", "telegram:" + REPORT["file_id"], 180_000),
                                ("Dự thảo nghị quyết", "telegram:" + DRAFT["file_id"], 40_000)]

    before = len(telegram.sent)
    clock.set(local("2026-12-04 07:59"))
    await app.tick()
    assert [m for m in telegram.sent[before:] if m.text.startswith("Tài liệu")] == []
    clock.set(local("2026-12-04 08:00"))
    await app.tick()
    got = [m for m in telegram.sent[before:] if m.text.startswith("Tài liệu")]
    to_binh = [m for m in got if m.chat_id == "201"]
    assert [(m.method, m.file_id) for m in to_binh] == [
        ("sendMessage", None), ("sendDocument", REPORT["file_id"]), ("sendDocument", DRAFT["file_id"])]
    assert to_binh[0].text == ("Tài liệu buổi số 1 (sinh hoạt thường kỳ tháng 12/2026), 19:30 Thứ Bảy, 05/12/2026:\n"
                               "1. Báo cáo tháng 11.pdf (tệp gửi kèm trên Telegram)\n"
                               "2. Dự thảo nghị quyết (tệp gửi kèm trên Telegram)\n"
                               "Đồng chí vui lòng đọc trước khi họp.")
    assert to_binh[2].text == ("Tài liệu buổi số 1 (sinh hoạt thường kỳ tháng 12/2026), 19:30 Thứ Bảy, "
                               "05/12/2026: Dự thảo nghị quyết")
    assert sorted(m.chat_id for m in got if m.method == "sendDocument") == ["101", "101", "201", "201", "202", "202"]
    # Never twice.
    sent = len(telegram.sent)
    clock.set(local("2026-12-05 08:00"))
    await app.tick()
    assert [m for m in telegram.sent[sent:] if m.text.startswith("Tài liệu")] == []
    # On request: the list, and the files again.
    shown, *files = await chat.say(202, "/tailieu 1", replies=3)
    assert [m.file_id for m in files] == [REPORT["file_id"], DRAFT["file_id"]]
