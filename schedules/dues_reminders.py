"""Dues reminders (issue 14): on the day of the month a cell chooses, each member with arrears is
reminded, privately, of the months not paid and what they add up to.

- The day is the unit setting `dues_reminder_day` (0: off, the default; 1–28; a cell inherits its
  committee's). Days 29–31 are not offered: every month has the day, so no month is skipped.
- Arrears are the months that ended before the current month without being paid in full
  (`Allocation.unpaid_months(before=…)`); an exempt month owes nothing, so it never counts.
- The planner plans from midnight of the day (like the deadline reminders: planned ahead, due at
  08:00), one row per member, keyed by the month: a member is reminded at most once a month,
  whatever the restarts, replans or a day changed in between. A row planned after 08:00 (the bot
  was down then) goes at once, the same day; a day that passed is never caught up.
- The text is composed at send time from the book as it is then (`schedules.compose`): paid
  meanwhile, nothing goes; the reminder day over (the bot was down until the next day), nothing goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from domain import dues
from domain import meeting_rules as rules
from domain.dues import MonthState, money, months_text
from domain.messages import Reply
from storage import dues as book
from storage import outbox, unit_settings
from storage.dues_figures import members_of

REPLAN = timedelta(minutes=10)  # on the day, members who fall into arrears are picked up this often


def key(month: date, member_id: int) -> str:
    """One reminder per member and month."""
    return f"dues:{month:%Y-%m}:{member_id}"


async def arrears(session: AsyncSession, member_ids: Sequence[int], unit_id: int, today: date
                  ) -> dict[int, list[MonthState]]:
    """Each member's months ended before this one and not fully paid, by the money received up to today."""
    current = dues.month_of(today)
    known = await book.book(session, member_ids, unit_id, current, today)
    return {member_id: allocation.unpaid_months(before=current)
            for member_id, allocation in known.allocations.items()}


async def plan(session: AsyncSession, cell_ids: Sequence[int], now: datetime, tz: ZoneInfo) -> list[outbox.New]:
    """The reminders of the cells whose day is today, for members with arrears: due at 08:00, or at
    once when planned later that day."""
    today = now.astimezone(tz).date()
    due = max(now, rules.local_start(today, rules.REMINDER_TIME, tz))
    cells = [cell_id for cell_id in cell_ids if await unit_settings.dues_reminder_day(session, cell_id) == today.day]
    if not cells:
        return []
    new: list[outbox.New] = []
    for cell_id, people in (await members_of(session, cells)).items():
        late = await arrears(session, [person.member_id for person in people], cell_id, today)
        new += [outbox.New(key(today, member_id), member_id, outbox.DUES, due, None,
                           {"day": today.isoformat()})
                for member_id, months in late.items() if months]
    return new


async def window_starts(session: AsyncSession, cell_ids: Sequence[int], after: datetime, tz: ZoneInfo
                        ) -> list[datetime]:
    """When planning opens next for each cell with reminders on (midnight of its day, this month
    and next): moments the simulated clock must stop at."""
    month = dues.month_of(after.astimezone(tz).date())
    found: list[datetime] = []
    for cell_id in cell_ids:
        day = await unit_settings.dues_reminder_day(session, cell_id)
        if day:
            found += [rules.local_start(dues.add_months(month, ahead).replace(day=day), time(0), tz)
                      for ahead in (0, 1)]
    return found


def reminder(months: Sequence[MonthState]) -> Reply:
    """The member's reminder: the months and the total left (a part-paid month counts what is left)."""
    total = sum(state.unpaid for state in months)
    return Reply(f"Nhắc đóng đảng phí: đồng chí còn nợ đảng phí {months_text([s.month for s in months])}, "
                 f"tổng {money(total)}. Đồng chí nộp cho bí thư hoặc thủ quỹ chi bộ. "
                 "Gõ /dangphi toi để xem chi tiết.")

