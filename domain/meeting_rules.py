"""The rules of meeting dates, reminder plans and attendance quality (domain.md), as pure functions.

No database and no clock of their own: handlers (what the secretary types) and schedules (when
reminders fall due) share them, and unit tests pin each rule.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from domain.errors import UserError
from domain.figures import fraction, percent
from domain.text import fold
from domain.vocabulary import Presence

REGULAR_MINUTES = 90  # Chỉ thị 50-CT/TW, Hướng dẫn 42-HD/BTCTW: at least 90 minutes
COMBINED_MINUTES = 120  # regular and thematic in one sitting
REMINDER_TIME = time(8, 0)  # day-based reminders go out at 08:00 local time
CHECKIN_OPENS = timedelta(minutes=60)  # /diemdanh may open the roll call this long before the start
QUALITY_SHARE = Fraction(85, 100)  # attendance must be above this (and no unexcused absence)
REMOVAL_MONTHS = 3  # months with an unexcused absence in a calendar year: removal to be considered
EXCUSED_RUN = 3  # excused more than this many times in a row: the secretary is warned
MAX_STEP_DAYS = 30
MAX_STEP_HOURS = 72
MAX_STEPS = 5
DEFAULT_PLAN = ("3n", "1n", "2g")

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

_STEP = re.compile(r"(\d{1,3})\s*(ngay|n|gio|g|h)(?![a-z])")


# -- dates and times -----------------------------------------------------------------------------

def local_start(day: date, at: time, tz: ZoneInfo) -> datetime:
    """A local date and time as an aware UTC instant."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def month_day(year: int, month: int, day: int) -> date:
    """The `day` of a month; a day past the month's end falls on its last day (31 → 30/11, 28/02)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def next_occurrences(day: int, at: time, tz: ZoneInfo, after: datetime, count: int = 2) -> list[tuple[str, datetime]]:
    """The next `count` monthly meetings strictly after `after`: (series month "YYYY-MM", start)."""
    local = after.astimezone(tz)
    year, month = local.year, local.month
    found: list[tuple[str, datetime]] = []
    while len(found) < count:
        start = local_start(month_day(year, month, day), at, tz)
        if start > after:
            found.append((f"{year:04d}-{month:02d}", start))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def format_when(start: datetime, tz: ZoneInfo) -> str:
    """`19:30 Thứ Bảy, 05/12/2026`: how every message states a meeting's time."""
    local = start.astimezone(tz)
    return f"{local:%H:%M} {WEEKDAYS[local.weekday()]}, {local:%d/%m/%Y}"


def format_time(start: datetime, tz: ZoneInfo) -> str:
    return f"{start.astimezone(tz):%H:%M}"


def local_month(start: datetime, tz: ZoneInfo) -> tuple[int, int]:
    local = start.astimezone(tz)
    return local.year, local.month


