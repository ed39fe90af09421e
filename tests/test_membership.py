"""storage.membership: events are the truth; spans and the member row's cached state are derived
from them by the same code path, and the calendar's changes reach the cache through the planner."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import col

from domain.history import Event, EventKind, spans
from domain.vocabulary import Status
from schedules.planner import Planner
from storage import membership, org
from storage.db import Database
from storage.membership import MembershipSpan
from storage.tables import Member
from storage.types import id_of

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


async def _cell(db: Database) -> tuple[int, int, int]:
    async with db.session() as session:
        committee, _ = await org.create_committee(session, "Đảng bộ phường Tân Định")
        one, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 1")
        two, _, _ = await org.create_cell(session, committee, "Chi bộ khu phố 2")
        member = await org.add_member(session, id_of(one), "Trần Thị Bình", today=date(2026, 11, 20))
        await session.commit()
        return id_of(one), id_of(two), id_of(member)


async def _spans(db: Database, member_id: int) -> list[tuple[int, str, date, date | None]]:
    async with db.session() as session:
        rows = (await session.execute(select(MembershipSpan).where(col(MembershipSpan.member_id) == member_id)
                                      .order_by(col(MembershipSpan.start)))).scalars().all()
        return [(row.cell_id, row.status, row.start, row.end) for row in rows]


async def test_spans_and_cache_follow_the_events(db: Database) -> None:
    one, two, member_id = await _cell(db)
    async with db.session() as session:
        await membership.record(session, member_id, Event(EventKind.TRANSFERRED, date(2027, 2, 10), cell_id=two),
                                today=date(2027, 2, 10))
        await session.commit()
    assert await _spans(db, member_id) == [(one, "official", date(1900, 1, 1), date(2027, 2, 10)),
                                           (two, "official", date(2027, 2, 10), None)]
    async with db.session() as session:
        events = await membership.events_of(session, member_id)
        member = await session.get(Member, member_id)
        assert member is not None and (member.cell_id, member.status, member.active) == (two, "official", True)
    # The stored spans are exactly those derived from the stored events: one source of truth.
    derived = [(s.standing.cell_id, str(s.standing.status), s.start, s.end) for s in spans(events)]
    assert derived == await _spans(db, member_id)


async def test_an_exemption_that_ends_reaches_the_cache_through_the_planner(db: Database) -> None:
    _one, _two, member_id = await _cell(db)
    async with db.session() as session:
        await membership.record(session, member_id, Event(EventKind.EXEMPTED, date(2026, 11, 1),
                                                          until=date(2026, 12, 31)), today=date(2026, 11, 20))
        await session.commit()
        member = await session.get(Member, member_id)
        assert member is not None and member.status == Status.EXEMPT
    planner = Planner(db, TZ)
    await planner.plan(datetime(2026, 12, 31, 12, 0, tzinfo=UTC))  # still exempt on its last day
    async with db.session() as session:
        assert (await session.get(Member, member_id)).status == Status.EXEMPT  # type: ignore[union-attr]
    await planner.plan(datetime(2027, 1, 1, 1, 0, tzinfo=UTC))  # 08:00 on 1 January in Vietnam
    async with db.session() as session:
        assert (await session.get(Member, member_id)).status == Status.OFFICIAL  # type: ignore[union-attr]
