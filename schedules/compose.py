"""Turns a due outbox row into the message to send now, or into a reason not to send it.

Decided at send time from the database as it is then: a member who has answered gets no
follow-up, one who excused gets nothing more about that meeting, an exempt member gets no
meeting reminder, and a reminder whose meeting has begun is no longer useful. A reminder late
(the bot was down) is worded from the real time left, and goes only when no nearer one of the
same series is due too and none went out since its time: one message, never "còn 7 ngày" on
the deadline day. The secretary's reminder of a missing roll call goes only while it is missing.
A dues reminder names the arrears as the book has them at send time, and goes only on its day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.messages import Reply
from domain.periods import ReviewPeriod
from domain.review import is_reviewed
from domain.vocabulary import MeetingStatus, Presence, Stage, Status
from schedules import development_reminders, dues_reminders, texts
from storage import attendance, outbox
from storage.assessments import Assessment
from storage.meetings import Attendance, Meeting, cell_members, numbers_of
from storage.tables import Member, OrgUnit


@dataclass(frozen=True, slots=True)
class Skip:
    """Why a due message is not sent (recorded on the row)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Composer:
    tz: ZoneInfo
    grace: timedelta  # how long after a meeting has begun a late reminder is still sent

    async def compose(self, session: AsyncSession, row: Any, now: datetime) -> Reply | Skip:
        kind = row.kind
        if kind in outbox.REMINDER_KINDS:
            return await self._reminder(session, row, now)
        if kind == outbox.DEADLINE:
            return await self._deadline(session, row, now)
        if kind == outbox.DUES:
            return await self._dues(session, row, now)
        if kind == outbox.DEVELOPMENT:
            found = await development_reminders.compose(session, row, now, self.tz)
            return found if isinstance(found, Reply) else Skip(found)
        if kind == outbox.NOTICE:
            text = str(row.payload.get("text") or "")
            file_ref = row.payload.get("file")  # a file sent on a messenger: re-sent there, a link on Zalo
            return Reply(text, file_ref=str(file_ref) if file_ref else None) if text else Skip("an empty notice")
        meeting = await session.get(Meeting, row.meeting_id) if row.meeting_id else None
        if meeting is None:
            return Skip("the meeting no longer exists")
        if kind == outbox.MOVED:
            return await self._moved(session, row, meeting, now)
        if kind == outbox.CANCELLED:
            if now >= meeting.starts_at:
                return Skip("too late: the cancelled meeting's time has passed")
            return texts.cancelled(meeting, str(row.payload.get("reason") or ""), self.tz)
        if kind == outbox.RESULT:
            if not meeting.has_roll_call:
                return Skip("the meeting has no roll call")
            return await self._result(session, meeting)
        if kind == outbox.ROLL_CALL_MISSING:
            if meeting.has_roll_call:
                return Skip("the roll call has been entered")
            if meeting.status != MeetingStatus.ENDED:
                return Skip("the meeting did not take place")
            return texts.roll_call_missing(meeting, self.tz)
        if kind == outbox.UNREACHABLE_LIST:
            names = await _names(session, [int(i) for i in row.payload.get("members", [])])
            return texts.unreachable(meeting, names, self.tz) if names else Skip("nobody to list")
        if kind == outbox.WARN_ABSENCE:
            name = (await _names(session, [int(row.payload["member"])]) or ["?"])[0]
            return texts.absence_warning(name, int(row.payload["year"]), [int(m) for m in row.payload["months"]])
        if kind == outbox.WARN_EXCUSED:
            name = (await _names(session, [int(row.payload["member"])]) or ["?"])[0]
            ids = [int(m) for m in row.payload["meetings"]]
            numbers = await numbers_of(session, ids)
            return texts.excused_warning(name, sorted(numbers.get(i, i) for i in ids))
        return Skip(f"unknown kind {kind}")

    async def _concerned(self, session: AsyncSession, row: Any, meeting: Meeting, now: datetime
                         ) -> Attendance | Skip | None:
        """The recipient's answer, or why a message about this meeting no longer concerns them."""
        if meeting.status == MeetingStatus.CANCELLED:
            return Skip("the meeting was cancelled")
        if meeting.status == MeetingStatus.ENDED or now >= meeting.starts_at + self.grace:
            return Skip("too late: the meeting has begun")
        member = await session.get(Member, row.member_id)
        if member is None or not member.active or member.cell_id != meeting.cell_id:
            return Skip("no longer a member of the cell")
        if member.status == Status.EXEMPT:
            return Skip("exempt from meetings")
        return (await session.exec(select(Attendance).where(
            Attendance.meeting_id == meeting.id, Attendance.member_id == row.member_id
        ))).first()

    async def _reminder(self, session: AsyncSession, row: Any, now: datetime) -> Reply | Skip:
        meeting = await session.get(Meeting, row.meeting_id)
        if meeting is None:
            return Skip("the meeting no longer exists")
        answer = await self._concerned(session, row, meeting, now)
        if isinstance(answer, Skip):
            return answer
        rsvp = answer.rsvp if answer is not None else None
        if rsvp == Presence.EXCUSED:
            return Skip("excused from this meeting")
        if row.kind != outbox.INVITATION and await outbox.overtaken(
                session, row, outbox.REMINDER_KINDS, now, meeting_id=meeting.id):
            return Skip("superseded: a later reminder went instead")
        if row.kind == outbox.LAST_CALL:
            return texts.last_call(meeting, rsvp, now, self.tz)
        if rsvp is not None:
            return Skip("already answered")
        if row.kind == outbox.FOLLOWUP:
            return texts.followup(meeting, self.tz)
        cell = await session.get(OrgUnit, meeting.cell_id)
        return texts.invitation(meeting, cell.name if cell else "Chi bộ", self.tz)

    async def _moved(self, session: AsyncSession, row: Any, meeting: Meeting, now: datetime) -> Reply | Skip:
        if datetime.fromisoformat(str(row.payload["new"])) != meeting.starts_at:
            return Skip("moved again since: the newer notice tells")
        answer = await self._concerned(session, row, meeting, now)
        if isinstance(answer, Skip):
            return answer
        old = datetime.fromisoformat(str(row.payload["old"]))
        return texts.moved(meeting, old, answer.rsvp if answer is not None else None, self.tz)

    async def _result(self, session: AsyncSession, meeting: Meeting) -> Reply:
        tally = await attendance.tally(session, meeting)
        exempt = sum(1 for person in await cell_members(session, meeting.cell_id) if person.exempt)
        return texts.result(
            meeting, len(tally.present), len(tally.expected),
            [(person.full_name, reason) for person, reason in tally.excused],
            [person.full_name for person in tally.absent], exempt, self.tz,
        )

    async def _deadline(self, session: AsyncSession, row: Any, now: datetime) -> Reply | Skip:
        year = int(row.payload["year"])
        deadline = date.fromisoformat(str(row.payload["deadline"]))
        today = now.astimezone(self.tz).date()
        if today > deadline:
            return Skip("too late: the deadline has passed")
        member = await session.get(Member, row.member_id)
        if member is None or not member.active:
            return Skip("not a member any more")
        if not is_reviewed(member.status, member.admitted_on, ReviewPeriod(year).last_day):
            return Skip("not rated this year: exempt, suspended or admitted less than 6 months before")
        done = (await session.exec(select(Assessment.id).where(
            Assessment.member_id == row.member_id, Assessment.period == str(year), Assessment.stage == Stage.SELF
        ))).first()
        if done is not None:
            return Skip("already assessed themselves")
        if await outbox.overtaken(session, row, (outbox.DEADLINE,), now, key_prefix=f"d:self:{year}:"):
            return Skip("superseded: a later reminder went instead")
        return texts.deadline(year, deadline, (deadline - today).days)

    async def _dues(self, session: AsyncSession, row: Any, now: datetime) -> Reply | Skip:
        today = now.astimezone(self.tz).date()
        if today != date.fromisoformat(str(row.payload["day"])):
            return Skip("too late: the reminder day has passed")
        member = await session.get(Member, row.member_id)
        if member is None or not member.active or member.cell_id is None:
            return Skip("not a member any more")
        months = (await dues_reminders.arrears(session, [row.member_id], member.cell_id, today))[row.member_id]
        if not months:
            return Skip("the arrears were paid meanwhile")
        return dues_reminders.reminder(months)


async def _names(session: AsyncSession, member_ids: list[int]) -> list[str]:
    names = []
    for member_id in member_ids:
        member = await session.get(Member, member_id)
        if member is not None:
            names.append(member.full_name)
    return names
