"""A summary reads dues only for the cells that keep their book in chibo, and for those exactly as
the secretary's view does (issue 12: a committee's /tonghop must not walk every member for dues)."""

from __future__ import annotations

from datetime import date

from bot.app import Chibo
from bot.channels.memory import MemoryChannel
from bot.clock import ManualClock
from storage import org
from storage.db import Database
from storage.dues_figures import cell_dues, keeping_books
from storage.types import id_of
from tests.cell_setup import make_cell, say

PEOPLE = {"an": "Nguyễn Văn An", "binh": "Trần Thị Bình", "cuong": "Lê Văn Cường"}


async def test_only_cells_keeping_a_book_are_read_and_theirs_are_unchanged(
    app: Chibo, memory: MemoryChannel, db: Database, clock: ManualClock,
) -> None:
    cell = await make_cell(db, clock.now(), PEOPLE, exempt=())
    async with db.session() as session:
        committee = await org.find_committee(session, "Đảng bộ thử")
        assert committee is not None
        other, _, _ = await org.create_cell(session, committee, "Chi bộ không giữ sổ")
        await org.add_member(session, id_of(other), "Đỗ Văn Hòa")
        await session.commit()
    await say(app, "an", "/dangphi muc Binh 45000")
    await say(app, "an", "/dangphi thu Binh 45000")
    cells = [cell.id, id_of(other)]
    month, today = date(2026, 11, 1), clock.now().date()
    async with db.session() as session:
        assert await keeping_books(session, cells) == [cell.id]
        every = await cell_dues(session, cells, id_of(committee), month, month, today)
        books = await cell_dues(session, cells, id_of(committee), month, month, today, books_only=True)
    assert books[cell.id] == every[cell.id] and books[cell.id].declared
    assert [p.full_name for p, _owed in books[cell.id].paid] == ["Trần Thị Bình"]  # 45.000đ of 45.000đ
    assert not every[id_of(other)].declared and not books[id_of(other)].declared
    assert books[id_of(other)].undeclared == []  # not read at all
