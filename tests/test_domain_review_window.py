"""When a review period takes ratings (domain.review_window), and how a period is typed after a
rating command (domain.periods.split_review), pinned at their boundaries."""

from __future__ import annotations

from datetime import date

import pytest

from domain.periods import PeriodError, ReviewPeriod, split_review
from domain.review_window import ReviewCalendar, ReviewClosed, State, Window, closing_day

YEAR_2026 = ReviewPeriod(2026)
DEFAULTS = ReviewCalendar()
QUARTERLY = ReviewCalendar(quarterly=True)


# -- the yearly window ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("year", "first", "last"), [
    (2026, date(2026, 12, 1), date(2027, 2, 28)),  # 2027 is a common year
    (2027, date(2027, 12, 1), date(2028, 2, 29)),  # "28/02" means February's end: 29/02 in a leap year
    (2023, date(2023, 12, 1), date(2024, 2, 29)),
])
def test_the_yearly_review_runs_from_december_to_the_end_of_february(year: int, first: date, last: date) -> None:
    assert DEFAULTS.usual(ReviewPeriod(year)) == Window(first, last)


def test_a_closing_day_is_the_first_such_day_after_the_opening() -> None:
    assert closing_day(date(2026, 11, 1), (31, 12)) == date(2026, 12, 31)  # same year
    assert closing_day(date(2026, 12, 1), (31, 1)) == date(2027, 1, 31)  # next year
    assert closing_day(date(2026, 12, 1), (29, 2)) == date(2027, 2, 28)  # no 29/02 in 2027: its end
    assert closing_day(date(2027, 12, 1), (28, 2)) == date(2028, 2, 29)
    assert ReviewCalendar(opens=(1, 11), closes=(15, 1)).usual(YEAR_2026) == Window(date(2026, 11, 1),
                                                                                    date(2027, 1, 15))


@pytest.mark.parametrize(("today", "state"), [
    (date(2026, 11, 30), State.NOT_YET),
    (date(2026, 12, 1), State.OPEN),  # the opening day
    (date(2027, 1, 10), State.OPEN),
    (date(2027, 2, 28), State.OPEN),  # the closing day is still open
    (date(2027, 3, 1), State.CLOSED),
])
def test_open_from_the_opening_day_to_the_closing_day_included(today: date, state: State) -> None:
    assert DEFAULTS.state(YEAR_2026, today) is state


def test_in_a_leap_year_the_29th_of_february_is_still_open() -> None:
    review = ReviewPeriod(2027)
    assert DEFAULTS.is_open(review, date(2028, 2, 29))
    assert not DEFAULTS.is_open(review, date(2028, 3, 1))


# -- quarters ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("quarter", "first", "last"), [
    (1, date(2026, 3, 1), date(2026, 4, 30)),
    (2, date(2026, 6, 1), date(2026, 7, 31)),
    (3, date(2026, 9, 1), date(2026, 10, 31)),
    (4, date(2026, 12, 1), date(2027, 1, 31)),  # the month after December is next January
])
def test_a_quarter_opens_in_its_last_month_and_closes_at_the_end_of_the_next(
    quarter: int, first: date, last: date
) -> None:
    assert QUARTERLY.window(ReviewPeriod(2026, quarter)) == Window(first, last)


def test_quarters_take_ratings_only_when_the_committee_turned_them_on() -> None:
    q4 = ReviewPeriod(2026, 4)
    assert QUARTERLY.is_open(q4, date(2026, 12, 15))
    assert not DEFAULTS.is_open(q4, date(2026, 12, 15))
    with pytest.raises(ReviewClosed, match=r"chưa bật đánh giá, xếp loại theo quý.*/kydanhgia quy bat"):
        DEFAULTS.check_open(q4, date(2026, 12, 15))
    QUARTERLY.check_open(q4, date(2026, 12, 15))  # no error
    # A quarter's window set by hand is taken even with quarters off (the committee opened that one).
    by_hand = ReviewCalendar(set_windows={"2026-Q4": Window(date(2026, 12, 1), date(2027, 1, 31))})
    assert by_hand.is_open(q4, date(2026, 12, 15))


# -- the period a command works on without one typed ---------------------------------------------------

@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 12, 1), YEAR_2026),
    (date(2027, 1, 10), YEAR_2026),  # a decision made on 10/01/2027 is a 2026 decision
    (date(2027, 2, 28), YEAR_2026),
    (date(2027, 3, 1), YEAR_2026),  # just closed: nearer than 2027's, nine months ahead
    (date(2026, 11, 20), YEAR_2026),  # about to open: nearer than 2025's, closed in February
    (date(2026, 4, 1), ReviewPeriod(2025)),  # 32 days after 2025's closed, 244 before 2026's opens
    (date(2026, 7, 31), ReviewPeriod(2026)),  # 153 days after 28/02, 123 before 01/12
])
def test_the_default_is_the_open_year_else_the_nearest(today: date, expected: ReviewPeriod) -> None:
    assert DEFAULTS.default(today) == expected
    assert QUARTERLY.default(today) == expected  # quarters on or off: without "quý", the year


