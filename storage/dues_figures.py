"""A cell's dues over some months, as the secretary, /tonghop and the workbook show them.

For the members of each cell (today's members, in roster order), read on a reference day (the
period's last day, or today while it runs): what the months owe, what was received in them, who
paid the last month, who owes it, who is exempt, who has no amount declared, the arrears (ended
months not paid in full) and the year's overdue months behind the removal warning. Three queries
for any number of cells; the months are filled by `domain.dues.allocate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, select, union
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import dues
from domain.dues import MonthState
from storage import dues as book
from storage.prepared import Prepared, among
from storage.tables import Member
from storage.types import table_of

_MEMBER = table_of(Member)


@dataclass(frozen=True, slots=True)
class Person:
    member_id: int
    full_name: str


@dataclass(slots=True)
class CellDues:
    """One cell's dues for the months [first, last] as of the reference day."""

    cell_id: int
    expected: int = 0  # owed over the months
    received: int = 0  # money received over the months (arrears and advances included)
    paid: list[tuple[Person, int]] = field(default_factory=list)  # the last month settled: what it owed
    unpaid: list[tuple[Person, int]] = field(default_factory=list)  # the last month not settled: what is left
    exempt: list[tuple[Person, str]] = field(default_factory=list)  # exempt in the last month: the ground
    undeclared: list[Person] = field(default_factory=list)  # no amount declared for the last month
    arrears: list[tuple[Person, list[MonthState]]] = field(default_factory=list)  # ended months not settled
    overdue: list[tuple[Person, list[date]]] = field(default_factory=list)  # ≥ 3 ended months of the year unpaid
    kept: int = 0  # the cell's share of what was received
    remitted: int = 0  # the rest, owed to the committee

    @property
    def declared(self) -> bool:
        """Whether the cell keeps its dues book in chibo at all (else summaries leave dues out)."""
        return bool(self.paid or self.unpaid or self.exempt or self.received)

    @property
    def arrears_total(self) -> int:
        return sum(state.unpaid for _person, states in self.arrears for state in states)


def combine(parts: Sequence[CellDues]) -> CellDues:
    """A committee's dues: the sum of its cells' (lists joined)."""
    total = CellDues(0)
    for part in parts:
        total.expected += part.expected
        total.received += part.received
        total.kept += part.kept
        total.remitted += part.remitted
        total.paid += part.paid
        total.unpaid += part.unpaid
        total.exempt += part.exempt
        total.undeclared += part.undeclared
        total.arrears += part.arrears
        total.overdue += part.overdue
    return total


def reference_day(last: date, today: date) -> date:
    """The day figures are read on: the last month's last day, or today while it runs."""
    return min(dues.add_months(last, 1) - timedelta(days=1), today)


async def members_of(session: AsyncSession, cell_ids: Sequence[int]) -> dict[int, list[Person]]:
    """Today's active members of each cell in roster order (member id)."""
    member = _MEMBER.c
    rows = await session.execute(
        select(member.id, member.cell_id, member.full_name)
        .where(and_(member.cell_id.in_(list(cell_ids)), member.active.is_(True))).order_by(member.cell_id, member.id))
    found: dict[int, list[Person]] = {cell_id: [] for cell_id in cell_ids}
    for row in rows:
        found[row.cell_id].append(Person(row.id, row.full_name))
    return found


def _books() -> Any:
    member = _MEMBER.c
    booked = union(*(select(table.c.member_id) for table in (table_of(book.DuesRate), table_of(book.DuesEntry))))
    return (select(member.cell_id).distinct()
            .where(member.id.in_(booked), among(member.cell_id, "ids"), member.active.is_(True)))


_BOOKS = Prepared(_books)


async def keeping_books(session: AsyncSession, cell_ids: Sequence[int]) -> list[int]:
    """The cells with a dues book in chibo: some active member has an amount declared or money
    recorded. A cell without one shows no dues at all, so a summary need not read its members.

    Read from the dues rows towards their members (their member index, then the member by key):
    a committee that keeps no book reads nothing, where walking its ten thousand members probed
    both tables for each (4 ms of a committee's `/tonghop`). Asked by every summary: prepared once
    (storage/prepared.py)."""
    found = {cell_id for (cell_id,) in await _BOOKS.all(session, long=len(cell_ids) > 1, ids=list(cell_ids))}
    return [cell_id for cell_id in cell_ids if cell_id in found]


async def cell_dues(session: AsyncSession, cell_ids: Sequence[int], unit_id: int, first: date, last: date,
                    today: date, *, books_only: bool = False) -> dict[int, CellDues]:
    """Each cell's dues for the months `first` … `last` (first days), read on the reference day;
    the minimum wage and the cell's share are `unit_id`'s settings (the committee's, or a cell's).
    With `books_only`, a cell that keeps no dues book is left empty (not `declared`) unread."""
    day = reference_day(last, today)
    ended_before = dues.month_of(day + timedelta(days=1))  # months before this one have ended
    read = await keeping_books(session, cell_ids) if books_only else list(cell_ids)
    if not read:
        return {cell_id: CellDues(cell_id) for cell_id in cell_ids}
    members = await members_of(session, read)
    ids = [person.member_id for people in members.values() for person in people]
    if not ids:
        return {cell_id: CellDues(cell_id) for cell_id in cell_ids}
    known = await book.book(session, ids, unit_id, last, day)
    received = await book.received(session, ids, first, dues.add_months(last, 1))
    share = await book.cell_share(session, unit_id)
    found: dict[int, CellDues] = {}
    for cell_id, people in members.items():
        cell = found[cell_id] = CellDues(cell_id)
        for person in people:
            allocation = known.allocations[person.member_id]
            cell.received += received.get(person.member_id, 0)
            cell.expected += sum(state.owed for state in allocation.months if first <= state.month <= last)
            state = allocation.state(last)
            if state is None:
                cell.undeclared.append(person)
            elif state.exempt is not None:
                cell.exempt.append((person, state.exempt))
            elif state.settled:
                cell.paid.append((person, state.owed))
            else:
                cell.unpaid.append((person, state.unpaid))
            late = allocation.unpaid_months(before=ended_before)
            if late:
                cell.arrears.append((person, late))
            overdue = allocation.overdue_in_year(last.year, ended_before)
            if len(overdue) >= dues.REMOVAL_MONTHS:
                cell.overdue.append((person, overdue))
        cell.kept, cell.remitted = dues.remit(cell.received, share)
    return {cell_id: found.get(cell_id) or CellDues(cell_id) for cell_id in cell_ids}
