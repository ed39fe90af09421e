"""Attendance once a meeting ends: who counts as excused or absent, the tally, and the warnings.

Exempt members (miễn sinh hoạt) are left out: they get no row status and are not expected.
Only a meeting whose roll call was taken (`Meeting.roll_call_at`: opened with /diemdanh during
the meeting, or entered from paper afterwards) has attendance: one that ends without it gets no
status for anyone, and counts in no rate and no warning (domain.md, "chưa điểm danh").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import meeting_rules as rules
from domain.figures import fraction
from domain.vocabulary import MeetingStatus, Presence
from storage.meetings import Attendance, Meeting, Person, attendance_of, cell_members, expected_members
from storage.tables import Member
from storage.types import id_of, stored_id


@dataclass(slots=True)
class Tally:
    """A meeting's attendance: present / expected, and the absentees by name with reasons."""

    meeting_id: int
    expected: list[Person] = field(default_factory=list)
    present: list[Person] = field(default_factory=list)
    excused: list[tuple[Person, str]] = field(default_factory=list)
    absent: list[Person] = field(default_factory=list)

    @property
    def ratio(self) -> str:
        return fraction(len(self.present), len(self.expected), rules.QUALITY_SHARE)

    @property
    def meets_quality(self) -> bool:
        return rules.meets_quality(len(self.present), len(self.expected), len(self.absent))


async def finalize(session: AsyncSession, meeting: Meeting, now: datetime) -> Tally | None:
    """End the meeting. With a roll call, whoever did not check in is excused (if they gave a
    reason) or absent; without one, nobody gets a status and there is no tally (None)."""
    meeting.status = MeetingStatus.ENDED
    meeting.ended_at = now
    meeting.updated_at = now
    session.add(meeting)
    if not meeting.has_roll_call:
        await session.flush()
        return None
    members = await expected_members(session, meeting.cell_id)
    expected = {person.id for person in members}
    meeting_id = id_of(meeting)
    rows = await attendance_of(session, meeting_id)
    for person in members:
        row = rows.get(person.id)
        if row is None:
            row = Attendance(meeting_id=meeting_id, member_id=person.id)
            rows[person.id] = row
        if row.status is None:
            row.status = Presence.EXCUSED if row.rsvp == Presence.EXCUSED and row.reason else Presence.ABSENT
            row.updated_at = now
        session.add(row)
    _leave_out(rows, expected, now, session)
    await session.flush()
    return await tally(session, meeting)


def _leave_out(rows: dict[int, Attendance], expected: set[int], now: datetime, session: AsyncSession) -> None:
    """Rows of members not expected (became exempt, left the cell) carry no status: not counted."""
    for member_id, row in rows.items():
        if member_id not in expected and row.status is not None:
            row.status = None
            row.updated_at = now
            session.add(row)


async def enter_paper(session: AsyncSession, meeting: Meeting, roster: list[Person],
                      named: dict[int, tuple[str, str | None]], now: datetime) -> Tally:
    """A roll call held on paper: everyone on `roster` is present except those `named` (member ->
    status, reason). It replaces whatever was recorded before (an earlier entry, or a live roll
    call); an excused member named without a reason keeps the one they gave when excusing."""
    meeting_id = id_of(meeting)
    rows = await attendance_of(session, meeting_id)
    for person in roster:
        row = rows.get(person.id)
        if row is None:
            row = Attendance(meeting_id=meeting_id, member_id=person.id, updated_at=now)
            rows[person.id] = row
        status, reason = named.get(person.id, (Presence.PRESENT, None))
        row.status = status
        if status == Presence.EXCUSED:
            row.reason = reason or (row.reason if row.rsvp == Presence.EXCUSED else None)
        row.updated_at = now
        session.add(row)
    _leave_out(rows, {person.id for person in roster}, now, session)
    meeting.start_roll_call(now)
    session.add(meeting)
    await session.flush()
    return await tally(session, meeting)


