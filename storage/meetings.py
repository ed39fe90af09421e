"""Cell meetings (sinh hoạt chi bộ), the monthly rule that creates them, and attendance.

Queries that handlers and schedules share live beside the tables; the rules (dates, quality)
are pure functions in `domain.meeting_rules`.

A meeting has two identities: its `id` (internal: outbox keys, foreign keys) and its `number`,
the small per-cell number people see and type ("buổi số 3"), given in creation order when the
meeting is first flushed (see `_number_new_meetings`), so no code path can forget it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Index, UniqueConstraint, event, func
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import meeting_rules as rules
from domain.vocabulary import MeetingKind, MeetingStatus, Position, Presence, Status
from storage import tallies  # noqa: F401  (its flush hook keeps each meeting's roll-call totals)
from storage.tables import Member, OrgUnit, Role
from storage.types import UtcDateTime, id_of, stored_id, utcnow


class MeetingSeries(SQLModel, table=True):
    """A cell's regular monthly meeting: day of month and local time (a setting of the cell)."""

    __tablename__ = "meeting_series"

    id: int | None = Field(default=None, primary_key=True)
    cell_id: int = Field(foreign_key="org_unit.id", index=True)
    day: int  # 1–31; a day past the month's end falls on its last day
    local_time: str = Field(max_length=5)  # "19:30" in the deployment's time zone
    place: str | None = Field(default=None, max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Meeting(SQLModel, table=True):
    """One sitting. A series' meeting carries its month: one meeting per series and month, even
    when two processes create months ahead at once or the meeting is later moved.

    `roll_call_at` is set when the roll call is taken (the secretary opens it with /diemdanh, or
    enters a paper roll call afterwards): a meeting without it has no attendance data at all
    ("chưa điểm danh"), never "everyone absent".
    """

    __table_args__ = (
        Index("ix_meeting_cell_start", "cell_id", "starts_at"),
        Index("ux_meeting_series_month", "series_id", "series_month", unique=True),
        Index("ux_meeting_cell_number", "cell_id", "number", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    cell_id: int = Field(foreign_key="org_unit.id")
    number: int | None = Field(default=None, nullable=False)  # per cell, 1, 2, 3… (given on the first flush)
    series_id: int | None = Field(default=None, foreign_key="meeting_series.id")
    series_month: str | None = Field(default=None, max_length=7)  # "2026-12" for a series' meeting
    kind: str = Field(default=MeetingKind.REGULAR, max_length=16)
    starts_at: datetime = Field(sa_type=UtcDateTime)
    duration_minutes: int = 90
    place: str | None = Field(default=None, max_length=200)
    topic: str | None = Field(default=None, max_length=300)  # the theme of a thematic meeting
    content: str | None = Field(default=None, max_length=1000)
    status: str = Field(default=MeetingStatus.SCHEDULED, max_length=16)
    checkin_code: str | None = Field(default=None, max_length=8)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    roll_call_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def has_roll_call(self) -> bool:
        return self.roll_call_at is not None

    def start_roll_call(self, now: datetime) -> None:
        """The roll call is taken from now on (kept when already taken: the first moment counts)."""
        if self.roll_call_at is None:
            self.roll_call_at = now
            self.updated_at = now


@event.listens_for(Session, "before_flush")
def _number_new_meetings(session: Session, _context: object, _instances: object) -> None:
    """Give each new meeting the next number of its cell, in order of start within one flush.

    Race-safe: on PostgreSQL the cells' rows are locked (`FOR UPDATE`) before the highest number
    is read, so two transactions creating meetings in one cell take turns, and the second reads
    the first's number once it commits. SQLite has one writer at a time. The unique index on
    (cell_id, number) is the last guard either way.
    """
    new = [obj for obj in session.new if isinstance(obj, Meeting) and obj.number is None]
    if not new:
        return
    cells = sorted({meeting.cell_id for meeting in new})
    with session.no_autoflush:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(OrgUnit.id).where(col(OrgUnit.id).in_(cells)).order_by(col(OrgUnit.id))
                            .with_for_update())
        highest: dict[int, int | None] = {int(cell): top for cell, top in session.execute(
            select(Meeting.cell_id, func.max(Meeting.number)).where(col(Meeting.cell_id).in_(cells))
            .group_by(col(Meeting.cell_id))
        ).all()}
    for meeting in sorted(new, key=lambda m: (m.created_at, m.starts_at)):
        number = (highest.get(meeting.cell_id) or 0) + 1
        highest[meeting.cell_id] = number
        meeting.number = number


class Attendance(SQLModel, table=True):
    """A member's answer to an invitation and, once the meeting ends, their attendance."""

    __table_args__ = (
        UniqueConstraint("meeting_id", "member_id"),
        Index("ix_attendance_meeting_status", "meeting_id", "status", "member_id"),  # covering: storage.summary
        Index("ix_attendance_member", "member_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id")
    member_id: int = Field(foreign_key="member.id")
    rsvp: str | None = Field(default=None, max_length=16)  # "yes" / "excused"
    reason: str | None = Field(default=None, max_length=500)
    status: str | None = Field(default=None, max_length=16)  # present / excused / absent
    checked_in_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


# -- reading -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Person:
    id: int
    full_name: str
    name_key: str
    exempt: bool


async def cell_members(session: AsyncSession, cell_id: int) -> list[Person]:
    """The cell's active members in list order (the order of the secretary's sheet)."""
    rows = (await session.exec(
        select(Member.id, Member.full_name, Member.name_key, Member.status)
        .where(Member.cell_id == cell_id, col(Member.active)).order_by(col(Member.id))
    )).all()
    return [Person(stored_id(r[0]), r[1], r[2], r[3] == Status.EXEMPT) for r in rows]


async def is_exempt(session: AsyncSession, member_id: int | None) -> bool:
    """Whether the member is exempt from meetings (miễn sinh hoạt): not expected, not invited."""
    if member_id is None:
        return False
    member = await session.get(Member, member_id)
    return member is not None and member.status == Status.EXEMPT


async def expected_members(session: AsyncSession, cell_id: int) -> list[Person]:
    """Who is expected at the cell's meetings: active members not exempt (miễn sinh hoạt)."""
    return [person for person in await cell_members(session, cell_id) if not person.exempt]


async def secretaries(session: AsyncSession, cell_id: int) -> list[int]:
    """Who receives results and warnings: the secretary; without one, the other leaders."""
    rows = (await session.exec(select(Role.member_id, Role.role).where(Role.unit_id == cell_id))).all()
    chosen = sorted({member for member, role in rows if role == Position.SECRETARY})
    return chosen or sorted({member for member, _role in rows})


async def upcoming(session: AsyncSession, cell_id: int, now: datetime, limit: int = 10) -> list[Meeting]:
    """Scheduled meetings not yet over, soonest first."""
    rows = (await session.exec(
        select(Meeting).where(Meeting.cell_id == cell_id, Meeting.status == MeetingStatus.SCHEDULED)
        .order_by(col(Meeting.starts_at)).limit(limit + 20)
    )).all()
    return [m for m in rows if m.ends_at > now][:limit]


async def on_day(session: AsyncSession, cell_id: int, start: datetime, tz: ZoneInfo) -> Meeting | None:
    """A scheduled meeting of the cell on the same local day as `start`."""
    day = start.astimezone(tz).date()
    low = rules.local_start(day, time(0), tz)
    rows = (await session.exec(
        select(Meeting).where(
            Meeting.cell_id == cell_id, Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at >= low, Meeting.starts_at < low + timedelta(days=1),
        ).order_by(col(Meeting.starts_at))
    )).all()
    return rows[0] if rows else None


async def meeting_in(session: AsyncSession, number: int, cell_ids: list[int]) -> Meeting | None:
    """The meeting a person means by "buổi số `number`": that number in the first of these cells
    that has it (a person sees only their own cells; the first is the one they act for)."""
    if not 0 < number < 2**31 or not cell_ids:  # a typed number no table holds (and no database integer fits)
        return None
    found = {m.cell_id: m for m in (await session.exec(
        select(Meeting).where(col(Meeting.cell_id).in_(cell_ids), Meeting.number == number)
    )).all()}
    return next((found[cell] for cell in cell_ids if cell in found), None)


async def numbers_of(session: AsyncSession, meeting_ids: list[int]) -> dict[int, int]:
    """Meeting id -> the number people know it by."""
    if not meeting_ids:
        return {}
    rows = (await session.exec(select(Meeting.id, Meeting.number).where(col(Meeting.id).in_(meeting_ids)))).all()
    return {int(meeting_id): int(number) for meeting_id, number in rows if meeting_id is not None and number}


async def active_series(session: AsyncSession, cell_id: int) -> MeetingSeries | None:
    return (await session.exec(
        select(MeetingSeries).where(MeetingSeries.cell_id == cell_id, col(MeetingSeries.active))
        .order_by(col(MeetingSeries.id).desc())
    )).first()


async def attendance_of(session: AsyncSession, meeting_id: int) -> dict[int, Attendance]:
    rows = (await session.exec(select(Attendance).where(Attendance.meeting_id == meeting_id))).all()
    return {row.member_id: row for row in rows}


# -- the monthly series ------------------------------------------------------------------------------

def series_time(series: MeetingSeries) -> time:
    hour, minute = series.local_time.split(":")
    return time(int(hour), int(minute))


async def ensure_series_meetings(
    session: AsyncSession, series: list[MeetingSeries], now: datetime, tz: ZoneInfo
) -> list[Meeting]:
    """Create each series' next two monthly meetings when missing; returns the ones created.

    A month is created once (the unique series month), so a month whose meeting was moved or
    cancelled is not created again; nor is a month in which the cell already holds its regular
    meeting (one set by hand, or kept from a replaced series).
    """
    wanted = {s.id: rules.next_occurrences(s.day, series_time(s), tz, now) for s in series}
    starts = [start for found in wanted.values() for _month, start in found]
    if not starts:
        return []
    taken: set[tuple[int, str]] = set()
    rows = (await session.exec(
        select(Meeting).where(
            col(Meeting.cell_id).in_({s.cell_id for s in series}), Meeting.status != MeetingStatus.CANCELLED,
            col(Meeting.kind).in_((MeetingKind.REGULAR, MeetingKind.COMBINED)),
            Meeting.starts_at >= min(starts) - timedelta(days=62),
            Meeting.starts_at <= max(starts) + timedelta(days=31),
        )
    )).all()
    for meeting in rows:
        year, month_number = rules.local_month(meeting.starts_at, tz)
        taken.add((meeting.cell_id, meeting.series_month or f"{year:04d}-{month_number:02d}"))
    done = {(stored_id(r[0]), str(r[1])) for r in (await session.exec(
        select(Meeting.series_id, Meeting.series_month).where(col(Meeting.series_id).in_(list(wanted)))
    )).all() if r[1] is not None}
    created = []
    for one in series:
        for month, start in wanted[one.id]:
            if (one.id, month) in done or (one.cell_id, month) in taken:
                continue
            meeting = Meeting(cell_id=one.cell_id, series_id=one.id, series_month=month, kind=MeetingKind.REGULAR,
                              starts_at=start, duration_minutes=rules.REGULAR_MINUTES, place=one.place,
                              created_at=now, updated_at=now)
            session.add(meeting)
            created.append(meeting)
            taken.add((one.cell_id, month))
    if created:
        await session.flush()
    return created


async def all_active_series(session: AsyncSession) -> list[MeetingSeries]:
    return list((await session.exec(select(MeetingSeries).where(col(MeetingSeries.active)))).all())


# -- answers and attendance ------------------------------------------------------------------------

async def attendance_row(session: AsyncSession, meeting_id: int, member_id: int, now: datetime) -> Attendance:
    """The member's row for the meeting (made when missing)."""
    row = (await session.exec(
        select(Attendance).where(Attendance.meeting_id == meeting_id, Attendance.member_id == member_id)
    )).first()
    if row is None:
        row = Attendance(meeting_id=meeting_id, member_id=member_id, updated_at=now)
        session.add(row)
    return row


async def answer(session: AsyncSession, meeting_id: int, member_id: int, rsvp: str, reason: str | None,
                 now: datetime) -> Attendance:
    row = await attendance_row(session, meeting_id, member_id, now)
    row.rsvp = rsvp
    row.reason = reason if rsvp == Presence.EXCUSED else None
    row.updated_at = now
    session.add(row)
    await session.flush()
    return row


async def record(session: AsyncSession, meeting: Meeting, member_id: int, status: str, now: datetime) -> Attendance:
    """Set a member's attendance (a check-in, or the secretary's entry): the roll call is taken."""
    meeting.start_roll_call(now)
    session.add(meeting)
    row = await attendance_row(session, id_of(meeting), member_id, now)
    row.status = status
    if status == Presence.PRESENT and row.checked_in_at is None:
        row.checked_in_at = now
    row.updated_at = now
    session.add(row)
    await session.flush()
    return row


def title(meeting: Meeting, tz: ZoneInfo) -> str:
    """What the meeting is, as members call it: `sinh hoạt thường kỳ tháng 12/2026`."""
    if meeting.series_month:
        year, month = (int(part) for part in meeting.series_month.split("-"))
    else:
        year, month = rules.local_month(meeting.starts_at, tz)
    regular = f"sinh hoạt thường kỳ tháng {month}/{year}"
    if meeting.kind == MeetingKind.THEMATIC:
        return f"sinh hoạt chuyên đề «{meeting.topic}»" if meeting.topic else "sinh hoạt chuyên đề"
    if meeting.kind == MeetingKind.COMBINED:
        return f"{regular} kết hợp chuyên đề «{meeting.topic}»" if meeting.topic else regular
    return regular


def duration_for(kind: str) -> int:
    return rules.COMBINED_MINUTES if kind == MeetingKind.COMBINED else rules.REGULAR_MINUTES
