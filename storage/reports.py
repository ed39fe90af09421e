"""Activity reports (báo cáo hoạt động): the table and its queries.

Storing a report is the busiest write of the bot (every member, every week), so the queries
here are SQLAlchemy Core statements: no ORM objects are built on that path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Index, and_, delete, func, insert, select, update
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import UtcDateTime, utcnow

# Report kinds, in the order members choose them (1..5).
KIND_NAMES = {
    "study": "Học tập, quán triệt nghị quyết",
    "assigned": "Nhiệm vụ được phân công",
    "residence": "Hoạt động ở nơi cư trú, đoàn thể",
    "mass_help": "Giúp đỡ quần chúng, tạo nguồn phát triển đảng viên",
    "other": "Khác",
}
TEXT_MAX = 2000
PHOTO_MAX = 512
PHOTO_WINDOW = timedelta(minutes=10)  # a photo this soon after a report belongs to it


class Report(SQLModel, table=True):
    """One activity a member reports. `cell_id` is copied from the member so that a cell's
    tallies read one covering index, not a join."""

    __table_args__ = (
        Index("ix_report_cell_done", "cell_id", "done_on", "kind", "member_id"),
        Index("ix_report_member_done", "member_id", "done_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    cell_id: int = Field(foreign_key="org_unit.id")
    kind: str = Field(max_length=16)
    text: str = Field(max_length=2000)
    done_on: date
    photo: str | None = Field(default=None, max_length=512)  # Telegram file id or a URL
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


_REPORT = Report.__table__  # type: ignore[attr-defined]


async def add(
    session: AsyncSession, *, member_id: int, cell_id: int, kind: str, text: str, done_on: date,
    photo: str | None, now: datetime,
) -> int:
    """Insert one report (one statement) and return its number."""
    result = await session.execute(insert(_REPORT).values(
        member_id=member_id, cell_id=cell_id, kind=kind, text=text, done_on=done_on, photo=photo, created_at=now,
    ))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


@dataclass(frozen=True, slots=True)
class PhotoTarget:
    """The member's latest report, as far as attaching a late photo is concerned."""

    report_id: int
    has_photo: bool
    fresh: bool  # created less than PHOTO_WINDOW ago


async def latest(session: AsyncSession, member_id: int, now: datetime) -> PhotoTarget | None:
    row = (await session.execute(
        select(_REPORT.c.id, _REPORT.c.photo, _REPORT.c.created_at)
        .where(_REPORT.c.member_id == member_id).order_by(_REPORT.c.id.desc()).limit(1)
    )).first()
    if row is None:
        return None
    return PhotoTarget(row.id, row.photo is not None, now - row.created_at < PHOTO_WINDOW)


async def attach_photo(session: AsyncSession, report_id: int, photo: str) -> bool:
    """Attach a photo to a report that has none; False when it already had one."""
    result = await session.execute(
        update(_REPORT).where(and_(_REPORT.c.id == report_id, _REPORT.c.photo.is_(None))).values(photo=photo)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ReportLine:
    id: int
    kind: str
    text: str
    done_on: date
    has_photo: bool


async def recent(session: AsyncSession, member_id: int, limit: int = 10) -> list[ReportLine]:
    """A member's latest reports, newest activity first."""
    rows = await session.execute(
        select(_REPORT.c.id, _REPORT.c.kind, _REPORT.c.text, _REPORT.c.done_on, _REPORT.c.photo)
        .where(_REPORT.c.member_id == member_id)
        .order_by(_REPORT.c.done_on.desc(), _REPORT.c.id.desc()).limit(limit)
    )
    return [ReportLine(r.id, r.kind, r.text, r.done_on, r.photo is not None) for r in rows]


async def count_of(session: AsyncSession, member_id: int, since: date) -> int:
    return int((await session.execute(
        select(func.count()).select_from(_REPORT)
        .where(and_(_REPORT.c.member_id == member_id, _REPORT.c.done_on >= since))
    )).scalar_one())


async def owned(session: AsyncSession, report_id: int, member_id: int) -> ReportLine | None:
    """The report with this number if it is the member's own; None otherwise (whoever's it is)."""
    row = (await session.execute(
        select(_REPORT.c.id, _REPORT.c.kind, _REPORT.c.text, _REPORT.c.done_on, _REPORT.c.photo)
        .where(and_(_REPORT.c.id == report_id, _REPORT.c.member_id == member_id))
    )).first()
    return ReportLine(row.id, row.kind, row.text, row.done_on, row.photo is not None) if row else None


async def remove(session: AsyncSession, report_id: int) -> None:
    await session.execute(delete(_REPORT).where(_REPORT.c.id == report_id))
