"""Activity reports (báo cáo hoạt động): the table and its queries.

Storing a report is the busiest write of the bot (every member, every week): `add` is one
hand-written statement on the fast lane (storage/lane.py); the other queries here are SQLAlchemy
Core statements.

A report has two numbers: `id`, internal, and `number`, the member's own (their first report is
1, their second 2, whatever other members sent meanwhile; a deleted report's number is not given
again). People only ever see and type the second: in the receipt, in /cuatoi and in /xoabaocao.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Index, and_, case, delete, event, func, insert, select, update
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.report_kinds import KIND_NAMES
from storage import tallies
from storage.lane import Sql, lane
from storage.types import UtcDateTime, table_of, utcnow

__all__ = ["KIND_NAMES", "PHOTO_MAX", "PHOTO_WINDOW", "TEXT_MAX", "Report", "RetiredReportNumber"]

TEXT_MAX = 2000
PHOTO_MAX = 512
PHOTO_WINDOW = timedelta(minutes=10)  # a photo this soon after a report belongs to it
# The same report sent again this soon is the member tapping "send" twice (or the phone resending
# on a bad line under a new message id): stored once. The platform's own re-deliveries of one
# message are caught earlier, by the router's update key.
DUPLICATE_WINDOW = timedelta(minutes=1)


class Report(SQLModel, table=True):
    """One activity a member reports. `cell_id` is copied from the member so that a cell's
    tallies read one covering index, not a join."""

    __table_args__ = (
        Index("ix_report_cell_done", "cell_id", "done_on", "kind", "member_id"),
        Index("ix_report_member_done", "member_id", "done_on"),
        Index("ix_report_member_number", "member_id", "number", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    number: int | None = Field(default=None, nullable=False)  # the member's own: 1, 2, 3... (see below)
    cell_id: int = Field(foreign_key="org_unit.id")
    kind: str = Field(max_length=16)
    text: str = Field(max_length=2000)
    done_on: date
    photo: str | None = Field(default=None, max_length=512)  # Telegram file id or a URL
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class RetiredReportNumber(SQLModel, table=True):
    """The highest number a member's deleted reports had: never given again, so that a number
    once shown (in a receipt, in a /cuatoi list still on the screen) never comes to mean another
    report — a second "/xoabaocao 5" finds nothing instead of deleting the next report."""

    __tablename__ = "report_number_retired"

    member_id: int = Field(primary_key=True, foreign_key="member.id")
    number: int


_REPORT = table_of(Report)
_RETIRED = table_of(RetiredReportNumber)


def _highest_number(member_id: Any) -> Any:
    """The highest number the member's reports have or had: 0 before the first."""
    stored = select(func.coalesce(func.max(_REPORT.c.number), 0)).where(_REPORT.c.member_id == member_id)
    retired = select(func.coalesce(func.max(_RETIRED.c.number), 0)).where(_RETIRED.c.member_id == member_id)
    stored_n, retired_n = stored.scalar_subquery(), retired.scalar_subquery()
    return case((stored_n >= retired_n, stored_n), else_=retired_n)  # GREATEST, on SQLite too


@dataclass(frozen=True, slots=True)
class Saved:
    number: int  # the member's own number of the report
    duplicate: bool  # the same report was stored less than DUPLICATE_WINDOW ago: nothing new stored


# The report and its number in one statement, nothing stored when the same report came less than
# DUPLICATE_WINDOW ago. On the fast lane (storage/lane.py): the busiest write of the bot.
_SAME = "member_id = ? AND kind = ? AND text = ? AND done_on = ? AND created_at > ?"
_INSERT = (
    "INSERT INTO report (member_id, number, cell_id, kind, text, done_on, photo, created_at) "
    "SELECT ?::integer, 1 + CASE WHEN s.n >= r.n THEN s.n ELSE r.n END, ?::integer, ?::varchar, ?::varchar, "
    "?::date, ?::varchar, ?::timestamptz "
    "FROM (SELECT coalesce(max(number), 0) AS n FROM report WHERE member_id = ?) AS s, "
    "(SELECT coalesce(max(number), 0) AS n FROM report_number_retired WHERE member_id = ?) AS r "
    f"WHERE NOT EXISTS (SELECT 1 FROM report WHERE {_SAME})"
)
_ADD = Sql(f"{_INSERT} RETURNING number")
_ADD_COUNTED = tallies.with_counts(_INSERT)  # PostgreSQL: the report and its counts in one statement
_EARLIER = Sql(f"SELECT id, number FROM report WHERE {_SAME} ORDER BY id DESC LIMIT 1")


