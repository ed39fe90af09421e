"""The one parser of dates and times people type: `dd/mm`, `dd/mm/yy`, `dd/mm/yyyy`, `19:30`, "hôm nay".

Every command that takes a date reads it here, so "5/12/26" means the same thing for a report,
a meeting, a deadline and an import. A date without a year is resolved by what it is for:
something done (`PAST`: the most recent such date not after today, so on 2 January "28/12" is
last December) or something planned (`FUTURE`: the next such date from today on).
"""

from __future__ import annotations

import enum
import re
from datetime import date, time, timedelta

from domain.errors import UserError
from domain.text import fold

_DATE = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}|\d{2}))?$")
_TIME = re.compile(r"^(\d{1,2})(?:\s*[:h]\s*(\d{2})?)?$")
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"  # Vietnam has no daylight saving; deployments may set another
TODAY_WORDS = frozenset({"hom nay", "homnay", "nay"})
YESTERDAY_WORDS = frozenset({"hom qua", "homqua", "qua"})
PAST_SLACK = timedelta(days=183)  # a past date typed without its year is never this far ahead
REPORT_CLOSE_DAY = 5  # a month's reports are taken until this day of the next month (a unit setting)


class Direction(enum.Enum):
    PAST = "past"  # something done: the latest such date not after today
    FUTURE = "future"  # something planned: the first such date from today on


class DateError(UserError):
    """A typed date that is not a date; the message says how to type one."""


def looks_like_date(word: str) -> bool:
    """True for `18/11`, `18/11/26` or `18/11/2026`: a one-line report may start with its date."""
    return _DATE.match(word.strip()) is not None


def parse_date(text: str, today: date, direction: Direction) -> date:
    """A typed date; "hôm nay" / "hôm qua" too. Raises `DateError` with an example to type."""
    typed = text.strip()
    key = fold(typed)
    if key in TODAY_WORDS:
        return today
    if key in YESTERDAY_WORDS:
        return today - timedelta(days=1)
    match = _DATE.match(typed)
    if match is None:
        raise DateError(f"Ngày «{typed[:20]}» không đúng dạng. Gõ ngày/tháng/năm, ví dụ {today:%d/%m/%Y}.")
    day, month = int(match.group(1)), int(match.group(2))
    year_text = match.group(3)
    if year_text is not None:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        return _real(year, month, day, today)
    # No year: try this year, then the year the direction points to. Something done that falls
    # a few days or months ahead this year is a mistake to point out, not last year's date: on
    # 20/11, "25/11" is refused as not yet come; on 2 January, "28/12" is last December.
    step = -1 if direction is Direction.PAST else 1
    if direction is Direction.PAST:
        try:
            ahead = date(today.year, month, day)
        except ValueError:
            ahead = None
        if ahead is not None and today < ahead <= today + PAST_SLACK:
            raise DateError(f"Ngày {ahead:%d/%m/%Y} chưa tới: chỉ ghi việc đã làm (đến hôm nay {today:%d/%m/%Y}).")
    for year in (today.year, today.year + step):
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if (found <= today) if direction is Direction.PAST else (found >= today):
            return found
    return _real(today.year, month, day, today)  # 29/02: says the day does not exist this year


def parse_optional_date(text: str, today: date, direction: Direction) -> date | None:
    """Like `parse_date`, but None for text that is not a date at all (a word, a time)."""
    if not looks_like_date(text) and fold(text) not in TODAY_WORDS | YESTERDAY_WORDS:
        return None
    return parse_date(text, today, direction)


def parse_day_month(text: str) -> tuple[int, int] | None:
    """A yearly date such as a deadline, `10/12` (dd/mm); 29/02 is allowed (a leap year has it)."""
    match = re.fullmatch(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})", text.strip())
    if match is None:
        return None
    day, month = int(match.group(1)), int(match.group(2))
    try:
        date(2024, month, day)
    except ValueError:
        return None
    return day, month


def parse_time(text: str) -> time | None:
    """`19:30`, `19h30`, `19h` or `19`."""
    match = _TIME.match(fold(text))
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _real(year: int, month: int, day: int, today: date) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(f"Ngày {day:02d}/{month:02d}/{year} không có thật. Vui lòng gõ lại, "
                        f"ví dụ {today:%d/%m/%Y}.") from None


def reports_open_from(today: date, close_day: int = REPORT_CLOSE_DAY) -> date:
    """The earliest activity date a report is taken for today: the first of last month until the
    month's summary closes (`close_day` of this month, included), then the first of this month."""
    if today.day <= close_day:
        return date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)
    return today.replace(day=1)


def month_closed_on(day: date, close_day: int = REPORT_CLOSE_DAY) -> date:
    """The last day reports of `day`'s month were taken: `close_day` of the next month (with 0:
    the month's own last day)."""
    following = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return following.replace(day=close_day) if close_day else following - timedelta(days=1)


def parse_done_on(text: str, today: date, close_day: int = REPORT_CLOSE_DAY) -> date:
    """The date an activity was done (`PAST`): never in the future, and in a month whose summary is
    still open: this month, or last month until its `close_day` (on 5/1 a report of 28/12 is taken,
    on 6/1 it is refused). A closed month is not reopened from a chat: its figures are reported.
    """
    found = parse_date(text, today, Direction.PAST)
    if found > today:
        raise DateError(f"Ngày {found:%d/%m/%Y} chưa tới: chỉ báo cáo việc đã làm (đến hôm nay {today:%d/%m/%Y}).")
    earliest = reports_open_from(today, close_day)
    if found < earliest:
        raise DateError(f"Ngày {found:%d/%m/%Y} thuộc tháng {found.month}/{found.year} đã khóa sổ: báo cáo của "
                        f"tháng đó chỉ nhận đến hết ngày {month_closed_on(found, close_day):%d/%m/%Y}. "
                        f"Bây giờ nhận báo cáo việc làm từ ngày {earliest:%d/%m/%Y}.")
    return found
