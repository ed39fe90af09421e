"""Quality ratings (đánh giá, xếp loại chất lượng): the three stages and their history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime, utcnow

# Levels (Quy định 366-QĐ/TW), best first.
EXCELLENT = "excellent"
GOOD = "good"
COMPLETE = "complete"
INCOMPLETE = "incomplete"
LEVELS = (EXCELLENT, GOOD, COMPLETE, INCOMPLETE)

# Stages: the member's self-assessment, the cell's proposal, the committee's decision.
SELF = "self"
CELL_PROPOSED = "cell_proposed"
FINAL = "final"
STAGES = (SELF, CELL_PROPOSED, FINAL)


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
