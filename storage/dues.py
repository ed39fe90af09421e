"""The dues book (sổ thu đảng phí): declared amounts and the money received, never edited.

- `dues_rate`: a member's monthly amount as declared, from a month on, with its basis and any
  exemption or reduction (domain.dues.Rate). A new declaration is a new row; the one in force in a
  month is the latest starting by then.
- `dues_entry`: money received (a payment) or a correction of an earlier entry (a signed amount,
  with its reason), each with who recorded it and when. A mistake is corrected by a new entry.

Which months are paid is never stored: `domain.dues.allocate` fills the months from the sum of
the entries, oldest first, every time, so a correction or a late declaration can never leave a
stale figure behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import Index, and_, func, insert, select
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import dues
from domain.dues import Allocation, Rate
from domain.figures import as_share
from storage import unit_settings
from storage.tables import Member
from storage.types import UtcDateTime, table_of, utcnow

PAYMENT = "payment"
CORRECTION = "correction"
MINIMUM_WAGE = "dues_minimum_wage"  # unit setting: the regional minimum wage, đồng a month
CELL_SHARE = "dues_cell_share"  # unit setting: the share of the dues a cell keeps


class DuesRate(SQLModel, table=True):
    """A member's declared monthly amount from the month `starts` (the first of it)."""

    __tablename__ = "dues_rate"
    __table_args__ = (Index("ix_dues_rate_member", "member_id", "starts"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    cell_id: int = Field(foreign_key="org_unit.id")
    starts: date
    basis: str = Field(max_length=16)
    amount: int = Field(default=0)
    exemption: str | None = Field(default=None, max_length=24)
    exemption_until: date | None = None
    reduction: int = Field(default=0)
    reduction_until: date | None = None
    recorded_by: int | None = Field(default=None, foreign_key="member.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class DuesEntry(SQLModel, table=True):
    """Money received from a member (`payment`), or a `correction` (signed) of earlier entries."""

    __tablename__ = "dues_entry"
    __table_args__ = (Index("ix_dues_entry_member", "member_id", "paid_on"),
                      Index("ix_dues_entry_cell", "cell_id", "paid_on"))

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    cell_id: int = Field(foreign_key="org_unit.id")
    kind: str = Field(max_length=16)
    amount: int
    paid_on: date  # the local day the money was received
    note: str | None = Field(default=None, max_length=200)  # "tháng 11/2026", "3 tháng", a correction's reason
    recorded_by: int | None = Field(default=None, foreign_key="member.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


_RATE = table_of(DuesRate)
_ENTRY = table_of(DuesEntry)
_MEMBER = table_of(Member)


# -- settings ------------------------------------------------------------------------------------

async def minimum_wage(session: AsyncSession, unit_id: int) -> int:
    value = await unit_settings.get(session, unit_id, MINIMUM_WAGE)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return int(unit_settings.DEFAULTS[MINIMUM_WAGE])


async def cell_share(session: AsyncSession, unit_id: int) -> Fraction:
    try:
        return as_share(await unit_settings.get(session, unit_id, CELL_SHARE))
    except (TypeError, ValueError, ZeroDivisionError):
        return as_share(unit_settings.DEFAULTS[CELL_SHARE])


# -- writing -------------------------------------------------------------------------------------

async def declare(session: AsyncSession, member_id: int, cell_id: int, rate: Rate, *, by: int | None,
                  now: datetime) -> None:
    await session.execute(insert(_RATE).values(
        member_id=member_id, cell_id=cell_id, starts=rate.starts, basis=rate.basis, amount=rate.amount,
        exemption=rate.exemption, exemption_until=rate.exemption_until, reduction=rate.reduction,
        reduction_until=rate.reduction_until, recorded_by=by, recorded_at=now))


async def record(session: AsyncSession, member_id: int, cell_id: int, kind: str, amount: int, paid_on: date,
                 note: str | None, *, by: int | None, now: datetime) -> None:
    await session.execute(insert(_ENTRY).values(
        member_id=member_id, cell_id=cell_id, kind=kind, amount=amount, paid_on=paid_on, note=note,
        recorded_by=by, recorded_at=now))


# -- reading -------------------------------------------------------------------------------------

async def rates_of(session: AsyncSession, member_ids: Sequence[int]) -> dict[int, list[Rate]]:
    """Each member's declarations in the order they were recorded."""
    if not member_ids:
        return {}
    rate = _RATE.c
    rows = await session.execute(select(_RATE).where(rate.member_id.in_(list(member_ids))).order_by(rate.id))
    found: dict[int, list[Rate]] = {}
    for row in rows:
        found.setdefault(row.member_id, []).append(Rate(row.starts, row.basis, row.amount, row.exemption,
                                                        row.exemption_until, row.reduction, row.reduction_until))
    return found


async def paid_by(session: AsyncSession, member_ids: Sequence[int], through: date) -> dict[int, int]:
    """Each member's entries summed, up to and including the day `through`."""
    if not member_ids:
        return {}
    entry = _ENTRY.c
    rows = await session.execute(
        select(entry.member_id, func.sum(entry.amount).label("paid"))
        .where(entry.member_id.in_(list(member_ids)), entry.paid_on <= through).group_by(entry.member_id))
    return {row.member_id: int(row.paid or 0) for row in rows}


async def received(session: AsyncSession, member_ids: Sequence[int], start: date, end: date) -> dict[int, int]:
    """Money received per member over [start, end): what the treasurer counted at the meetings."""
    if not member_ids:
        return {}
    entry = _ENTRY.c
    rows = await session.execute(
        select(entry.member_id, func.sum(entry.amount).label("paid"))
        .where(entry.member_id.in_(list(member_ids)), and_(entry.paid_on >= start, entry.paid_on < end))
        .group_by(entry.member_id))
    return {row.member_id: int(row.paid or 0) for row in rows}


@dataclass(frozen=True, slots=True)
class EntryView:
    kind: str
    amount: int
    paid_on: date
    note: str | None
    recorded_by: str | None


async def entries_of(session: AsyncSession, member_id: int, limit: int = 12) -> list[EntryView]:
    """A member's latest entries, oldest of them first, with who recorded each."""
    entry, member = _ENTRY.c, _MEMBER.c
    rows = (await session.execute(
        select(entry.kind, entry.amount, entry.paid_on, entry.note, member.full_name)
        .select_from(_ENTRY.outerjoin(_MEMBER, member.id == entry.recorded_by))
        .where(entry.member_id == member_id).order_by(entry.id.desc()).limit(limit))).all()
    return [EntryView(r.kind, r.amount, r.paid_on, r.note, r.full_name) for r in reversed(rows)]


@dataclass(frozen=True, slots=True)
class Book:
    """The dues of some members as of a day: each one's declarations and how their money fills
    the months (allocations run to the month `through`)."""

    rates: dict[int, list[Rate]]
    allocations: dict[int, Allocation]
    minimum_wage: int

    def due(self, member_id: int, month: date) -> dues.MonthDue | None:
        return dues.due_in(self.rates.get(member_id, []), month, self.minimum_wage)


async def book(session: AsyncSession, member_ids: Sequence[int], unit_id: int, through: date, paid_until: date
               ) -> Book:
    """The members' allocations over the months up to `through` (a month), with the money
    received up to the day `paid_until`."""
    wage = await minimum_wage(session, unit_id)
    rates = await rates_of(session, member_ids)
    paid = await paid_by(session, member_ids, paid_until)
    allocations = {member_id: dues.allocate(dues.schedule(rates.get(member_id, []), through, wage),
                                            paid.get(member_id, 0))
                   for member_id in member_ids}
    return Book(rates, allocations, wage)
