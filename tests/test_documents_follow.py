"""A meeting's documents waiting to go follow the meeting (issue 13): moved, they go with its new
reminder a day before and name its new time; cancelled, they do not go at all."""

from __future__ import annotations

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from tests.cell_setup import local, make_cell, say, tick
from tests.test_minutes import PEOPLE


def _documents(memory: MemoryChannel) -> list[tuple[str, str]]:
    return [(s.to.chat_id, s.reply.text) for s in memory.sent if s.reply.text.startswith("Tài liệu")]


async def _attached(app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    clock.set(local("2026-12-20 09:00"))
    await make_cell(app.db, clock.now(), PEOPLE)
    await say(app, "an", "/caidat nhacnho 3n 1n 2g")
    await say(app, "an", "/lichhop 05/01/2027 19:30 tại Nhà văn hóa khu phố 7")
    await say(app, "an", "/tailieu 1 https://drive.google.com/file/d/bc12 Báo cáo tháng 12")
    memory.take()


async def test_a_moved_meetings_documents_go_with_its_new_reminder(
        app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    await _attached(app, clock, memory)
    # Moved a week later: the "1n" reminder is now 11/01 08:00, not 04/01.
    await say(app, "an", "/doihop 1 12/01/2027 19:30")
    await tick(app, clock, "2027-01-04 08:00")
    assert _documents(memory) == []
    await tick(app, clock, "2027-01-11 07:59")
    assert _documents(memory) == []
    await tick(app, clock, "2027-01-11 08:00")
    got = _documents(memory)
    assert len(got) == 6  # each expected member once
    assert dict(got)["binh"] == ("Tài liệu buổi số 1 (sinh hoạt thường kỳ tháng 1/2027), 19:30 Thứ Ba, 12/01/2027:\n"
                                 "1. Báo cáo tháng 12: https://drive.google.com/file/d/bc12\n"
                                 "Đồng chí vui lòng đọc trước khi họp.")
    memory.take()
    await tick(app, clock, "2027-01-12 08:00")
    assert _documents(memory) == []


async def test_a_meeting_moved_earlier_sends_them_at_once_when_its_reminder_has_passed(
        app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    await _attached(app, clock, memory)
    await tick(app, clock, "2026-12-28 10:00")
    await say(app, "an", "/doihop 1 29/12/2026 19:30")  # its "1n" (28/12 08:00) has passed: at once
    await tick(app, clock, "2026-12-28 10:01")
    assert len(_documents(memory)) == 6
    assert "19:30 Thứ Ba, 29/12/2026:" in dict(_documents(memory))["binh"]


async def test_a_cancelled_meetings_documents_are_not_sent(
        app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    await _attached(app, clock, memory)
    await say(app, "an", "/huyhop 1 Trùng lịch bầu cử")
    await tick(app, clock, "2027-01-04 08:00")
    await tick(app, clock, "2027-01-05 08:00")
    assert _documents(memory) == []
