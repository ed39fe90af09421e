"""When a review period is open for self-assessments, proposals and decisions (domain.md, "Review").

A review belongs to its period, not to the day it is recorded: the yearly review of 2026 runs
from December 2026 into February 2027, and a decision made on 10/01/2027 is a 2026 decision.
So every rating command works on a `ReviewPeriod` and asks this module whether it is open.

- The yearly review of year Y opens on a day of Y (`review_opens`, default 01/12) and closes on
  the first such day after it (`review_closes`, default 28/02, so in Y+1). A closing day of
  28/02 or 29/02 means the last day of February: 28/02/2027, but 29/02/2028.
- Quarterly reviews exist only when the committee turns them on (`quarterly_reviews`). Quarter Q
  opens on the 1st of its last month and closes at the end of the month after: Q1 01/03–30/04,
  Q2 01/06–31/07, Q3 01/09–31/10, Q4 01/12–31/01 of the next year. The quarter is reviewed
  when its work is nearly done, and a month is left for the cell and the committee.
- A committee may set a period's window by hand (reopen a closed one until a day, open one early,
  close one early): that window replaces the usual one for that period only.

Without a period typed, a command works on the year's review, or with "quý" typed on a quarter's:
the one open, else the nearest (March 2027: the 2026 review, just closed; November 2026: the
2026 review, about to open), so lists show the review people are thinking of and a recording
is refused with the dates the review is open.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from domain.errors import UserError
from domain.periods import ReviewPeriod

DEFAULT_OPENS = (1, 12)  # (day, month) in the review's year
DEFAULT_CLOSES = (28, 2)  # (day, month), the first such day after the opening: 28/02 is February's end
QUARTER_MONTHS_OPEN = 2  # the quarter's last month and the month after it


class State(enum.Enum):
    NOT_YET = "not_yet"
    OPEN = "open"
    CLOSED = "closed"


STATE_WORDS = {State.NOT_YET: "chưa mở", State.OPEN: "đang mở", State.CLOSED: "đã khóa"}


class ReviewClosed(UserError):
    """A rating recorded outside its period's window; the message gives the dates it is open."""


@dataclass(frozen=True, slots=True)
class Window:
    """The days a review takes ratings, both ends included."""

    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    @property
    def text(self) -> str:
        """ "từ 01/12/2026 đến 28/02/2027"."""
        return f"từ {self.first:%d/%m/%Y} đến {self.last:%d/%m/%Y}"


def day_in(year: int, day_month: tuple[int, int]) -> date:
    """A yearly day in `year`; a day past the month's end (29/02 in 2027) falls on its last day."""
    day, month = day_month
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def closing_day(opened: date, day_month: tuple[int, int]) -> date:
    """The first `day_month` on or after `opened`; 28/02 and 29/02 both mean February's last day."""
    day, month = day_month
    if month == 2 and day >= 28:
        day = 29  # clamped by day_in: 28 in a common year, 29 in a leap year
    found = day_in(opened.year, (day, month))
    return found if found >= opened else day_in(opened.year + 1, (day, month))