def test_the_year_wins_over_an_open_quarter_unless_quy_is_typed() -> None:
    december = date(2026, 12, 10)
    assert set(QUARTERLY.open_periods(december)) == {ReviewPeriod(2026, 4), YEAR_2026}
    assert QUARTERLY.default(december) == YEAR_2026
    assert QUARTERLY.default(december, quarter=True) == ReviewPeriod(2026, 4)
    # In March only quarter 1 is open: "quý" means it; without it, the year (2026, just closed).
    march = date(2027, 3, 5)
    assert QUARTERLY.default(march, quarter=True) == ReviewPeriod(2027, 1)
    assert QUARTERLY.default(march) == YEAR_2026
    # In February no quarter is open: "quý" means the nearest, quarter 4 (closed 31/01).
    assert QUARTERLY.default(date(2027, 2, 10), quarter=True) == ReviewPeriod(2026, 4)


# -- refusals, and windows set by hand -----------------------------------------------------------------

def test_a_closed_review_is_refused_with_the_dates_it_was_open() -> None:
    with pytest.raises(ReviewClosed) as caught:
        DEFAULTS.check_open(YEAR_2026, date(2027, 3, 1))
    assert str(caught.value) == (
        "Kỳ đánh giá năm 2026 đã khóa: mở từ 01/12/2026 đến 28/02/2027. Cấp ủy có thể mở lại: "
        "/kydanhgia mo năm 2026 đến <ngày>. Kỳ năm 2027 mở từ 01/12/2027 đến 29/02/2028.")
    with pytest.raises(ReviewClosed) as caught:
        DEFAULTS.check_open(YEAR_2026, date(2026, 11, 30))
    assert str(caught.value) == ("Kỳ đánh giá năm 2026 chưa mở: mở từ 01/12/2026 đến 28/02/2027. "
                                 "Cấp ủy có thể mở sớm: /kydanhgia mo năm 2026.")


def test_a_reopened_review_is_open_until_its_new_last_day() -> None:
    reopened = ReviewCalendar(set_windows={"2026": Window(date(2026, 12, 1), date(2027, 3, 15))})
    assert reopened.is_open(YEAR_2026, date(2027, 3, 15))
    assert not reopened.is_open(YEAR_2026, date(2027, 3, 16))
    assert reopened.default(date(2027, 3, 10)) == YEAR_2026
    with pytest.raises(ReviewClosed, match="mở từ 01/12/2026 đến 15/03/2027"):
        reopened.check_open(YEAR_2026, date(2027, 3, 16))
    # Only that period: 2025's keeps its usual window.
    assert reopened.window(ReviewPeriod(2025)) == Window(date(2025, 12, 1), date(2026, 2, 28))


def test_a_review_closed_early_takes_nothing_after() -> None:
    closed = ReviewCalendar(set_windows={"2026": Window(date(2026, 12, 1), date(2027, 1, 14))})
    assert closed.is_open(YEAR_2026, date(2027, 1, 14))
    assert closed.state(YEAR_2026, date(2027, 1, 15)) is State.CLOSED
    assert closed.default(date(2027, 1, 20)) == YEAR_2026  # nearest: closed 6 days ago


def test_a_review_opened_early() -> None:
    early = ReviewCalendar(set_windows={"2026": Window(date(2026, 11, 20), date(2027, 2, 28))})
    assert early.is_open(YEAR_2026, date(2026, 11, 20))
    assert not early.is_open(YEAR_2026, date(2026, 11, 19))


# -- a period typed right after a rating command --------------------------------------------------------

TODAY = date(2027, 1, 10)


@pytest.mark.parametrize(("typed", "period", "quarter", "rest"), [
    ("năm 2026 2 tốt", YEAR_2026, False, "2 tốt"),
    ("nam 2026 2 tot", YEAR_2026, False, "2 tot"),
    ("NĂM 2026", YEAR_2026, False, ""),
    ("quý 4/2026 1 tatca", ReviewPeriod(2026, 4), False, "1 tatca"),
    ("quy 4/2026 1 tatca", ReviewPeriod(2026, 4), False, "1 tatca"),
    ("Quý 4 năm 2026 Trần Thị Bình", ReviewPeriod(2026, 4), False, "Trần Thị Bình"),
    ("QUY IV/2026", ReviewPeriod(2026, 4), False, ""),
    ("năm trước 3", YEAR_2026, False, "3"),
    ("quý 2", None, True, "2"),  # "quý" then member 2: a quarter needs its year
    ("quý 20 45 Tốt", None, True, "20 45 Tốt"),  # "quý" then the scores of /danhgia
    ("quy", None, True, ""),
    ("27 62 Ưu điểm: tốt năm 2026", None, False, "27 62 Ưu điểm: tốt năm 2026"),  # only right after the word
    ("Năm 3", None, False, "Năm 3"),  # "Năm" is also a name
    ("1 tatca năm 2026", None, False, "1 tatca năm 2026"),
])
def test_a_review_period_is_read_right_after_the_command_word(
    typed: str, period: ReviewPeriod | None, quarter: bool, rest: str
) -> None:
    found = split_review(typed, TODAY)
    assert (found.period, found.quarter, found.rest) == (period, quarter, rest)


@pytest.mark.parametrize(("typed", "reason"), [
    ("tháng 12/2026 1", "không theo tháng"),
    ("năm 2028", "Năm phải từ 2000 đến 2027"),
    ("quý 3/2027", "chưa bắt đầu"),
])
def test_what_is_not_a_review_period_is_refused(typed: str, reason: str) -> None:
    with pytest.raises(PeriodError, match=reason):
        split_review(typed, TODAY)
