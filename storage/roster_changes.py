"""The queries and writes behind keeping the roster (handlers.roster, `chibo member|cell`):
members who already left, the roles a change ends, renaming and dissolving a cell.

A member's cell and state change only through `storage.membership.record`; this module writes
what goes with such a change (roles that end with it) and the cell's own rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, delete, func, select, update
from sqlmodel import col
from sqlmodel import select as select_rows  # rows as table models (the rest is Core)
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.text import fold
from domain.vocabulary import Position, UnitKind
from storage.membership import MembershipEvent, MembershipSpan
from storage.tables import JoinCode, Member, OrgUnit, Role
from storage.types import stored_id, table_of

_MEMBER = table_of(Member)
_UNIT = table_of(OrgUnit)
_ROLE = table_of(Role)
_CODE = table_of(JoinCode)
_EVENT = table_of(MembershipEvent)
_SPAN = table_of(MembershipSpan)

ROLE_NAMES: dict[str, str] = {
    Position.SECRETARY: "bí thư", Position.DEPUTY: "phó bí thư", Position.CELL_COMMITTEE: "chi ủy viên",
    Position.COMMITTEE_MEMBER: "cấp ủy viên", Position.TREASURER: "thủ quỹ",
}


@dataclass(frozen=True, slots=True)
class Former:
    """A member no longer active whose last cell is one of those asked about."""

    member_id: int
    cell_id: int
    full_name: str
    name_key: str


async def former_members(session: AsyncSession, cell_ids: list[int]) -> list[Former]:
    """Members of these cells who left (transferred out, died, removed): a name typed for a
    change is then answered with why it cannot be made, not with "no such member"."""
    rows = await session.execute(
        select(_MEMBER.c.id, _MEMBER.c.cell_id, _MEMBER.c.full_name, _MEMBER.c.name_key)
        .where(and_(_MEMBER.c.cell_id.in_(cell_ids), _MEMBER.c.active.is_(False))).order_by(_MEMBER.c.id)
    )
    return [Former(r.id, r.cell_id, r.full_name, r.name_key) for r in rows]


async def last_event_id(session: AsyncSession, member_id: int) -> int:
    """The id of the member's event recorded last (a notice's key names it: sent once)."""
    found = (await session.execute(select(func.max(_EVENT.c.id)).where(_EVENT.c.member_id == member_id))).scalar()
    return stored_id(found)


@dataclass(frozen=True, slots=True)
class HeldRole:
    unit_id: int
    unit_name: str
    role: str

    @property
    def text(self) -> str:
        """«bí thư Chi bộ khu phố 1»."""
        return f"{ROLE_NAMES.get(self.role, self.role)} {self.unit_name}"


async def roles_ending(session: AsyncSession, member_id: int, *, cell_id: int | None,
                       whole_committee: bool) -> list[HeldRole]:
    """The roles a change ends: those in the cell the member leaves (a transfer), or every role
    in the committee and its cells (leaving the committee or the Party)."""
    query = (select(_ROLE.c.unit_id, _UNIT.c.name, _ROLE.c.role).join(_UNIT, _UNIT.c.id == _ROLE.c.unit_id)
             .where(_ROLE.c.member_id == member_id).order_by(_UNIT.c.kind, _UNIT.c.id, _ROLE.c.role))
    if not whole_committee:
        if cell_id is None:
            return []
        query = query.where(_ROLE.c.unit_id == cell_id)
    return [HeldRole(r.unit_id, r.name, r.role) for r in await session.execute(query)]


async def end_roles(session: AsyncSession, member_id: int, roles: list[HeldRole]) -> None:
    for held in roles:
        await session.execute(delete(_ROLE).where(and_(
            _ROLE.c.member_id == member_id, _ROLE.c.unit_id == held.unit_id, _ROLE.c.role == held.role)))


async def holders(session: AsyncSession, unit_ids: list[int], roles: tuple[str, ...]) -> list[int]:
    """Members holding one of `roles` in these units (the secretaries to tell), in id order."""
    rows = await session.execute(
        select(_ROLE.c.member_id).where(and_(_ROLE.c.unit_id.in_(unit_ids), _ROLE.c.role.in_(roles)))
        .distinct().order_by(_ROLE.c.member_id))
    return [row.member_id for row in rows]


# -- cells ------------------------------------------------------------------------------------------

async def dissolved_cells(session: AsyncSession, committee_ids: list[int]) -> list[OrgUnit]:
    """The committees' cells already dissolved (a name typed again is answered with the date)."""
    return list((await session.exec(
        select_rows(OrgUnit).where(col(OrgUnit.parent_id).in_(committee_ids), OrgUnit.kind == UnitKind.CELL,
                              col(OrgUnit.dissolved_on).is_not(None))
    )).all())


async def name_taken(session: AsyncSession, committee_id: int, name: str, but: int) -> OrgUnit | None:
    """Another cell of the committee (dissolved or not) already called `name`."""
    return (await session.exec(select_rows(OrgUnit).where(
        OrgUnit.parent_id == committee_id, OrgUnit.kind == UnitKind.CELL, OrgUnit.name_key == fold(name),
        col(OrgUnit.id) != but))).first()


async def rename_cell(session: AsyncSession, cell_id: int, name: str) -> None:
    await session.execute(update(_UNIT).where(_UNIT.c.id == cell_id).values(name=name, name_key=fold(name)))


async def last_member_left(session: AsyncSession, cell_id: int) -> date | None:
    """The day the cell's last member stopped counting in it (spans end the day they leave)."""
    found = (await session.execute(select(func.max(_SPAN.c.end)).where(_SPAN.c.cell_id == cell_id))).scalar()
    return found if isinstance(found, date) else None


async def dissolve_cell(session: AsyncSession, cell_id: int, on: date, now: datetime) -> None:
    """Giải thể: the cell keeps its rows and history; it takes no new members (its join codes
    stop working) and has no leaders any more (their roles in it end)."""
    await session.execute(update(_UNIT).where(_UNIT.c.id == cell_id).values(dissolved_on=on))
    await session.execute(update(_CODE).where(and_(_CODE.c.unit_id == cell_id, _CODE.c.revoked_at.is_(None)))
                          .values(revoked_at=now))
    await session.execute(delete(_ROLE).where(_ROLE.c.unit_id == cell_id))
