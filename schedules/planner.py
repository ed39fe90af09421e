"""The planner: derives what must be sent, and when, from meetings, plans and deadlines.

It only writes rows; the dispatcher sends them. Every pass is idempotent: the series' months are
unique, the outbox keys are unique, and a row already sent is never touched. So a restart, a move,
a changed plan or a second process re-planning cannot make a reminder go twice.

- Monthly series: the next two months' meetings exist at all times.
- Meetings within the horizon: one row per reminder step and expected member. A row whose time
  changes (the meeting moved, the plan changed) is re-timed while still pending. A new or re-timed
  invitation whose time has already passed goes at once; a follow-up or last call whose time has
  passed by then is not planned: the invitation, or the notice of the move, says it all.
- Ended meetings: attendance is settled, the secretary gets the result and any warning. A meeting
  that ended without a roll call has no attendance: no result, no warning; the secretary is
  reminded at 08:00 the next morning to enter it (the reminder is dropped if it is entered first).
- Self-assessment deadlines: members without a self-assessment are reminded 7 and 2 days before.
  A reminder whose time passed while the bot was not running goes late (from 08:00), only the
  nearest one, worded from the real days left (see `schedules.compose`).
- After the invitations of a meeting, the secretary is told whom they could not reach.
- Party development: each deadline's reminders as their time comes (see `schedules.development_reminders`).
- A meeting's documents waiting to go follow a move or a cancellation (see `storage.documents`).
- Dues: on the day of the month a cell chose, members with arrears are reminded at 08:00, once a
  month (see `schedules.dues_reminders`).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import dates
from domain import meeting_rules as rules
from domain.vocabulary import MeetingStatus, Stage, UnitKind
from schedules import development_reminders, dues_reminders
from storage import attendance, documents, membership, outbox, unit_settings
from storage.assessments import Assessment
from storage.db import Database
from storage.meetings import Meeting, all_active_series, ensure_series_meetings, expected_members, secretaries
from storage.tables import OrgUnit
from storage.types import id_of, stored_id

log = logging.getLogger(__name__)
HORIZON = timedelta(days=rules.MAX_STEP_DAYS + 5)  # meetings this close get their reminders planned
DEADLINE_WINDOW = timedelta(days=8)  # deadline reminders are planned from this long before the day
DEADLINE_REPLAN = timedelta(minutes=10)  # and re-planned (for new members) at most this often
WARNING_KINDS = {"absence": outbox.WARN_ABSENCE, "excused": outbox.WARN_EXCUSED}


def reminder_key(meeting_id: int, part: str, member_id: int) -> str:
    return f"m{meeting_id}:{part}:{member_id}"


def _part(key: str) -> str:
    return key.split(":")[1]


class Planner:
    def __init__(self, db: Database, tz: ZoneInfo) -> None:
        self.db = db
        self.tz = tz
        self._deadlines_planned_at: datetime | None = None
        self._dues_planned_at: datetime | None = None
        self._standings_refreshed_on: date | None = None

    async def plan(self, now: datetime) -> None:
        for step in (self._standings, self._series, self._meetings, self._documents, self._deadlines, self._dues,
                     self._development):
            try:
                async with self.db.session() as session:
                    await step(session, now)
                    await session.commit()
            except Exception:
                log.exception("planning (%s) failed; the next pass tries again", step.__name__)

    # -- membership ----------------------------------------------------------------------------------------

    async def _standings(self, session: AsyncSession, now: datetime) -> None:
        """Once a day, cached member states that the calendar changed (an exemption that ended on its
        date, a temporary transfer back) are brought up to date before anything is planned for them."""
        today = now.astimezone(self.tz).date()
        if self._standings_refreshed_on == today:
            return
        refreshed = await membership.refresh(session, today)
        if refreshed:
            log.info("membership: %d member states changed by the calendar on %s", refreshed, today)
        self._standings_refreshed_on = today

    # -- series and meetings ------------------------------------------------------------------------------

    async def _series(self, session: AsyncSession, now: datetime) -> None:
        series = await all_active_series(session)
        if series:
            await ensure_series_meetings(session, series, now, self.tz)

    async def _meetings(self, session: AsyncSession, now: datetime) -> None:
        meetings = list((await session.exec(
            select(Meeting).where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > now,
                                  Meeting.starts_at <= now + HORIZON).order_by(col(Meeting.starts_at))
        )).all())
        if not meetings:
            return
        cells = sorted({m.cell_id for m in meetings})
        members = {cell: await expected_members(session, cell) for cell in cells}
        plans = {cell: rules.plan_from_setting(await unit_settings.get(session, cell, "reminder_plan"))
                 for cell in cells}
        existing = {row.key: row for row in await outbox.planned(session, [id_of(m) for m in meetings],
                                                                 outbox.REMINDER_KINDS)}
        new: list[outbox.New] = []
        obsolete: list[int] = []
        passed: list[int] = []
        for meeting in meetings:
            wanted: set[str] = set()
            for part, kind, step in rules.roles(plans[meeting.cell_id]):
                wanted.add(part)
                due = step.due(meeting.starts_at, self.tz)
                for person in members[meeting.cell_id]:
                    key = reminder_key(id_of(meeting), part, person.id)
                    row = existing.get(key)
                    if row is None:
                        if due < now and kind != outbox.INVITATION:
                            continue
                        new.append(outbox.New(key, person.id, kind, max(due, now), meeting.id,
                                              {"step": step.code()}))
                    elif row.status == outbox.PENDING and row.due_at != due:
                        if due >= now:
                            await outbox.reschedule(session, row.id, due)
                        elif kind != outbox.INVITATION:
                            passed.append(row.id)
                        elif row.due_at > now:
                            await outbox.reschedule(session, row.id, now)
            obsolete += [row.id for row in existing.values()
                         if row.meeting_id == meeting.id and row.status == outbox.PENDING
                         and _part(row.key) not in wanted]
        await outbox.drop(session, passed, "its time had passed when the meeting was moved or the plan changed", now)
        await outbox.drop(session, obsolete, "no longer in the cell's reminder plan", now)
        await outbox.enqueue(session, new, now)

    async def _documents(self, session: AsyncSession, now: datetime) -> None:
        """A meeting's documents still waiting follow it: re-timed when it moves, dropped when cancelled."""
        await documents.follow_meetings(session, now, self.tz)

    # -- deadlines ----------------------------------------------------------------------------------------

    async def _deadline_of(self, session: AsyncSession, cell_id: int, year: int) -> date | None:
        found = dates.parse_day_month(str(await unit_settings.get(session, cell_id, "self_assessment_deadline")))
        return rules.month_day(year, found[1], found[0]) if found else None

    async def _deadlines(self, session: AsyncSession, now: datetime) -> None:
        last = self._deadlines_planned_at
        if last is not None and last <= now < last + DEADLINE_REPLAN:
            return
        self._deadlines_planned_at = now
        year = now.astimezone(self.tz).year
        cells = (await session.exec(select(OrgUnit.id).where(OrgUnit.kind == UnitKind.CELL))).all()
        new: list[outbox.New] = []
        for cell_id in cells:
            deadline = await self._deadline_of(session, stored_id(cell_id), year)
            if deadline is None:
                continue
            opens = rules.local_start(deadline, time(0), self.tz) - DEADLINE_WINDOW
            if not opens <= now < rules.local_start(deadline + timedelta(days=1), time(0), self.tz):
                continue
            people = await expected_members(session, stored_id(cell_id))
            done = set((await session.exec(select(Assessment.member_id).where(
                Assessment.period == str(year), Assessment.stage == Stage.SELF,
                col(Assessment.member_id).in_([p.id for p in people]),
            ))).all())
            missing = [p for p in people if p.id not in done]
            for step, due in self._deadline_dues(deadline, now):
                new += [outbox.New(f"d:self:{year}:{step.code()}:{p.id}", p.id, outbox.DEADLINE, due, None,
                                   {"year": year, "deadline": deadline.isoformat()})
                        for p in missing]
        if new:
            known = await outbox.planned_keys(session, [item.key for item in new])
            await outbox.enqueue(session, [item for item in new if item.key not in known], now)

    def _deadline_dues(self, deadline: date, now: datetime) -> list[tuple[rules.Step, datetime]]:
        """When each deadline reminder goes: the steps still ahead at their time; of those whose
        time has passed (the bot was not running), only the nearest, late (from 08:00 today), and
        only when it goes before the next step's time (which then says it all)."""
        day_start = rules.local_start(deadline, time(0), self.tz)
        dues = [(step, step.due(day_start, self.tz)) for step in rules.deadline_steps()]
        ahead = [(step, due) for step, due in dues if due >= now]
        passed = [(step, due) for step, due in dues if due < now]
        if passed:
            step, _due = passed[-1]
            late = max(now, rules.local_start(now.astimezone(self.tz).date(), rules.REMINDER_TIME, self.tz))
            if late < day_start + timedelta(days=1) and (not ahead or late < ahead[0][1]):
                ahead.insert(0, (step, late))
        return ahead

    # -- dues -------------------------------------------------------------------------------------------------

    async def _dues(self, session: AsyncSession, now: datetime) -> None:
        """Dues reminders of the cells whose day is today; again at most every few minutes the same
        day (a member who fell into arrears meanwhile), at once on a new day."""
        last = self._dues_planned_at
        if (last is not None and last <= now < last + dues_reminders.REPLAN
                and last.astimezone(self.tz).date() == now.astimezone(self.tz).date()):
            return
        self._dues_planned_at = now
        cells = (await session.exec(select(OrgUnit.id).where(OrgUnit.kind == UnitKind.CELL))).all()
        new = await dues_reminders.plan(session, [stored_id(c) for c in cells], now, self.tz)
        if new:
            known = await outbox.planned_keys(session, [item.key for item in new])
            await outbox.enqueue(session, [item for item in new if item.key not in known], now)

    async def _development(self, session: AsyncSession, now: datetime) -> None:
        new = await development_reminders.plan(session, now, self.tz)
        if new:
            known = await outbox.planned_keys(session, [item.key for item in new])
            await outbox.enqueue(session, [item for item in new if item.key not in known], now)

    # -- who could not be reached ---------------------------------------------------------------------------

    async def report_unreachable(self, now: datetime) -> int:
        """Once a meeting's invitations are all out, tell the secretary whom they did not reach
        (run after dispatching, so the report follows the invitations); returns how many reports."""
        async with self.db.session() as session:
            added = await self._unreachable(session, now)
            await session.commit()
        return added

    async def _unreachable(self, session: AsyncSession, now: datetime) -> int:
        meetings = {id_of(m): m for m in (await session.exec(
            select(Meeting).where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > now,
                                  Meeting.starts_at <= now + HORIZON)
        )).all()}
        new: list[outbox.New] = []
        for meeting_id, rows in (await outbox.invitation_outcomes(session, list(meetings))).items():
            if any(row.status in (outbox.PENDING, outbox.SENDING) for row in rows):
                continue
            missed = [row.member_id for row in rows if row.status in (outbox.UNREACHABLE, outbox.FAILED)]
            if missed:
                new += [outbox.New(f"m{meeting_id}:unreachable:{secretary}", secretary, outbox.UNREACHABLE_LIST,
                                   now, meeting_id, {"members": missed})
                        for secretary in await secretaries(session, meetings[meeting_id].cell_id)]
        if not new:
            return 0
        known = await outbox.planned_keys(session, [item.key for item in new])
        fresh = [item for item in new if item.key not in known]
        await outbox.enqueue(session, fresh, now)
        return len(fresh)

    # -- meetings that are over -------------------------------------------------------------------------------

    async def end_meetings(self, now: datetime) -> list[int]:
        """Settle every meeting whose time is over; returns their numbers."""
        async with self.db.session() as session:
            started = (await session.exec(
                select(Meeting.id).where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at <= now)
                .order_by(col(Meeting.starts_at))
            )).all()
        ended = []
        for meeting_id in started:
            async with self.db.session() as session:
                meeting = await session.get(Meeting, meeting_id)
                if meeting is None or meeting.status != MeetingStatus.SCHEDULED or meeting.ends_at > now:
                    continue
                settled = await attendance.finalize(session, meeting, now)
                leaders = await secretaries(session, meeting.cell_id)
                if settled is None:
                    morning = self.next_morning(meeting.ends_at)
                    items = [outbox.New(f"m{meeting.id}:no_roll_call:{s}", s, outbox.ROLL_CALL_MISSING,
                                        max(morning, now), meeting.id) for s in leaders]
                else:
                    items = [outbox.New(f"m{meeting.id}:result:{s}", s, outbox.RESULT, now, meeting.id)
                             for s in leaders]
                for warning in await attendance.warnings_after(session, meeting, self.tz):
                    items += [outbox.New(f"{warning.key}:to{s}", s, WARNING_KINDS[warning.kind], now, meeting.id,
                                         {"member": warning.member_id, **warning.detail}) for s in leaders]
                await outbox.enqueue(session, items, now)
                await session.commit()
                ended.append(stored_id(meeting_id))
        return ended

    def next_morning(self, moment: datetime) -> datetime:
        """08:00 local on the day after `moment`."""
        return rules.local_start(moment.astimezone(self.tz).date() + timedelta(days=1), rules.REMINDER_TIME, self.tz)

    # -- when something next happens ----------------------------------------------------------------------------

    async def next_event(self, after: datetime) -> datetime | None:
        """The next moment after `after` at which planning or settling has something new to do."""
        moments: list[datetime] = []
        async with self.db.session() as session:
            for meeting in (await session.exec(select(Meeting).where(Meeting.status == MeetingStatus.SCHEDULED))).all():
                moments += [meeting.starts_at, meeting.ends_at, meeting.starts_at - HORIZON]
            cells = (await session.exec(select(OrgUnit.id).where(OrgUnit.kind == UnitKind.CELL))).all()
            year = after.astimezone(self.tz).year
            for cell_id in cells:
                for which in (year, year + 1):
                    deadline = await self._deadline_of(session, stored_id(cell_id), which)
                    if deadline is not None:
                        moments.append(rules.local_start(deadline, time(0), self.tz) - DEADLINE_WINDOW)
            moments += await dues_reminders.window_starts(session, [stored_id(c) for c in cells], after, self.tz)
            moments += await development_reminders.moments(session, after, self.tz)
        later = [moment for moment in moments if moment > after]
        return min(later) if later else None