@dataclass(frozen=True, slots=True)
class ReviewCalendar:
    """A committee's review settings (storage.unit_settings reads them into this)."""

    opens: tuple[int, int] = DEFAULT_OPENS
    closes: tuple[int, int] = DEFAULT_CLOSES
    quarterly: bool = False
    set_windows: Mapping[str, Window] = field(default_factory=dict)  # period key -> window set by hand

    def usual(self, review: ReviewPeriod) -> Window:
        """The window the settings give, before any set by hand."""
        if review.quarter:
            first = date(review.year, 3 * review.quarter, 1)
            index = review.year * 12 + 3 * review.quarter - 1 + QUARTER_MONTHS_OPEN - 1
            year, month0 = divmod(index, 12)
            return Window(first, date(year, month0 + 1, calendar.monthrange(year, month0 + 1)[1]))
        first = day_in(review.year, self.opens)
        return Window(first, closing_day(first, self.closes))

    def window(self, review: ReviewPeriod) -> Window:
        return self.set_windows.get(review.key) or self.usual(review)

    def takes(self, review: ReviewPeriod) -> bool:
        """Whether this committee reviews such periods at all: years always, quarters when turned
        on (or when a quarter's window was set by hand)."""
        return not review.quarter or self.quarterly or review.key in self.set_windows

    def state(self, review: ReviewPeriod, today: date) -> State:
        window = self.window(review)
        if today < window.first:
            return State.NOT_YET
        if today > window.last or not self.takes(review):
            return State.CLOSED
        return State.OPEN

    def is_open(self, review: ReviewPeriod, today: date) -> bool:
        return self.state(review, today) is State.OPEN

    def candidates(self, today: date, *, quarters: bool) -> list[ReviewPeriod]:
        """The periods that may be open or just closed around `today`: the last three years
        (and their quarters), plus any period whose window was set by hand; never one whose
        first day is still ahead of today's year."""
        found = {ReviewPeriod(year) for year in range(today.year - 2, today.year + 1)}
        if quarters:
            found |= {ReviewPeriod(year, q) for year in range(today.year - 1, today.year + 1) for q in (1, 2, 3, 4)}
        found |= {ReviewPeriod.from_key(key) for key in self.set_windows
                  if quarters or "-Q" not in key}
        return sorted((p for p in found if p.year <= today.year), key=lambda p: (self.window(p).first, p.quarter))

    def open_periods(self, today: date) -> list[ReviewPeriod]:
        """The periods open today, latest opened first."""
        opened = [p for p in self.candidates(today, quarters=True) if self.is_open(p, today)]
        return list(reversed(opened))

    def latest_opened(self, today: date, *, quarter: bool) -> ReviewPeriod:
        """The last period of that kind whose window has begun (open or not)."""
        kinds = [p for p in self.candidates(today, quarters=quarter) if bool(p.quarter) == quarter
                 and self.window(p).first <= today]
        if kinds:
            return kinds[-1]
        return ReviewPeriod(today.year - 1, 4 if quarter else 0)

    def next_opening(self, today: date, *, quarter: bool = False) -> ReviewPeriod:
        """The next review of that kind to open after today."""
        if quarter:
            ahead = [ReviewPeriod(year, q) for year in (today.year, today.year + 1) for q in (1, 2, 3, 4)]
            return next(p for p in ahead if self.window(p).first > today)
        review = ReviewPeriod(today.year)
        return review if self.window(review).first > today else ReviewPeriod(today.year + 1)

    def default(self, today: date, *, quarter: bool = False) -> ReviewPeriod:
        """The review a command works on when no period is typed: the year's, or with `quarter`
        ("quý" typed) a quarter's. The one open; else the nearest, the last one closed or the next
        to open, whichever is closer (in March the 2026 review just closed; in November the 2026
        review about to open)."""
        opened = [p for p in self.open_periods(today) if bool(p.quarter) == quarter]
        if opened:
            return opened[0]
        last = self.latest_opened(today, quarter=quarter)
        upcoming = self.next_opening(today, quarter=quarter)
        ahead = (self.window(upcoming).first - today).days
        behind = (today - self.window(last).last).days
        return upcoming if ahead < behind else last

    def check_open(self, review: ReviewPeriod, today: date) -> None:
        """Raise `ReviewClosed` saying when the review is open, and who may reopen it."""
        if self.is_open(review, today):
            return
        if not self.takes(review):
            raise ReviewClosed(f"Đảng bộ chưa bật đánh giá, xếp loại theo quý nên không ghi được kỳ {review.label}. "
                               "Cấp ủy gõ /kydanhgia quy bat để bật.")
        window = self.window(review)
        typed = typed_key(review)
        if today < window.first:
            raise ReviewClosed(f"Kỳ đánh giá {review.label} chưa mở: mở {window.text}. "
                               f"Cấp ủy có thể mở sớm: /kydanhgia mo {typed}.")
        text = (f"Kỳ đánh giá {review.label} đã khóa: mở {window.text}. "
                f"Cấp ủy có thể mở lại: /kydanhgia mo {typed} đến <ngày>.")
        if not review.quarter:
            upcoming = self.next_opening(today)
            text += f" Kỳ năm {upcoming.year} mở {self.window(upcoming).text}."
        raise ReviewClosed(text)


def typed_key(review: ReviewPeriod) -> str:
    """How a person types the period after a command: "năm 2026", "quý 4/2026"."""
    return f"quý {review.quarter}/{review.year}" if review.quarter else f"năm {review.year}"