async def tally(session: AsyncSession, meeting: Meeting) -> Tally:
    """The tally of an ended meeting, from its attendance rows, in list order."""
    rows = await attendance_of(session, id_of(meeting))
    result = Tally(id_of(meeting))
    for person in await cell_members(session, meeting.cell_id) + await _former(session, meeting, rows):
        row = rows.get(person.id)
        if row is None or row.status is None:
            continue
        result.expected.append(person)
        if row.status == Presence.PRESENT:
            result.present.append(person)
        elif row.status == Presence.EXCUSED:
            result.excused.append((person, row.reason or ""))
        else:
            result.absent.append(person)
    return result


async def _former(session: AsyncSession, meeting: Meeting, rows: dict[int, Attendance]) -> list[Person]:
    """Members counted at the meeting who have since left the cell (they stay in its tally)."""
    current = {person.id for person in await cell_members(session, meeting.cell_id)}
    missing = [member_id for member_id, row in rows.items() if member_id not in current and row.status]
    if not missing:
        return []
    found = (await session.exec(select(Member).where(col(Member.id).in_(missing)).order_by(col(Member.id)))).all()
    return [Person(id_of(m), m.full_name, m.name_key, False) for m in found]


@dataclass(frozen=True, slots=True)
class Warning:
    """Something the secretary must consider (the bot never removes anyone)."""

    kind: str  # "absence" (3 months without reason in a year) or "excused" (more than 3 in a row)
    member_id: int
    key: str  # what makes it once-only
    detail: dict[str, object]


async def absence_months(session: AsyncSession, member_id: int, year: int, tz: ZoneInfo) -> list[int]:
    """The months of `year` (local time) in which the member missed a meeting without reason."""
    low, high = rules.year_bounds(year, tz)
    starts = (await session.exec(
        select(Meeting.starts_at).join(Attendance, col(Attendance.meeting_id) == col(Meeting.id)).where(
            Attendance.member_id == member_id, Attendance.status == Presence.ABSENT,
            col(Meeting.roll_call_at).is_not(None), Meeting.starts_at >= low, Meeting.starts_at < high,
        )
    )).all()
    return sorted({rules.local_month(start, tz)[1] for start in starts})


async def excused_run(session: AsyncSession, member_id: int, meeting: Meeting, tz: ZoneInfo) -> list[int]:
    """The meetings (latest first) of this year up to `meeting` that the member missed excused in a row."""
    year = rules.local_month(meeting.starts_at, tz)[0]
    low, _high = rules.year_bounds(year, tz)
    rows = (await session.exec(
        select(Meeting.id, Attendance.status).join(Attendance, col(Attendance.meeting_id) == col(Meeting.id)).where(
            Attendance.member_id == member_id, Meeting.status == MeetingStatus.ENDED,
            col(Meeting.roll_call_at).is_not(None), col(Attendance.status).is_not(None),
            Meeting.starts_at >= low, Meeting.starts_at <= meeting.starts_at,
        ).order_by(col(Meeting.starts_at).desc())
    )).all()
    run = rules.trailing_run([status for _id, status in rows], Presence.EXCUSED)
    return [stored_id(meeting_id) for meeting_id, _status in rows[:run]]


async def warnings_after(session: AsyncSession, meeting: Meeting, tz: ZoneInfo,
                         member_ids: list[int] | None = None) -> list[Warning]:
    """Warnings this meeting's attendance gives rise to (for some members, or all of it); none
    without a roll call."""
    if not meeting.has_roll_call:
        return []
    rows = await attendance_of(session, id_of(meeting))
    year = rules.local_month(meeting.starts_at, tz)[0]
    found: list[Warning] = []
    for member_id, row in sorted(rows.items()):
        if member_ids is not None and member_id not in member_ids:
            continue
        if row.status == Presence.ABSENT:
            months = await absence_months(session, member_id, year, tz)
            if len(months) >= rules.REMOVAL_MONTHS:
                found.append(Warning("absence", member_id, f"warn:absence:{year}:{member_id}",
                                     {"year": year, "months": months}))
        elif row.status == Presence.EXCUSED:
            run = await excused_run(session, member_id, meeting, tz)
            if len(run) > rules.EXCUSED_RUN:
                found.append(Warning("excused", member_id, f"warn:excused:{meeting.id}:{member_id}",
                                     {"count": len(run), "meetings": sorted(run)}))
    return found
