"""Party development in /tonghop (issue 15): the pipeline of the scope's cells as it stands today
(candidates by stage, cells without one, deadlines missed) and the year's admissions measured
against the Youth Union and women shares (settings `admission_youth_union_share`,
`admission_women_share`), over the same members the admissions target counts (the cell's members
on the period's reference day, admitted in the year).

A scope that has never kept a candidate in chibo gets no figures (`kept` False): its summary reads
as it did before the pipeline existed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import development as dev
from domain.development import CandidateStage, DeadlineKind, DeadlineState
from domain.figures import as_share
from domain.periods import Period
from domain.vocabulary import Status
from storage import unit_settings
from storage.candidates import Candidate, progress_of
from storage.membership import MembershipSpan, counted_on
from storage.prepared import Prepared, among
from storage.summary import reference_day
from storage.tables import Member
from storage.types import table_of

_CANDIDATE = table_of(Candidate)
_SPAN = table_of(MembershipSpan)
_MEMBER = table_of(Member)


@dataclass(slots=True)
class DevelopmentFigures:
    kept: bool = False  # any candidate ever kept in these cells
    by_stage: dict[CandidateStage, int] = field(default_factory=dict)  # open candidates (not admitted)
    cells_without: list[str] = field(default_factory=list)  # cells with no open candidate
    cells: int = 0
    admitted: int = 0  # admitted in the year, counted as the admissions target counts them
    youth_union: int = 0  # of them, Youth Union members (as their candidate row says)
    women: int = 0
    youth_union_share: Fraction = Fraction(7, 10)
    women_share: Fraction = Fraction(2, 5)
    missed: list[str] = field(default_factory=list)  # "lễ kết nạp Lê Thị Hoa (Chi bộ khu phố 1)"

    @property
    def open(self) -> int:
        return sum(self.by_stage.values())


async def development_figures(session: AsyncSession, unit_id: int, cells: list[tuple[int, str]], period: Period,
                              today: date) -> DevelopmentFigures:
    ids = [cell_id for cell_id, _name in cells]
    names = dict(cells)
    found = DevelopmentFigures(cells=len(cells))
    if not await _ANY_CANDIDATE.all(session, ids=ids):  # most cells keep no candidates in chibo: one probe
        return found
    rows = list((await session.execute(select(Candidate).where(_CANDIDATE.c.cell_id.in_(ids)))).scalars().all())
    found.kept = bool(rows)
    if not found.kept:
        return found
    found.youth_union_share = as_share(await unit_settings.get(session, unit_id, "admission_youth_union_share"))
    found.women_share = as_share(await unit_settings.get(session, unit_id, "admission_women_share"))
    with_some: set[int] = set()
    for candidate in rows:
        if candidate.admitted_on is not None:
            continue
        with_some.add(candidate.cell_id)
        stage = progress_of(candidate).stage
        found.by_stage[stage] = found.by_stage.get(stage, 0) + 1
        for deadline in dev.candidate_deadlines(progress_of(candidate)):
            if deadline.kind is DeadlineKind.CEREMONY and deadline.state(today) is DeadlineState.MISSED:
                found.missed.append(f"lễ kết nạp {candidate.full_name} ({names[candidate.cell_id]}, hạn "
                                    f"{deadline.due:%d/%m/%Y})")
    found.cells_without = [name for cell_id, name in cells if cell_id not in with_some]
    probation = await session.execute(select(_MEMBER.c.full_name, _MEMBER.c.cell_id, _MEMBER.c.admitted_on).where(
        and_(_MEMBER.c.cell_id.in_(ids), _MEMBER.c.active.is_(True), _MEMBER.c.status == Status.PROBATIONARY,
             _MEMBER.c.admitted_on.is_not(None))).order_by(_MEMBER.c.admitted_on, _MEMBER.c.id))
    for row in probation:
        deadline = dev.probation_deadline(row.admitted_on)
        if deadline.state(today) is DeadlineState.MISSED:
            found.missed.append(f"công nhận chính thức {row.full_name} ({names[row.cell_id]}, hạn "
                                f"{deadline.due:%d/%m/%Y})")
    span, member = _SPAN.c, _MEMBER.c
    union = exists().where(_CANDIDATE.c.member_id == member.id, _CANDIDATE.c.youth_union.is_(True))
    admitted = (await session.execute(
        select(func.count().label("n"), _count_if(member.gender == "nu").label("women"),
               _count_if(union).label("union"))
        .select_from(_SPAN.join(_MEMBER, member.id == span.member_id))
        .where(span.cell_id.in_(ids), counted_on(span, reference_day(period, today)),
               member.admitted_on >= date(period.year, 1, 1), member.admitted_on < date(period.year + 1, 1, 1))
    )).one()
    found.admitted, found.women, found.youth_union = int(admitted.n), int(admitted.women), int(admitted.union)
    return found


_ANY_CANDIDATE = Prepared(lambda: select(_CANDIDATE.c.id).where(among(_CANDIDATE.c.cell_id, "ids")).limit(1))


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
