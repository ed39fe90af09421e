"""Dates of a membership: probation, recognition, the admissions target (domain.md)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from domain.figures import as_share

RECOGNITION_NOTICE_DAYS = 30  # probationary members due within this many days are flagged
PROBATION_MONTHS = 12


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier); a day past the month's end falls on its last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def probation_end(admitted_on: date) -> date:
    """The day the 12 months of probation are complete (29/02 ends on 28/02 of the next year)."""
    return add_months(admitted_on, PROBATION_MONTHS)


def latest_admission_due(today: date, days: int = RECOGNITION_NOTICE_DAYS) -> date:
    """The latest admission date whose probation ends within `days` of `today` (or has ended)."""
    limit = today + timedelta(days=days)
    year = limit.year - 1
    if limit.month == 2 and limit.day >= 28:  # admitted 29/02 of a leap year: ends on 28/02
        return date(year, 2, 29 if calendar.isleap(year) else 28)
    return limit.replace(year=year)


def admissions_needed(members_at_year_start: int, share: object) -> int:
    """New members a year the target asks for: `share` of the members on 31/12 of last year,
    rounded up (3% of 40 members is 1.2: two admissions reach it, one does not)."""
    wanted = as_share(share) * members_at_year_start
    return -(-wanted.numerator // wanted.denominator)