def year_bounds(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The calendar year in local time, as a UTC half-open interval."""
    return local_start(date(year, 1, 1), time(0), tz), local_start(date(year + 1, 1, 1), time(0), tz)


# -- reminder plans ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Step:
    """One reminder: `amount` days before at 08:00 (unit "n") or `amount` hours before (unit "g")."""

    amount: int
    unit: str

    @property
    def nominal_hours(self) -> int:
        return self.amount * 24 if self.unit == "n" else self.amount

    def code(self) -> str:
        return f"{self.amount}{self.unit}"

    def words(self) -> str:
        return f"{self.amount} ngày" if self.unit == "n" else f"{self.amount} giờ"

    def due(self, start: datetime, tz: ZoneInfo) -> datetime:
        if self.unit == "g":
            return start - timedelta(hours=self.amount)
        day = start.astimezone(tz).date() - timedelta(days=self.amount)
        return local_start(day, REMINDER_TIME, tz)


PLAN_HELP = ("Gõ các mốc nhắc, xa trước gần sau, ví dụ: /caidat nhacnho 3n 1n 2g "
             "(n = ngày, nhắc lúc 08:00; g = giờ trước giờ họp).")


def parse_plan(text: str) -> list[Step]:
    """`3n 1n 2g` (also `3 ngày 1 ngày 2 giờ`), farthest first; a `UserError` says what is wrong."""
    folded = fold(text)
    if not folded:
        raise UserError(PLAN_HELP)
    if _STEP.sub("", folded).replace(",", "").strip():
        raise UserError("Không hiểu mốc nhắc «" + text.strip()[:40] + "». " + PLAN_HELP)
    steps = [Step(int(amount), "n" if unit in ("n", "ngay") else "g") for amount, unit in _STEP.findall(folded)]
    if len(steps) > MAX_STEPS:
        raise UserError(f"Tối đa {MAX_STEPS} mốc nhắc. " + PLAN_HELP)
    for step in steps:
        if step.amount < 1 or (step.unit == "n" and step.amount > MAX_STEP_DAYS) or (
                step.unit == "g" and step.amount > MAX_STEP_HOURS):
            raise UserError(f"Mốc nhắc phải từ 1 đến {MAX_STEP_DAYS} ngày, hoặc từ 1 đến {MAX_STEP_HOURS} giờ.")
    hours = [step.nominal_hours for step in steps]
    if len(set(hours)) != len(hours):
        raise UserError("Các mốc nhắc không được trùng nhau. " + PLAN_HELP)
    return sorted(steps, key=lambda step: -step.nominal_hours)


def plan_from_setting(value: object) -> list[Step]:
    """The stored plan (a list like ["3n", "1n", "2g"]); a broken value falls back to the default."""
    try:
        return parse_plan(" ".join(str(item) for item in value)) if isinstance(value, list) else parse_plan(
            str(value))
    except UserError:
        return parse_plan(" ".join(DEFAULT_PLAN))


INVITATION = "invitation"
FOLLOWUP = "followup"
LAST_CALL = "last_call"


def roles(steps: list[Step]) -> list[tuple[str, str, Step]]:
    """(key part, kind, step): the first step invites, the last (of two or more) is the last call,
    those between remind who has not answered."""
    found: list[tuple[str, str, Step]] = []
    for index, step in enumerate(steps):
        if index == 0:
            found.append(("inv", INVITATION, step))
        elif index == len(steps) - 1:
            found.append(("last", LAST_CALL, step))
        else:
            found.append((f"f{index}", FOLLOWUP, step))
    return found


def describe_plan(steps: list[Step]) -> str:
    """The plan in words, for the secretary."""
    parts = []
    for _key, kind, step in roles(steps):
        when = f"trước {step.words()}" + (" lúc 08:00" if step.unit == "n" else "")
        parts.append({INVITATION: f"lời mời gửi {when}", FOLLOWUP: f"nhắc người chưa trả lời {when}",
                      LAST_CALL: f"nhắc lần cuối {when}"}[kind])
    return "; ".join(parts)


def deadline_steps() -> list[Step]:
    """Self-assessment deadline reminders: 7 and 2 days before, at 08:00."""
    return [Step(7, "n"), Step(2, "n")]


# -- attendance --------------------------------------------------------------------------------------

def meets_quality(present: int, expected: int, absent: int) -> bool:
    """Attendance above 85% and no unexcused absence (the 2018 guide; exempt members left out)."""
    # In integers (present / expected > n / d  ⇔  present · d > n · expected): a committee's year
    # asks this of a thousand meetings, and a Fraction per meeting was a tenth of its time.
    return (absent == 0 and expected > 0
            and present * QUALITY_SHARE.denominator > QUALITY_SHARE.numerator * expected)


def trailing_run(statuses_newest_first: Sequence[str | None], status: str) -> int:
    """How many of the latest meetings in a row had this status."""
    run = 0
    for found in statuses_newest_first:
        if found != status:
            break
        run += 1
    return run


def longest_run(statuses_in_order: Sequence[str | None], status: str) -> int:
    """The most meetings in a row with this status (the year's "excused more than 3 times in a row")."""
    longest = run = 0
    for found in statuses_in_order:
        run = run + 1 if found == status else 0
        longest = max(longest, run)
    return longest


def excused_too_often(statuses_in_order: list[str]) -> bool:
    """Excused more than `EXCUSED_RUN` times in a row: attendance no longer meets the bar."""
    return longest_run(statuses_in_order, Presence.EXCUSED) > EXCUSED_RUN


def attendance_lines(present: int, expected: int, excused: list[tuple[str, str]], absent: list[str],
                     exempt: int) -> list[str]:
    """A roll call's figures as the minutes state them, and the verdict against the bar.

    The percentage is shown on the same side of 85% as the share itself (11/13 is "84,6%",
    never "85%" beside "chưa trên 85%").
    """
    left_out = f" (không tính {exempt} đồng chí miễn sinh hoạt)" if exempt else ""
    excused_text = "; ".join(f"{name} ({reason})" if reason else name for name, reason in excused) or "không có"
    lines = [
        f"Có mặt: {fraction(present, expected, QUALITY_SHARE)}{left_out}.",
        f"Vắng có lý do: {excused_text}.",
        f"Vắng không lý do: {', '.join(absent) or 'không có'}.",
    ]
    if meets_quality(present, expected, len(absent)):
        lines.append("Đạt yêu cầu về tham dự: trên 85% có mặt và không có đảng viên vắng không lý do.")
    else:
        reasons = []
        if expected and not meets_quality(present, expected, 0):
            reasons.append(f"tỷ lệ có mặt {percent(present, expected, QUALITY_SHARE)} chưa trên 85%")
        if absent:
            reasons.append(f"có {len(absent)} đảng viên vắng không lý do")
        if not expected:
            reasons.append("không có đảng viên nào phải dự")
        lines.append("Chưa đạt yêu cầu về tham dự: " + "; ".join(reasons) + ".")
    return lines
