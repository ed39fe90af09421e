"""Probation's other outcomes (issue 15): the cell's review recorded (`/dubi <số|tên> danhgia`), which
stops the review's reminders, and the committee ending probation (`/dubi <số|tên> chamdut`: removed
from the list of probationary members, a membership event that ends the membership). Extending
probation is not recorded: domain.md says nothing of it, and the bot says what it can record instead."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.history import Event, EventKind
from domain.vocabulary import Status
from storage import membership
from storage.db import Database
from storage.tables import Member
from storage.types import id_of
from tests.conftest import TZ
from tests.test_development_reminders import at
from tests.test_roster_commands import World, cached, events, make_world, standing, talk


@pytest.fixture
async def ward(db: Database, clock: ManualClock) -> World:
    """tests/test_roster_commands.py's ward (today 20/11/2026), with Vũ Văn Tân admitted to khu phố 1
    on 01/12/2025: 12 months on Tuesday 01/12/2026, the review due 13/01/2027 (30 working days:
    Dec 2–4 (3), 7–11 (8), 14–18 (13), 21–25 (18), 28–31 (22), 01/01 a holiday, Jan 4–8 (27), 11–13 (30))."""
    world = await make_world(db, clock)
    async with db.session() as session:
        member = Member(cell_id=world.kp1, full_name="Vũ Văn Tân", name_key="vu van tan", status=Status.PROBATIONARY,
                        admitted_on=date(2025, 12, 1))
        session.add(member)
        await session.flush()
        await membership.record(session, id_of(member), Event(EventKind.ADMITTED, date(2025, 12, 1), cell_id=world.kp1),
                                today=date(2026, 11, 20))
        await session.commit()
        world.ids["tan"] = id_of(member)
    return world


async def test_the_cell_s_review_is_recorded_and_its_reminders_stop(
        app: Chibo, memory: MemoryChannel, db: Database, ward: World, clock: ManualClock) -> None:
    early = await talk(app, memory, "an", "/dubi Tân đánh giá 19/11/2026")
    assert early == ("Vũ Văn Tân kết nạp ngày 01/12/2025, đủ 12 tháng dự bị ngày 01/12/2026: chi bộ xét từ ngày đó.")
    got = await at(app, clock, memory, "2026-12-01 08:00")
    assert list(got) == ["an"] and "đủ 12 tháng dự bị hôm nay (01/12/2026)" in got["an"][0]
    clock.set(datetime(2026, 12, 3, 9, 0, tzinfo=TZ))
    assert "Thiếu ngày chi bộ xét (dd/mm/yyyy)" in await talk(app, memory, "an", "/dubi 1 danhgia")
    done = await talk(app, memory, "an", "/dubi 1 danhgia 02/12/2026")
    assert done == ("Đã ghi: chi bộ xét, đề nghị công nhận đảng viên chính thức Vũ Văn Tân ngày 02/12/2026. Không nhắc "
                    "hạn chi bộ xét nữa. Cấp ủy viên ghi quyết định: /dubi Vũ Văn Tân congnhan dd/mm/yyyy.")
    tan = ward.ids["tan"]
    assert [(e.kind, e.on) for e in await events(db, tan)] == [
        (EventKind.ADMITTED, date(2025, 12, 1)), (EventKind.REVIEWED, date(2026, 12, 2))]
    still = await cached(db, tan)
    assert (still.status, still.active, still.cell_id) == (Status.PROBATIONARY, True, ward.kp1)
    listed = await talk(app, memory, "an", "/dubi")
    assert "   - Chi bộ đã xét, đề nghị công nhận chính thức ngày 02/12/2026: chờ cấp ủy quyết định" in listed
    assert "hạn 13/01/2027" not in listed
    assert "Chi bộ đã xét, đề nghị công nhận chính thức ngày 02/12/2026" in await talk(app, memory, "phuc", "/nguon")
    # Without the review these would come: 7 days before (06/01/2027) and the morning after (14/01/2027).
    assert await at(app, clock, memory, "2027-01-06 08:00") == {}
    assert await at(app, clock, memory, "2027-01-14 08:00") == {}
    assert "Đã ghi: Vũ Văn Tân được công nhận" in await talk(app, memory, "phuc", "/dubi Tân công nhận 14/01/2027")


async def test_the_committee_ends_probation(
        app: Chibo, memory: MemoryChannel, db: Database, ward: World, clock: ManualClock) -> None:
    refused = await talk(app, memory, "an", "/dubi Tân chamdut 18/11/2026")
    assert refused == "Xóa tên khỏi danh sách đảng viên dự bị do cấp ủy viên đảng bộ ghi."
    extend = await talk(app, memory, "phuc", "/dubi Tân gia hạn 18/11/2026")
    assert extend.startswith("Bot chưa ghi việc gia hạn thời gian dự bị.")
    assert "trước ngày kết nạp 01/12/2025" in await talk(app, memory, "phuc", "/dubi Tân chamdut 30/11/2025")
    done = await talk(app, memory, "phuc", "/dubi Tân chấm dứt 18/11/2026")
    assert done == ("Đã ghi: Vũ Văn Tân bị xóa tên khỏi danh sách đảng viên dự bị (quyết định ngày 18/11/2026); thôi "
                    "là đảng viên của Chi bộ khu phố 1 từ ngày đó. Không nhắc hạn xét nữa.")
    tan = ward.ids["tan"]
    assert [(e.kind, e.on) for e in await events(db, tan)][-1] == (EventKind.REMOVED, date(2026, 11, 18))
    assert (await cached(db, tan)).active is False
    before = await standing(db, tan, date(2026, 11, 17))
    assert before is not None and before.cell_id == ward.kp1 and before.status == Status.PROBATIONARY
    after = await standing(db, tan, date(2026, 11, 18))
    assert after is not None and after.active is False
    assert "Vũ Văn Tân" not in await talk(app, memory, "an", "/dubi")
    assert await at(app, clock, memory, "2026-12-01 08:00") == {}  # no 12-month reminder for a removed member
