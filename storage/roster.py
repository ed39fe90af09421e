"""A cell's roster as leaders see it: numbered members, and finding one by number or name.

Numbers follow the order members were added (member id), so a member who joins later is
appended and the numbers others were given in a list stay valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.text import fold, whole_number
from domain.vocabulary import UnitKind
from storage.tables import Member, OrgUnit
from storage.types import table_of

_MEMBER = table_of(Member)
_UNIT = table_of(OrgUnit)


@dataclass(frozen=True, slots=True)
class Entry:
    number: int  # 1-based position in the cell's list
    member_id: int
    cell_id: int
    full_name: str
    name_key: str
    status: str
    admitted_on: date | None = None


async def cell_roster(session: AsyncSession, cell_ids: list[int]) -> list[Entry]:
    """The active members of these cells (usually one), numbered from 1, cell by cell."""
    rows = await session.execute(
        select(_MEMBER.c.id, _MEMBER.c.cell_id, _MEMBER.c.full_name, _MEMBER.c.name_key, _MEMBER.c.status,
               _MEMBER.c.admitted_on)
        .where(and_(_MEMBER.c.cell_id.in_(cell_ids), _MEMBER.c.active.is_(True)))
        .order_by(_MEMBER.c.cell_id, _MEMBER.c.id)
    )
    return [Entry(i, r.id, r.cell_id, r.full_name, r.name_key, r.status, r.admitted_on) for i, r in enumerate(rows, 1)]


def find(roster: list[Entry], text: str) -> list[Entry]:
    """Members matching a number or a name (any case, with or without diacritics).

    A full name wins; else the given name or last words ("Bình", "Thị Bình"); else any part.
    More than one result means the text is ambiguous: the caller lists them.
    """
    key = fold(text)
    if not key:
        return []
    number = whole_number(key)
    if number is not None:
        return [e for e in roster if e.number == number]
    exact = [e for e in roster if e.name_key == key]
    if exact:
        return exact
    ending = [e for e in roster if e.name_key.endswith(" " + key)]
    if ending:
        return ending
    return [e for e in roster if f" {key} " in f" {e.name_key} "]


@dataclass(frozen=True, slots=True)
class CellRef:
    number: int  # 1-based position among the committee's cells (creation order)
    cell_id: int
    committee_id: int
    name: str
    name_key: str


async def cells_of(session: AsyncSession, committee_ids: list[int]) -> list[CellRef]:
    """The cells of these committees, numbered in the order they were created; a dissolved cell
    (giải thể) is no longer one of them (its history stays, under its own id)."""
    rows = await session.execute(
        select(_UNIT.c.id, _UNIT.c.parent_id, _UNIT.c.name, _UNIT.c.name_key)
        .where(and_(_UNIT.c.parent_id.in_(committee_ids), _UNIT.c.kind == UnitKind.CELL,
                    _UNIT.c.dissolved_on.is_(None))).order_by(_UNIT.c.id)
    )
    return [CellRef(i, r.id, r.parent_id, r.name, r.name_key) for i, r in enumerate(rows, 1)]


async def sizes(session: AsyncSession, cell_ids: list[int]) -> dict[int, int]:
    """Active members per cell."""
    rows = await session.execute(
        select(_MEMBER.c.cell_id, func.count())
        .where(and_(_MEMBER.c.cell_id.in_(cell_ids), _MEMBER.c.active.is_(True))).group_by(_MEMBER.c.cell_id)
    )
    return {cell_id: int(count) for cell_id, count in rows}


def split_cell(cells: list[CellRef], text: str) -> tuple[CellRef | None, str]:
    """The cell named at the start of `text` and the rest of it.

    A cell is named by its number in the committee's list, by its full name ("Chi bộ khu phố 1")
    or without the words "chi bộ" ("khu phố 1"); the longest name that fits wins.
    """
    words = text.split()
    if not words:
        return None, ""
    folded = [fold(w) for w in words]
    best: tuple[int, CellRef] | None = None
    for cell in cells:
        for name in (cell.name_key, cell.name_key.removeprefix("chi bo ")):
            size = len(name.split())
            if size and folded[:size] == name.split() and (best is None or size > best[0]):
                best = (size, cell)
    if best is not None:
        return best[1], " ".join(words[best[0]:])
    number = whole_number(folded[0])
    if number is not None:
        for cell in cells:
            if cell.number == number:
                return cell, " ".join(words[1:])
    return None, text