async def add(
    session: AsyncSession, *, member_id: int, cell_id: int, kind: str, text: str, done_on: date,
    photo: str | None, now: datetime,
) -> Saved:
    """Insert one report and return its number, in one statement: an INSERT ... SELECT that
    numbers it and stores nothing when the same report (member, kind, text, date) came less
    than a minute ago. Only then a second statement reads that report's number (and gives it the
    photo, if it had none).

    Two reports of one member committed at the same instant from two devices would draw the
    same number; the unique index refuses the second and the router answers with its error
    message (nothing half-stored): rare enough not to cost a statement on every report.
    """
    road = await lane(session)
    same = (member_id, kind, text, done_on, now - DUPLICATE_WINDOW)
    values = (member_id, cell_id, kind, text, done_on, photo, now, member_id, member_id, *same)
    if road.postgres:
        added = await road.one(_ADD_COUNTED, *values)
    else:
        added = await road.one(_ADD, *values)
        if added is not None:
            await tallies.report_added(session, member_id, cell_id, done_on, kind)
    if added is not None:
        return Saved(int(added[0]), duplicate=False)
    earlier = await road.one(_EARLIER, *same)
    assert earlier is not None
    if photo is not None:
        await attach_photo(session, int(earlier[0]), photo)
    return Saved(int(earlier[1]), duplicate=True)


@event.listens_for(Session, "before_flush")
def _number_new_reports(session: Session, _context: object, _instances: object) -> None:
    """Reports added as ORM objects (imports, seeded test data) are numbered like the ones
    `add` inserts: each member's next numbers, in the order they were added."""
    new = [obj for obj in session.new if isinstance(obj, Report) and obj.number is None]
    if not new:
        return
    issued: dict[int, int] = {}
    with session.no_autoflush:
        for report in sorted(new, key=lambda r: r.member_id):  # stable: keeps the order of adding
            if report.member_id not in issued:
                issued[report.member_id] = int(session.execute(select(_highest_number(report.member_id))).scalar_one())
            issued[report.member_id] += 1
            report.number = issued[report.member_id]


@dataclass(frozen=True, slots=True)
class PhotoTarget:
    """The member's latest report, as far as attaching a late photo is concerned."""

    report_id: int
    number: int
    has_photo: bool
    fresh: bool  # created less than PHOTO_WINDOW ago


async def latest(session: AsyncSession, member_id: int, now: datetime) -> PhotoTarget | None:
    row = (await session.execute(
        select(_REPORT.c.id, _REPORT.c.number, _REPORT.c.photo, _REPORT.c.created_at)
        .where(_REPORT.c.member_id == member_id).order_by(_REPORT.c.id.desc()).limit(1)
    )).first()
    if row is None:
        return None
    return PhotoTarget(row.id, row.number, row.photo is not None, now - row.created_at < PHOTO_WINDOW)


async def attach_photo(session: AsyncSession, report_id: int, photo: str) -> bool:
    """Attach a photo to a report that has none; False when it already had one."""
    result = await session.exec(
        update(_REPORT).where(and_(_REPORT.c.id == report_id, _REPORT.c.photo.is_(None))).values(photo=photo)
    )
    return bool(result.rowcount)


@dataclass(frozen=True, slots=True)
class ReportLine:
    id: int  # internal: never shown
    number: int  # the member's own number, shown and typed
    kind: str
    text: str
    done_on: date
    has_photo: bool


_LINE = (_REPORT.c.id, _REPORT.c.number, _REPORT.c.kind, _REPORT.c.text, _REPORT.c.done_on, _REPORT.c.photo)


def _line(row: Any) -> ReportLine:
    return ReportLine(row.id, row.number, row.kind, row.text, row.done_on, row.photo is not None)


async def recent(session: AsyncSession, member_id: int, limit: int = 10) -> list[ReportLine]:
    """A member's latest reports, newest activity first."""
    rows = await session.execute(
        select(*_LINE).where(_REPORT.c.member_id == member_id)
        .order_by(_REPORT.c.done_on.desc(), _REPORT.c.number.desc()).limit(limit)
    )
    return [_line(r) for r in rows]


async def count_of(session: AsyncSession, member_id: int, since: date) -> int:
    return int((await session.execute(
        select(func.count()).select_from(_REPORT)
        .where(and_(_REPORT.c.member_id == member_id, _REPORT.c.done_on >= since))
    )).scalar_one())


async def owned(session: AsyncSession, number: int, member_id: int) -> ReportLine | None:
    """The member's report with this (their own) number; None when they have none such."""
    row = (await session.execute(
        select(*_LINE).where(and_(_REPORT.c.member_id == member_id, _REPORT.c.number == number))
    )).first()
    return _line(row) if row else None


async def remove(session: AsyncSession, report: ReportLine, member_id: int) -> None:
    """Delete one of the member's reports and retire its number (see `RetiredReportNumber`)."""
    await tallies.report_removed(session, report.id)
    await session.execute(delete(_REPORT).where(_REPORT.c.id == report.id))
    retired = (await session.execute(
        select(_RETIRED.c.number).where(_RETIRED.c.member_id == member_id)
    )).scalar_one_or_none()
    if retired is None:
        await session.execute(insert(_RETIRED).values(member_id=member_id, number=report.number))
    elif retired < report.number:
        await session.execute(
            update(_RETIRED).where(_RETIRED.c.member_id == member_id).values(number=report.number))
