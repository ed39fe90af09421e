"""Quality ratings (đánh giá, xếp loại chất lượng): the three stages, their history, and queries.

Ratings are written a few times a year per member: the ORM is used here, not Core.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, and_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.periods import ReviewPeriod
from domain.review import NOT_REVIEWED_STATUSES, review_cutoff
from storage.tables import Member
from storage.types import UtcDateTime, utcnow

# Levels (Quy định 366-QĐ/TW), best first.

# Stages: the member's self-assessment, the cell's proposal, the committee's decision.


class Assessment(SQLModel, table=True):
    """One member's rating at one stage for one review period.

    `period` is "2026" for a year or "2026-Q4" for a quarter; `year` is kept apart so that a
    year's tallies read an index.
    """

    __table_args__ = (
        UniqueConstraint("member_id", "period", "stage"),
        Index("ix_assessment_member_year", "member_id", "year"),
        Index("ix_assessment_cell_period", "cell_id", "period", "stage", "level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    cell_id: int = Field(foreign_key="org_unit.id")
    period: str = Field(max_length=8)
    year: int
    stage: str = Field(max_length=16)
    level: str = Field(max_length=16)
    general_score: int | None = None  # 0–30
    task_score: int | None = None  # 0–70
    violation: bool = False
    review: str | None = Field(default=None, max_length=2000)  # the written self-review
    decided_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class AssessmentChange(SQLModel, table=True):
    """Every change of a rating: who, when, from what, to what."""

    __tablename__ = "assessment_change"
    __table_args__ = (Index("ix_assessment_change_member", "member_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    period: str = Field(max_length=8)
    stage: str = Field(max_length=16)
    old_level: str | None = Field(default=None, max_length=16)
    new_level: str = Field(max_length=16)
    changed_by: int | None = Field(default=None, foreign_key="member.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


# -- queries -------------------------------------------------------------------------------------

def reviewed_clause(status: Any, admitted_on: Any, review: ReviewPeriod) -> ColumnElement[bool]:
    """SQL for `domain.review.is_reviewed` over a status column (the member's, or a membership
    span's: the state in the period) and the admission date: the same statuses and the same
    cutoff, so a list and a count can never disagree."""
    return reviewed_before(status, admitted_on, review_cutoff(review.last_day))


def reviewed_before(status: Any, admitted_on: Any, cutoff: Any) -> ColumnElement[bool]:
    """`reviewed_clause` with the cutoff (`domain.review.review_cutoff` of the review's last day)
    given as a value or as a parameter (a statement prepared once: storage/prepared.py)."""
    return and_(status.not_in([str(s) for s in NOT_REVIEWED_STATUSES]),
                or_(admitted_on.is_(None), admitted_on <= cutoff))


async def stages_of(session: AsyncSession, member_id: int, period: str) -> dict[str, Assessment]:
    """The member's ratings for one period, by stage (absent stages are missing)."""
    rows = (await session.exec(
        select(Assessment).where(Assessment.member_id == member_id, Assessment.period == period)
    )).all()
    return {row.stage: row for row in rows}


@dataclass(frozen=True, slots=True)
class Scores:
    """What a member declares when assessing themselves."""

    general: int
    task: int
    violation: bool
    review: str


async def record(
    session: AsyncSession, *, member_id: int, cell_id: int, period: str, year: int, stage: str, level: str,
    by: int | None, now: datetime, scores: Scores | None = None,
) -> str | None:
    """Set one stage's level (and, for the self-assessment, the scores); returns the old level.

    A change of level is written to `assessment_change` (who, when, from what, to what) in the
    same transaction; writing the same level again changes the row but adds no history line.
    """
    found = (await session.exec(
        select(Assessment).where(
            Assessment.member_id == member_id, Assessment.period == period, Assessment.stage == stage
        )
    )).first()
    old = found.level if found is not None else None
    row = found or Assessment(member_id=member_id, cell_id=cell_id, period=period, year=year, stage=stage,
                              level=level, created_at=now)
    row.level = level
    row.cell_id = cell_id
    row.decided_by = by
    row.updated_at = now
    if scores is not None:
        row.general_score = scores.general
        row.task_score = scores.task
        row.violation = scores.violation
        row.review = scores.review
    session.add(row)
    if old != level:
        session.add(AssessmentChange(member_id=member_id, period=period, stage=stage, old_level=old,
                                     new_level=level, changed_by=by, at=now))
    await session.flush()
    return old


async def of_cells(session: AsyncSession, cell_ids: list[int], period: str) -> dict[int, dict[str, Assessment]]:
    """All ratings of these cells' members for one period: member id -> stage -> rating."""
    found: dict[int, dict[str, Assessment]] = {}
    if not cell_ids:
        return found
    rows = (await session.exec(
        select(Assessment).where(col(Assessment.cell_id).in_(cell_ids), Assessment.period == period)
    )).all()
    for row in rows:
        found.setdefault(row.member_id, {})[row.stage] = row
    return found


async def of_member(session: AsyncSession, member_id: int, limit: int = 12) -> list[Assessment]:
    """A member's ratings, newest period first."""
    return list((await session.exec(
        select(Assessment).where(Assessment.member_id == member_id)
        .order_by(col(Assessment.period).desc(), col(Assessment.id)).limit(limit * 3)
    )).all())


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: datetime
    period: str
    stage: str
    old_level: str | None
    new_level: str
    changed_by: str | None  # the person's name


async def history(session: AsyncSession, member_id: int) -> list[HistoryLine]:
    """Every change of the member's ratings, oldest first."""
    rows = (await session.exec(
        select(AssessmentChange, Member.full_name)
        .join(Member, col(Member.id) == col(AssessmentChange.changed_by), isouter=True)
        .where(AssessmentChange.member_id == member_id)
        .order_by(col(AssessmentChange.at), col(AssessmentChange.id))
    )).all()
    return [HistoryLine(change.at, change.period, change.stage, change.old_level, change.new_level, name)
            for change, name in rows]
