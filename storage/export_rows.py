"""The rows of an export: members (with their tallies), reports, attendance and ratings.

Unlike a summary, a workbook lists every row, so these queries stream: a committee's year is
some hundred thousand reports and as many attendance rows, read in partitions rather than held
in memory. Per-member figures are grouped in SQL (one row per member, never per report).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.engine import Row
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.periods import Period
from domain.vocabulary import MeetingStatus, Presence, Stage
from storage.assessments import Assessment
from storage.meetings import Attendance, Meeting
from storage.reports import Report
from storage.tables import ChatAccount, Member, OrgUnit
from storage.types import table_of

_MEMBER = table_of(Member)
_REPORT = table_of(Report)
_MEETING = table_of(Meeting)
_ATTENDANCE = table_of(Attendance)
_ASSESSMENT = table_of(Assessment)
_ACCOUNT = table_of(ChatAccount)
_UNIT = table_of(OrgUnit)

PARTITION = 2000


def _ended_in(ids: Sequence[int], period: Period, tz: ZoneInfo) -> Any:
    start, end = period.instants(tz)
    meeting = _MEETING.c
    return and_(meeting.cell_id.in_(ids), meeting.status == MeetingStatus.ENDED, meeting.starts_at >= start,
        meeting.starts_at < end)


def _reports_in(ids: Sequence[int], period: Period) -> Any:
    report = _REPORT.c
    return and_(report.cell_id.in_(ids), report.done_on >= period.start, report.done_on < period.end)


async def row_counts(session: AsyncSession, ids: Sequence[int], period: Period, tz: ZoneInfo) -> dict[str, int]:
    """How many rows each sheet will have (for a progress bar)."""
    member = _MEMBER.c
    members = (await session.execute(
        select(func.count()).where(member.cell_id.in_(ids), member.active))).scalar_one()
    reports = (await session.execute(select(func.count()).where(_reports_in(ids, period)))).scalar_one()
    attendance = (await session.execute(
        select(func.count()).select_from(_ATTENDANCE.join(_MEETING, _MEETING.c.id == _ATTENDANCE.c.meeting_id))
        .where(_ended_in(ids, period, tz))
    )).scalar_one()
    return {"members": members, "reports": reports, "attendance": attendance, "ratings": members}


def members(ids: Sequence[int], period: Period, tz: ZoneInfo) -> Any:
    """Active members with their reports and attendance in the period, by cell then roster order."""
    member, attendance = _MEMBER.c, _ATTENDANCE.c
    reports = (
        select(_REPORT.c.member_id, func.count().label("n"))
        .where(_reports_in(ids, period))
        .group_by(_REPORT.c.member_id)
        .subquery()
    )
    roll = (
        select(
            attendance.member_id,
            func.count(case((attendance.status == Presence.PRESENT, 1))).label("present"),
            func.count(case((attendance.status == Presence.EXCUSED, 1))).label("excused"),
            func.count(case((attendance.status == Presence.ABSENT, 1))).label("absent"),
        )
        .select_from(_ATTENDANCE.join(_MEETING, _MEETING.c.id == attendance.meeting_id))
        .where(_ended_in(ids, period, tz))
        .group_by(attendance.member_id)
        .subquery()
    )
    linked = exists().where(_ACCOUNT.c.member_id == member.id)
    return (
        select(
            _UNIT.c.name.label("cell"), member.full_name, member.status, member.admitted_on, member.official_on,
            func.coalesce(reports.c.n, 0).label("reports"), func.coalesce(roll.c.present, 0).label("present"),
            func.coalesce(roll.c.excused, 0).label("excused"), func.coalesce(roll.c.absent, 0).label("absent"),
            linked.label("linked"),
        )
        .select_from(
            _MEMBER.join(_UNIT, _UNIT.c.id == member.cell_id)
            .outerjoin(reports, reports.c.member_id == member.id)
            .outerjoin(roll, roll.c.member_id == member.id)
        )
        .where(member.cell_id.in_(ids), member.active)
        .order_by(_UNIT.c.name_key, member.id)
    )


def reports(ids: Sequence[int], period: Period) -> Any:
    report = _REPORT.c
    return (
        select(_UNIT.c.name.label("cell"), report.done_on, _MEMBER.c.full_name, report.kind, report.text)
        .select_from(_REPORT.join(_MEMBER, _MEMBER.c.id == report.member_id).join(_UNIT, _UNIT.c.id == report.cell_id))
        .where(_reports_in(ids, period))
        .order_by(_UNIT.c.name_key, report.done_on, report.id)
    )


def attendance(ids: Sequence[int], period: Period, tz: ZoneInfo) -> Any:
    """The roll-call sheet's rows. A reason shows only beside "vắng có lý do": the column also holds
    the reason a member gave when excusing, which must not stand beside "có mặt" once they came."""
    meeting, roll = _MEETING.c, _ATTENDANCE.c
    return (
        select(_UNIT.c.name.label("cell"), meeting.starts_at, meeting.kind, _MEMBER.c.full_name, roll.status,
               case((roll.status == Presence.EXCUSED, roll.reason), else_=None).label("reason"))
        .select_from(
            _ATTENDANCE.join(_MEETING, meeting.id == roll.meeting_id)
            .join(_MEMBER, _MEMBER.c.id == roll.member_id)
            .join(_UNIT, _UNIT.c.id == meeting.cell_id)
        )
        .where(_ended_in(ids, period, tz))
        .order_by(_UNIT.c.name_key, meeting.starts_at, meeting.id, _MEMBER.c.id)
    )


def ratings(ids: Sequence[int], period: Period) -> Any:
    """Every active member with their level at each stage (blank where none): a pivot in SQL."""
    member, rating = _MEMBER.c, _ASSESSMENT.c

    def at(stage: str) -> Any:
        return func.max(case((rating.stage == stage, rating.level))).label(stage)

    return (
        select(_UNIT.c.name.label("cell"), member.full_name, member.status, at(Stage.SELF),
            at(Stage.CELL_PROPOSED), at(Stage.FINAL))
        .select_from(
            _MEMBER.join(_UNIT, _UNIT.c.id == member.cell_id)
            .outerjoin(_ASSESSMENT, and_(rating.member_id == member.id, rating.period == period.review_period))
        )
        .where(member.cell_id.in_(ids), member.active)
        .group_by(_UNIT.c.name_key, _UNIT.c.name, member.id, member.full_name, member.status)
        .order_by(_UNIT.c.name_key, member.id)
    )


async def stream(session: AsyncSession, query: Any) -> AsyncIterator[Sequence[Row[Any]]]:
    """The query's rows in partitions of `PARTITION` (a server-side cursor on PostgreSQL)."""
    result = await session.stream(query)
    async for partition in result.partitions(PARTITION):
        yield partition
