"""The committee's /tonghop lines mark each cell's minutes (issue 13): of the period's ended
meetings, how many have their minutes produced; no mark at all while none of the committee's
cells has produced minutes in chibo (it keeps them on paper: the lines stay as they were)."""

from __future__ import annotations

from sqlmodel import select

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.vocabulary import Position, UnitKind
from storage import org
from storage.tables import OrgUnit
from tests.cell_setup import say, tick
from tests.test_minutes import STEPS, held_meeting


def _cell_line(memory: MemoryChannel) -> str:
    text = next(t for t in reversed(memory.texts_to("binh")) if t.startswith("TỔNG HỢP") or "Các chi bộ" in t)
    lines = text.split("\n")
    return lines[lines.index("Các chi bộ (yếu trước: dự họp thấp, rồi báo cáo thấp)") + 1]


async def test_the_committee_lines_count_the_minutes(app: Chibo, clock: ManualClock, memory: MemoryChannel) -> None:
    cell = await held_meeting(app, clock, memory)  # meeting 1, 05/01/2027, its roll call taken
    await say(app, "an", "/lichhop 20/01/2027 19:30 chuyên đề Học tập Nghị quyết")
    await tick(app, clock, "2027-01-20 22:00")  # meeting 2 ended, no roll call
    async with app.db.session() as session:
        committee = (await session.exec(select(OrgUnit).where(OrgUnit.kind == UnitKind.COMMITTEE))).one()
        await org.grant_role(session, cell.members["binh"], int(committee.id or 0), Position.COMMITTEE_MEMBER)
        await session.commit()
    await say(app, "binh", "/tonghop tháng 1/2027")
    assert "biên bản" not in _cell_line(memory)  # no minutes in chibo yet: the line as before
    await say(app, "an", "/bienban 1")
    for answer in STEPS:
        await say(app, "an", answer)
    await say(app, "binh", "/tonghop tháng 1/2027")
    # January: 2 meetings ended (1 with its roll call, 2 without); minutes produced for meeting 1 only.
    assert _cell_line(memory).endswith("; biên bản 1/2 buổi")
    await say(app, "binh", "/tonghop tháng 12/2026")  # no meeting ended in December: nothing to count
    assert "biên bản" not in _cell_line(memory)
