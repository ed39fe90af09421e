"""Party development's deadline reminders through the outbox: ahead of the ceremony and the review to
the secretary, a missed one to the committee as well, none once the deadline is met (issue 15)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from domain.history import Event, EventKind
from domain.vocabulary import Status
from storage import candidates, membership
from storage.db import Database
from storage.tables import Member
from storage.types import id_of
from tests.conftest import TZ
from tests.test_roster_commands import World, make_world, talk


@pytest.fixture
async def ward(db: Database, clock: ManualClock) -> World:
    """The ward of tests/test_roster_commands.py: khu phố 1 (An secretary, Bình, Cường, Dung), khu
    phố 2 (Lan), khu phố 3 (empty); Phúc on the committee; Sơn on another committee."""
    return await make_world(db, clock)


async def at(app: Chibo, clock: ManualClock, memory: MemoryChannel, when: str) -> dict[str, list[str]]:
    """Move the clock, deliver what is due; what each chat received about Party development (the
    committee's self-assessment deadline in December has its own reminders)."""
    memory.take()
    clock.set(datetime.fromisoformat(when).replace(tzinfo=TZ))
    await app.tick()
    got: dict[str, list[str]] = {}
    for sent in memory.take():
        if "phát triển đảng viên" in sent.reply.text.lower():
                got.setdefault(sent.to.chat_id, []).append(sent.reply.text)
    return got


async def decided_candidate(db: Database, ward: World) -> None:
    async with db.session() as session:
        found = await candidates.add(session, committee_id=ward.committee, cell_id=ward.kp1,
                                     full_name="Lê Thị Hoa", gender="nu", birth_year=2001, youth_union=True,
                                     listed_on=date(2026, 3, 2), by=None)
        found.class_on, found.application_on, found.introducers = date(2026, 4, 10), date(2026, 5, 4), "An, Bình"
        found.introduced_on, found.voted_on = date(2026, 5, 4), date(2026, 11, 18)
        found.votes_for, found.votes_of = 3, 4
        found.decided_on = date(2026, 11, 19)
        session.add(found)
        await session.commit()


async def test_the_ceremony_reminded_a_week_ahead_and_missed_to_the_committee(
        app: Chibo, memory: MemoryChannel, db: Database, ward: World, clock: ManualClock) -> None:
    await decided_candidate(db, ward)
    # Decided Thursday 19/11/2026: 30 working days end on 31/12/2026 (no holiday between); 7 days before: 24/12.
    assert await at(app, clock, memory, "2026-12-24 07:59") == {}
    got = await at(app, clock, memory, "2026-12-24 08:00")
    assert got == {"an": [
        "Nhắc hạn phát triển đảng viên: lễ kết nạp quần chúng Lê Thị Hoa (số 1, Chi bộ khu phố 1) phải tổ chức chậm "
        "nhất ngày 31/12/2026 (30 ngày làm việc từ quyết định kết nạp ngày 19/11/2026), còn 7 ngày. Khi đã tổ chức, "
        "ghi: /nguon 1 ketnap dd/mm/yyyy"]}
    assert await at(app, clock, memory, "2026-12-31 20:00") == {}
    got = await at(app, clock, memory, "2027-01-01 08:00")
    assert sorted(got) == ["an", "phuc"]  # the secretary and the committee member; not Lan (another cell)
    assert got["phuc"][0].startswith("QUÁ HẠN phát triển đảng viên: chưa tổ chức lễ kết nạp quần chúng Lê Thị Hoa")
    assert await at(app, clock, memory, "2027-01-05 08:00") == {}  # once


async def test_no_reminder_once_the_ceremony_is_held(
        app: Chibo, memory: MemoryChannel, db: Database, ward: World, clock: ManualClock) -> None:
    await decided_candidate(db, ward)
    await at(app, clock, memory, "2026-12-24 08:00")
    held = await talk(app, memory, "an", "/nguon 1 ketnap 24/12/2026")
    assert held.startswith("Đã ghi: lễ kết nạp Lê Thị Hoa ngày 24/12/2026.")
    assert await at(app, clock, memory, "2027-01-02 08:00") == {}


async def test_the_review_reminded_at_twelve_months_ahead_of_its_day_and_not_after_recognition(
        app: Chibo, memory: MemoryChannel, db: Database, ward: World, clock: ManualClock) -> None:
    async with db.session() as session:
        member = Member(cell_id=ward.kp1, full_name="Vũ Văn Tân", name_key="vu van tan", status=Status.PROBATIONARY,
                        admitted_on=date(2025, 12, 1))
        session.add(member)
        await session.flush()
        await membership.record(session, id_of(member), Event(EventKind.ADMITTED, date(2025, 12, 1), cell_id=ward.kp1),
                                today=date(2026, 11, 20))
        await session.commit()
    # 12 months: Tuesday 01/12/2026. 30 working days after: Dec 2–4 (3), 7–11 (8), 14–18 (13), 21–25 (18),
    # 28–31 (22), 01/01/2027 a holiday, Jan 4–8 (27), 11–13 (30): 13/01/2027; 7 days before: 06/01/2027.
    got = await at(app, clock, memory, "2026-12-01 08:00")
    assert got == {"an": [
        "Phát triển đảng viên: đảng viên dự bị Vũ Văn Tân (Chi bộ khu phố 1) đủ 12 tháng dự bị hôm nay (01/12/2026). "
        "Chi bộ xét, đề nghị công nhận đảng viên chính thức chậm nhất ngày 13/01/2027 (30 ngày làm việc)."]}
    got = await at(app, clock, memory, "2027-01-06 08:00")
    assert got["an"][0].startswith("Nhắc hạn phát triển đảng viên: chi bộ xét, đề nghị công nhận chính thức đảng viên "
                                   "dự bị Vũ Văn Tân (Chi bộ khu phố 1) chậm nhất ngày 13/01/2027, còn 7 ngày")
    await at(app, clock, memory, "2027-01-08 09:00")
    assert "Đã ghi: Vũ Văn Tân được công nhận" in await talk(app, memory, "phuc", "/dubi Tân congnhan 08/01/2027")
    assert await at(app, clock, memory, "2027-01-14 08:00") == {}
