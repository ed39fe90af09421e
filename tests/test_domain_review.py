"""The review rules of domain.md, each pinned at its boundary: who is rated, the quota, the target,
and the percentages that state them."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from domain.figures import as_share, fraction, percent, share_text
from domain.meeting_rules import QUALITY_SHARE, meets_quality
from domain.periods import ReviewPeriod
from domain.review import Quota, is_reviewed, not_reviewed_reason, quota_within, target_reached
from domain.vocabulary import Status
from handlers.rating_text import quota_text

TWENTY = Fraction(1, 5)
YEAR_2026 = ReviewPeriod(2026).last_day  # 31/12/2026


# -- who is reviewed ------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "admitted_on", "reviewed"), [
    (Status.OFFICIAL, date(1990, 1, 1), True),
    (Status.PROBATIONARY, date(2026, 3, 10), True),
    (Status.OFFICIAL, None, True),  # an unknown admission date is an old member
    (Status.EXEMPT, date(1990, 1, 1), False),  # miễn công tác và sinh hoạt: not rated
    (Status.SUSPENDED, date(1990, 1, 1), False),  # đình chỉ sinh hoạt: not rated
    (Status.PROBATIONARY, date(2026, 6, 30), True),  # exactly 6 months before 31/12
    (Status.PROBATIONARY, date(2026, 7, 1), False),  # 6 months less a day
    (Status.PROBATIONARY, date(2026, 11, 3), False),
])
def test_who_is_reviewed_in_the_year(status: Status, admitted_on: date | None, reviewed: bool) -> None:
    assert is_reviewed(status, admitted_on, YEAR_2026) is reviewed


def test_a_quarter_is_judged_on_its_last_day() -> None:
    q3 = ReviewPeriod(2026, 3)
    assert q3.last_day == date(2026, 9, 30)
    assert is_reviewed(Status.PROBATIONARY, date(2026, 3, 30), q3.last_day)
    assert not is_reviewed(Status.PROBATIONARY, date(2026, 3, 31), q3.last_day)


def test_the_reason_is_said_politely() -> None:
    assert not_reviewed_reason(Status.EXEMPT, None, YEAR_2026) == "miễn công tác và sinh hoạt đảng"
    assert "chưa đủ 6 tháng" in (not_reviewed_reason(Status.OFFICIAL, date(2026, 7, 1), YEAR_2026) or "")


# -- the quota: "xuất sắc" ≤ 20% of those rated "hoàn thành tốt" -------------------------------------

@pytest.mark.parametrize(("excellent", "good", "within"), [
    (0, 0, True),  # nobody excellent: always within
    (1, 0, False),  # 1 > 20% of 0
    (1, 4, False),  # 1 > 0,8
    (1, 5, True),  # 1 ≤ 1,0: exactly 20% is within (domain.md's example)
    (2, 9, False),  # 2 > 1,8 (domain.md's example)
    (2, 10, True),  # exactly 20%
    (3, 15, True),
    (3, 14, False),
    (20, 100, True),
    (21, 100, False),
])
def test_quota_edges(excellent: int, good: int, within: bool) -> None:
    assert quota_within(excellent, good, TWENTY) is within


def test_quota_follows_the_setting() -> None:
    assert quota_within(2, 8, as_share("25%"))  # 2 ≤ 2,0
    assert not quota_within(2, 8, as_share(0.2))  # 2 > 1,6
    assert not quota_within(1, 100, as_share(0))  # a zero quota: any excellent is too many


def test_quota_figures_say_what_was_counted() -> None:
    assert quota_text(Quota(1, 5, TWENTY)) == (
        "1 xuất sắc, 5 hoàn thành tốt: 1/5 = 20%; không quá 20% số hoàn thành tốt: trong định mức")
    assert quota_text(Quota(2, 9, TWENTY)).startswith("2 xuất sắc, 9 hoàn thành tốt: 2/9 = 22,2%;")
    assert "vượt định mức" in quota_text(Quota(2, 9, TWENTY))
    assert "chưa có đảng viên hoàn thành tốt" in quota_text(Quota(1, 0, TWENTY))


# -- the target: above 90% of the members to be rated ------------------------------------------------

@pytest.mark.parametrize(("good_or_better", "to_be_rated", "reached"), [
    (3, 9, False),  # the case: 3 rated of 9 to be rated is 33,3%, never 3/3
    (9, 10, False),  # exactly 90%: not above
    (10, 11, True),  # 90,9%
    (9, 9, True),
    (0, 0, False),  # nobody to rate: no verdict of "đạt"
])
def test_target_over_the_members_to_be_rated(good_or_better: int, to_be_rated: int, reached: bool) -> None:
    assert target_reached(good_or_better, to_be_rated, Fraction(9, 10)) is reached


# -- percentages never contradict their verdicts ---------------------------------------------------------

@pytest.mark.parametrize(("present", "expected", "shown", "good"), [
    (11, 13, "11/13 = 84,6%", False),  # never "85%… not above 85%"
    (17, 20, "17/20 = 85%", False),  # exactly 85,0%: not above
    (87, 100, "87/100 = 87%", True),
    (5951, 7001, "5951/7001 = 85,002%", True),  # 85,0021%: one decimal would read 85,0%
    (5949, 6999, "5949/6999 = 84,998%", False),
])
def test_attendance_figure_agrees_with_its_verdict(present: int, expected: int, shown: str, good: bool) -> None:
    assert fraction(present, expected, QUALITY_SHARE) == shown
    assert meets_quality(present, expected, 0) is good


def test_percent_display() -> None:
    assert percent(8, 9) == "88,9%"
    assert percent(2, 3) == "66,7%"
    assert percent(0, 5) == "0%"
    assert fraction(3, 0) == "chưa có dữ liệu"
    assert share_text(Fraction(1, 8)) == "12,5%"  # one decimal comma everywhere, never "12.5%"


def test_a_month_shows_the_yearly_review_that_runs_in_it() -> None:
    from domain.periods import MONTH, QUARTER, YEAR, Period

    assert Period(MONTH, 2027, 1).review == ReviewPeriod(2026)  # the 2026 review runs into February
    assert Period(MONTH, 2027, 2).review == ReviewPeriod(2026)
    assert Period(MONTH, 2027, 3).review == ReviewPeriod(2027)
    assert Period(MONTH, 2026, 12).review == ReviewPeriod(2026)
    assert Period(YEAR, 2026).review == ReviewPeriod(2026)
    assert Period(QUARTER, 2026, 4).review == ReviewPeriod(2026, 4)
    assert Period(MONTH, 2027, 1).review_label == "năm 2026"
