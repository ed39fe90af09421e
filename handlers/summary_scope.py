"""Which cells a summary (or an export) may show to this person, and which one they asked for.

A cell's leaders see their own cell only; a committee member sees the committee and any of its
cells; nobody sees another committee's cells. A cell that is not theirs to see is answered as
if it did not exist for them: the answer never says what another committee holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, or_, select

from domain.messages import Choice
from domain.periods import EXAMPLES, Period
from domain.text import fold
from domain.vocabulary import UnitKind
from handlers.context import Ctx
from storage import org
from storage.tables import OrgUnit

CHOICE_BYTES = 64  # a choice's value is sent back as typed text: Telegram's callback_data limit
CELL_WORDS = "chi bo "


@dataclass(frozen=True, slots=True)
class Scope:
    """A committee with its cells, or one cell (with the committee above it, if any)."""

    unit: OrgUnit
    cells: list[OrgUnit]
    committee: OrgUnit | None

    @property
    def is_committee(self) -> bool:
        return self.unit.kind == UnitKind.COMMITTEE


class ScopeError(Exception):
    """The person asked for something they may not see, or that matches several cells."""

    def __init__(self, text: str, choices: tuple[Choice, ...] = ()) -> None:
        super().__init__(text)
        self.text = text
        self.choices = choices


async def resolve(ctx: Ctx, name: str, command: str, period: Period) -> list[Scope]:
    """The scopes to show: by default the committee(s) the person sits on, else the cell(s) they lead."""
    committee_ids = await ctx.committees()
    leader_ids = await ctx.leader_cells()
    if not name.strip():
        if committee_ids:
            return [await _committee_scope(ctx, unit_id, period) for unit_id in committee_ids]
        # The cells and their committees in one read (the roles name the parents); the scopes
        # then find them in the session, without a read each (held here: the session keeps
        # only weak references to what it loaded).
        parents = [role.parent_id for role in await ctx.roles() if role.unit_id in leader_ids and role.parent_id]
        units = (await ctx.session.exec(select(OrgUnit).where(col(OrgUnit.id).in_([*leader_ids, *parents])))).all()
        scopes = [await _cell_scope(ctx, await org.unit(ctx.session, cell_id)) for cell_id in leader_ids]
        del units
        return scopes
    conditions = []
    if committee_ids:
        conditions.append(col(OrgUnit.parent_id).in_(committee_ids))
    if leader_ids:
        conditions.append(col(OrgUnit.id).in_(leader_ids))
    visible = list((await ctx.session.exec(
        select(OrgUnit).where(OrgUnit.kind == UnitKind.CELL, or_(*conditions)).order_by(OrgUnit.name_key)
    )).all())
    found = match_cells(visible, name)
    if len(found) == 1:
        return [await _cell_scope(ctx, found[0])]
    if found:
        shown = "; ".join(cell.name for cell in found[:20])
        choices = tuple(
            Choice(cell.name, value) for cell in found[:10]
            if len((value := f"/{command} {cell.name_key} {period.key}").encode()) <= CHOICE_BYTES
        )
        raise ScopeError(f"Có {len(found)} chi bộ khớp với «{name.strip()[:60]}»: {shown}. "
                         f"Gõ đủ tên chi bộ, ví dụ: /{command} {found[0].name}.", choices)
    if committee_ids:
        committees = ", ".join([(await org.unit(ctx.session, unit_id)).name for unit_id in committee_ids])
        raise ScopeError(f"Không có chi bộ «{name.strip()[:60]}» trong {committees}. "
                         f"Gõ /{command} để xem tổng hợp và danh sách các chi bộ.")
    own = ", ".join(cell.name for cell in visible)
    raise ScopeError(f"Đồng chí chỉ xem được tổng hợp của {own}. Gõ /{command}, hoặc kèm kỳ: {EXAMPLES}.")


def match_cells(cells: list[OrgUnit], typed: str) -> list[OrgUnit]:
    """The cells a typed name means: the exact name, else the name without "chi bộ", else a part of it."""
    key = fold(typed)
    bare = key.removeprefix(CELL_WORDS)
    for test in (
        lambda cell: cell.name_key == key,
        lambda cell: cell.name_key.removeprefix(CELL_WORDS) == bare,
        lambda cell: bare in cell.name_key,
    ):
        found = [cell for cell in cells if test(cell)]
        if found:
            return found
    return []


async def _committee_scope(ctx: Ctx, unit_id: int, period: Period) -> Scope:
    """The committee with the cells that existed in the period (one dissolved before it is left out)."""
    committee = await org.unit(ctx.session, unit_id)
    return Scope(committee, await org.cells_of(ctx.session, unit_id, since=period.start), committee)


async def _cell_scope(ctx: Ctx, cell: OrgUnit) -> Scope:
    parent = await ctx.session.get(OrgUnit, cell.parent_id) if cell.parent_id else None
    return Scope(cell, [cell], parent)
