"""Who sees and records Party development: a cell's secretary or deputy for their cell, a committee
member for every cell of their committee. Loaded once per message (handlers.candidates, .probation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.development import Deadline, DeadlineState
from domain.errors import UserError
from domain.vocabulary import Position, UnitKind
from handlers.context import Ctx
from storage import roster
from storage.roster import CellRef

KEEPERS = (Position.SECRETARY, Position.DEPUTY)
NOT_ALLOWED = ("Danh sách nguồn phát triển đảng viên và đảng viên dự bị do bí thư, phó bí thư chi bộ hoặc cấp ủy "
               "viên đảng bộ theo dõi.")


@dataclass(frozen=True, slots=True)
class Scope:
    """`kept`: cells this person keeps as secretary or deputy; `committees`: those they sit on;
    `cells`: every cell they may see and record for, with its name and committee."""

    kept: list[int]
    committees: list[int]
    cells: dict[int, CellRef]

    def committee_of(self, cell_id: int) -> int:
        return self.cells[cell_id].committee_id

    def decides_for(self, cell_id: int) -> bool:
        """A committee member of the cell's committee (the decision, the recognition)."""
        return self.committee_of(cell_id) in self.committees


async def scope_of(ctx: Ctx) -> Scope:
    roles = await ctx.roles()
    kept = sorted({r.unit_id for r in roles if r.role in KEEPERS and r.unit_kind == UnitKind.CELL})
    sits = await ctx.committees()
    above = sorted({r.parent_id for r in roles if r.unit_id in kept and r.parent_id is not None} | set(sits))
    refs = await roster.cells_of(ctx.session, above) if above else []
    cells = {ref.cell_id: ref for ref in refs if ref.cell_id in kept or ref.committee_id in sits}
    if not cells:
        raise UserError(NOT_ALLOWED)
    return Scope(kept, sits, cells)


def due_text(deadline: Deadline, today: date) -> str:
    """"hạn 13/04/2027 (còn 7 ngày)", "hạn chót hôm nay", "quá hạn 3 ngày (hạn 13/04/2027)"."""
    state = deadline.state(today)
    days = (deadline.due - today).days
    if state is DeadlineState.MISSED:
        return f"quá hạn {-days} ngày (hạn {deadline.due:%d/%m/%Y})"
    if days == 0:
        return f"hạn chót hôm nay {deadline.due:%d/%m/%Y}"
    return f"hạn {deadline.due:%d/%m/%Y} (còn {days} ngày)"
