"""A meeting's documents (issue 13): sent with the reminder at least a day before, once, carrying
what was attached by then; a file over the size limit refused with nothing kept; and the
committee's view of which cells have minutes each month."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain import documents as rules
from domain import meeting_rules
from domain.errors import UserError
from domain.vocabulary import Position, UnitKind
from storage import org
from storage.documents import MeetingDocument
from storage.tables import OrgUnit
from tests.cell_setup import local, make_cell, say, tick
from tests.conftest import TZ
from tests.test_minutes import PEOPLE, STEPS, held_meeting


async def documents_of(app: Chibo) -> list[MeetingDocument]:
    async with app.db.session() as session:
        return list((await session.exec(select(MeetingDocument))).all())


async def test_documents_go_a_day_before_once(app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    clock.set(local("2026-12-20 09:00"))
    await make_cell(app.db, clock.now(), PEOPLE)
    await say(app, "an", "/caidat nhacnho 3n 1n 2g")
    await say(app, "an", "/lichhop 05/01/2027 19:30 tại Nhà văn hóa khu phố 7")
    await say(app, "an", "/tailieu 1 https://drive.google.com/file/d/bc12 Báo cáo tháng 12")
    # The plan's reminder a day or more before 05/01 19:30 is "1n": 04/01 08:00.
    assert memory.texts_to("an")[-1].endswith("Tài liệu sẽ gửi lúc 08:00 Thứ Hai, 04/01/2027 tới 6 đảng viên phải "
                                              "dự, mỗi người một lần.")
    await tick(app, clock, "2027-01-02 08:00")  # the invitation (3n) carries no documents
    await say(app, "an", "/tailieu 1 noidung: Kiểm điểm tháng 12; nhiệm vụ tháng 1")  # added while it waits
    memory.take()
    await tick(app, clock, "2027-01-04 08:00")
    got = [text for text in memory.texts_to("binh") if text.startswith("Tài liệu")]
    assert got == ["Tài liệu buổi số 1 (sinh hoạt thường kỳ tháng 1/2027), 19:30 Thứ Ba, 05/01/2027:\n"
                   "Nội dung: Kiểm điểm tháng 12; nhiệm vụ tháng 1\n"
                   "1. Báo cáo tháng 12: https://drive.google.com/file/d/bc12\n"
                   "Đồng chí vui lòng đọc trước khi họp."]
    assert len([s for s in memory.sent if s.reply.text.startswith("Tài liệu")]) == 6  # each expected member once
    memory.take()
    await say(app, "an", "/tailieu 1 https://example.org/du-thao Dự thảo nghị quyết")
    assert "6 đồng chí đã nhận tài liệu gửi trước" in memory.texts_to("an")[-1]
    await tick(app, clock, "2027-01-04 09:00")
    assert [s for s in memory.sent if s.to.chat_id != "an"] == []  # not sent twice
    await say(app, "dung", "/tailieu")  # on request: everything attached
    assert "2. Dự thảo nghị quyết: https://example.org/du-thao" in memory.texts_to("dung")[-1]


async def test_a_file_over_the_limit_is_refused(app: Chibo, clock: ManualClock, memory: MemoryChannel,
                                               tmp_path: Path) -> None:
    clock.set(local("2026-12-20 09:00"))
    await make_cell(app.db, clock.now(), PEOPLE)
    await say(app, "an", "/lichhop 05/01/2027 19:30")
    memory.caps = replace(memory.caps, files_as_paths=True)  # as the console: a path on this machine
    big = tmp_path / "tai-lieu.pdf"
    with big.open("wb") as file:
        file.truncate(rules.MAX_BYTES + 1)
    await say(app, "an", f"/tailieu 1 {big}")
    assert memory.texts_to("an")[-1].startswith("Tệp «tai-lieu.pdf» nặng 20,0 MB, quá giới hạn 20,0 MB: chưa gắn.")
    assert await documents_of(app) == []
    small = tmp_path / "bao-cao.pdf"
    small.write_bytes(b"%PDF-1.4")
    await say(app, "an", f"/tailieu 1 {small}")
    assert [(d.name, d.size) for d in await documents_of(app)] == [("bao-cao.pdf", 8)]


async def test_the_committee_sees_which_cells_have_minutes(
        app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    cell = await held_meeting(app, clock, memory)
    await say(app, "an", "/bienban 1")
    for answer in STEPS:
        await say(app, "an", answer)
    async with app.db.session() as session:
        committee = (await session.exec(select(OrgUnit).where(OrgUnit.kind == UnitKind.COMMITTEE))).one()
        await org.grant_role(session, cell.members["binh"], int(committee.id or 0), Position.COMMITTEE_MEMBER)
        await session.commit()
    memory.take()
    await say(app, "binh", "/bienban")
    assert memory.texts_to("binh")[-1].split("\n")[1] == "• Chi bộ thử: 11/2026 ✗, 12/2026 ✗, 1/2027 ✓"
    await say(app, "binh", "/bienban thử 1")
    assert [s.reply.document.suffix for s in memory.sent if s.reply.document] == [".docx", ".pdf"]
    await say(app, "binh", "/bienban thử 1 sua chutri")
    assert "Gõ /bienban <tên chi bộ> <số buổi>" in memory.texts_to("binh")[-1]


def test_documents_go_with_the_reminder_a_day_before() -> None:
    start = local("2027-01-05 19:30")
    plan = meeting_rules.parse_plan("3n 1n 2g")
    assert rules.send_at(start, plan, local("2026-12-20 09:00"), TZ) == local("2027-01-04 08:00")
    # Only hours in the plan: a day before at 08:00; that moment past: at once.
    assert rules.send_at(start, meeting_rules.parse_plan("2g"), local("2026-12-20 09:00"), TZ) == \
        local("2027-01-04 08:00")
    assert rules.send_at(start, plan, local("2027-01-04 10:00"), TZ) == local("2027-01-04 10:00")


def test_the_size_limit() -> None:
    rules.check_size("a.pdf", rules.MAX_BYTES)
    with pytest.raises(UserError):
        rules.check_size("a.pdf", rules.MAX_BYTES + 1)
