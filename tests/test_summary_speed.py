"""The speed work on /tonghop (issue 12) keeps its figures: the year's absences counted in SQL list
the same members, and the bot's start-up objects are frozen out of the collector's reach."""

from __future__ import annotations

import gc
from types import SimpleNamespace
from typing import Any

import pytest

from bot import runner, service
from bot.clock import ManualClock
from domain.vocabulary import MeetingStatus, Presence
from storage import summary
from storage.db import Database
from storage.meetings import Attendance, Meeting
from storage.types import id_of
from tests.cell_setup import local, make_cell
from tests.conftest import TZ

A, P = Presence.ABSENT, Presence.PRESENT


async def test_absences_at_least_lists_only_members_absent_that_often(db: Database, clock: ManualClock) -> None:
    cell = await make_cell(db, clock.now(), {"an": "Nguyễn Văn An", "binh": "Trần Văn Bình",
                                             "em": "Hoàng Văn Em", "hoa": "Đỗ Văn Hòa"})
    an, binh, em, hoa = (cell.members[k] for k in ("an", "binh", "em", "hoa"))
    # Em absent in 3 months (twice in March), Bình in 2, Hòa (exempt) in 4: only Em reaches three.
    plan = [("2027-01-05", A, A, A), ("2027-03-05", P, A, A), ("2027-03-20", P, A, A), ("2027-04-05", A, P, A)]
    async with db.session() as session:
        for day, binh_status, em_status, hoa_status in plan:
            start = local(f"{day} 19:30")
            meeting = Meeting(cell_id=cell.id, starts_at=start, status=MeetingStatus.ENDED, ended_at=start,
                              roll_call_at=start)
            session.add(meeting)
            await session.flush()
            for member, status in ((an, P), (binh, binh_status), (em, em_status), (hoa, hoa_status)):
                session.add(Attendance(meeting_id=id_of(meeting), member_id=member, status=status))
        await session.commit()
        every = await summary.absences(session, [cell.id], 2027, TZ)
        often = await summary.absences(session, [cell.id], 2027, TZ, at_least=3)
        none = await summary.absences(session, [cell.id], 2027, TZ, at_least=5)
    assert every == {cell.id: {binh: [1, 4], em: [1, 3]}}
    assert often == {cell.id: {em: [1, 3]}}  # four absences counted, three of them in March and January
    assert none == {}


async def test_the_bot_freezes_what_start_up_built(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    async def dispose() -> None:
        return None

    async def build_app(settings: Any) -> Any:
        return SimpleNamespace(db=SimpleNamespace(dispose=dispose))

    async def serve(app: Any, settings: Any, *, webhook: bool, on_stop: list[Any]) -> None:
        seen.append(gc.get_freeze_count())

    monkeypatch.setattr(runner, "build_app", build_app)
    monkeypatch.setattr(runner, "attach_scheduler", lambda app, settings, live: SimpleNamespace(stop=None))
    monkeypatch.setattr(service, "serve", serve)
    gc.unfreeze()
    try:
        settings = SimpleNamespace(telegram_bot_token="123:abc", zalo_bot_token="")
        assert await runner.run(settings, user="x") == 0  # type: ignore[arg-type]
    finally:
        gc.unfreeze()
    assert seen and seen[0] > 0
