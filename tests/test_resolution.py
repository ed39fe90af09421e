"""The month's resolution (issue 13): drafted from the month's reports and the minutes, read back
from the DOCX and the PDF, its tasks reminded to the member in charge a week before their date
(once, and moved when the task is corrected), and the rules of domain/resolution.py."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain import resolution as rules
from domain.errors import UserError
from storage import outbox
from storage.outbox import OutboxMessage
from tests.cell_setup import local, say, tick
from tests.conftest import TZ
from tests.test_minutes import STEPS, documents, held_meeting

TASKS = "Thu đảng phí quý I (Cường, 15/01); Vận động 5 hộ góp công làm đường (Bình, 20/01/2027)"


async def with_minutes(app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    """Meeting 1 (05/01/2027) with its minutes; Bình reported twice in December, Cường once, and once in
    November (not counted): December's results are 2 of 6 expected members, 3 activities."""
    clock.set(local("2026-12-20 09:00"))
    await held_meeting(app, clock, memory)
    clock.set(local("2026-12-20 09:00"))
    await say(app, "binh", "/baocao 1 15/12 Học tập Nghị quyết Đại hội XIV")
    await say(app, "binh", "/baocao 3 16/12 Dọn vệ sinh khu phố")
    await say(app, "cuong", "/baocao 3 17/12 Vận động hộ nghèo")
    await say(app, "cuong", "/baocao 2 20/11 Trực bầu cử")
    clock.set(local("2027-01-05 21:30"))
    await say(app, "an", "/bienban 1")
    for answer in STEPS:
        await say(app, "an", answer)
    memory.take()


async def reminders(app: Chibo) -> list[OutboxMessage]:
    async with app.db.session() as session:
        return list((await session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == outbox.NOTICE).order_by(col(OutboxMessage.due_at)))).all())


async def test_the_resolution_is_drafted_and_its_papers_hold_it(
        app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    from docx import Document
    from pypdf import PdfReader

    await with_minutes(app, clock, memory)
    await say(app, "an", "/nghiquyet 1")
    draft = memory.texts_to("an")[-1]
    assert "Tháng 12/2026: 2/6 đảng viên báo cáo 3 hoạt động: học tập, quán triệt nghị quyết 1; " \
           "hoạt động ở nơi cư trú, đoàn thể 2." in draft
    await say(app, "an", "giữ")
    await say(app, "an", TASKS)
    docx, pdf = documents(memory)
    document = Document(str(docx))
    word = "\n".join([p.text for p in document.paragraphs]
                     + [p.text for t in document.tables for c in t.rows[0].cells for p in c.paragraphs])
    pdf_text = " ".join(" ".join(page.extract_text() for page in PdfReader(str(pdf)).pages).split())
    for text in ["ĐẢNG CỘNG SẢN VIỆT NAM", "NGHỊ QUYẾT", "Sinh hoạt chi bộ thường kỳ tháng 1/2027",
                 "có mặt 4/6 đảng viên phải dự", "CHI BỘ QUYẾT NGHỊ",
                 "Tháng 12/2026: 2/6 đảng viên báo cáo 3 hoạt động",
                 "1. Thu đảng phí quý I — phụ trách: đồng chí Lê Văn Cường; thời hạn: 15/01/2027.",
                 "2. Vận động 5 hộ góp công làm đường — phụ trách: đồng chí Trần Thị Bình; thời hạn: 20/01/2027.",
                 "Tán thành 4/4 đồng chí có mặt", "T/M CHI BỘ", "Nguyễn Văn An"]:
        assert text in word, f"DOCX lacks {text!r}"
        assert text in pdf_text, f"PDF lacks {text!r}"


async def test_tasks_are_reminded_a_week_before_once(app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    await with_minutes(app, clock, memory)
    await say(app, "an", "/nghiquyet 1")
    await say(app, "an", "giữ")
    await say(app, "an", TASKS)
    memory.take()
    # Cường's task is due 15/01: reminded 08/01 08:00; Bình's 20/01: 13/01 08:00.
    await tick(app, clock, "2027-01-08 07:59")
    assert memory.texts_to("cuong") == []
    await tick(app, clock, "2027-01-08 08:00")
    assert memory.texts_to("cuong") == [
        "Nhắc việc theo nghị quyết Chi bộ thử tháng 1/2027: đồng chí phụ trách «Thu đảng phí quý I», hạn 15/01/2027. "
        "Hoàn thành thì đồng chí báo cáo bằng /baocao nhiemvu <việc đã làm>."]
    # Drawing the papers again plans nothing twice.
    await say(app, "an", "/nghiquyet 1")
    await tick(app, clock, "2027-01-08 09:00")
    assert len(memory.texts_to("cuong")) == 1
    # Bình's task moves to 25/01: its reminder moves to 18/01.
    await say(app, "an", "/nghiquyet 1 sua nhiemvu")
    await say(app, "an", "Thu đảng phí quý I (Cường, 15/01); Vận động 5 hộ góp công làm đường (Bình, 25/01)")
    await tick(app, clock, "2027-01-13 08:00")
    assert memory.texts_to("binh") == []
    await tick(app, clock, "2027-01-18 08:00")
    assert ["hạn 25/01/2027" in text for text in memory.texts_to("binh")] == [True]
    statuses = sorted((row.status, row.due_at.astimezone(TZ).strftime("%d/%m")) for row in await reminders(app))
    assert statuses == [("dropped", "13/01"), ("sent", "08/01"), ("sent", "18/01")]


async def test_no_resolution_without_minutes(app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    await held_meeting(app, clock, memory)
    await say(app, "an", "/nghiquyet 1")
    assert "chưa có biên bản" in memory.texts_to("an")[-1]


def test_tasks_as_typed() -> None:
    found = rules.parse_tasks("Thu đảng phí (Cường, 15/01)\n- Làm đường (3, 20/1/2027).", date(2027, 1, 5))
    assert [(t.what, t.who, t.due) for t in found] == [
        ("Thu đảng phí", "Cường", date(2027, 1, 15)), ("Làm đường", "3", date(2027, 1, 20))]


@pytest.mark.parametrize("typed", ["Thu đảng phí", "Thu đảng phí (Cường)", "Thu đảng phí (Cường, 31/02)"])
def test_tasks_refused(typed: str) -> None:
    with pytest.raises(UserError):
        rules.parse_tasks(typed, date(2027, 1, 5))


def test_the_reminder_is_due_a_week_before() -> None:
    assert rules.reminder_due(date(2027, 1, 20), local("2027-01-05 21:00"), TZ) == local("2027-01-13 08:00")
    assert rules.reminder_due(date(2027, 1, 8), local("2027-01-05 21:00"), TZ) == local("2027-01-05 21:00")
    assert rules.reminder_due(date(2027, 1, 4), local("2027-01-05 21:00"), TZ) is None
