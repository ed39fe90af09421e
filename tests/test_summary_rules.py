"""The pure parts of summaries: periods as typed, probation and admission rules, ordering, wrapping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from domain import membership, periods
from domain.periods import MONTH, QUARTER, YEAR, Period, PeriodError
from handlers.summary_text import weakest_first, wrap_names
from storage.summary import MeetingTally, Tally, chart_window

TODAY = date(2026, 11, 20)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(("typed", "expected"), [
    ("", Period(MONTH, 2026, 11)),
    ("tháng 11/2026", Period(MONTH, 2026, 11)),
    ("THANG 11/2026", Period(MONTH, 2026, 11)),
    ("thang 9", Period(MONTH, 2026, 9)),
    ("tháng 1 năm 2025", Period(MONTH, 2025, 1)),
    ("11/2026", Period(MONTH, 2026, 11)),
    ("thang-11-2026", Period(MONTH, 2026, 11)),
    ("quý 4/2026", Period(QUARTER, 2026, 4)),
    ("quy IV/2026", Period(QUARTER, 2026, 4)),
    ("quy-3-2026", Period(QUARTER, 2026, 3)),
    ("năm 2026", Period(YEAR, 2026)),
    ("nam-2025", Period(YEAR, 2025)),
    ("2025", Period(YEAR, 2025)),
    ("năm nay", Period(YEAR, 2026)),
    ("tháng trước", Period(MONTH, 2026, 10)),
    ("quy truoc", Period(QUARTER, 2026, 3)),
])
def test_periods_as_typed(typed: str, expected: Period) -> None:
    assert periods.parse(typed, TODAY) == expected


def test_january_goes_back_to_december() -> None:
    assert periods.parse("thang truoc", date(2027, 1, 5)) == Period(MONTH, 2026, 12)
    assert periods.parse("quy truoc", date(2027, 2, 5)) == Period(QUARTER, 2026, 4)


@pytest.mark.parametrize(("typed", "message"), [
    ("thang 13/2026", "Tháng phải từ 1 đến 12."),
    ("quy 5/2026", "Quý phải từ 1 đến 4."),
    ("nam 1999", "Năm phải từ 2000 đến 2026."),
    ("tháng 12/2026", "Kỳ tháng 12/2026 chưa bắt đầu nên chưa có số liệu."),
    ("hôm qua", "Không hiểu kỳ «hôm qua»."),
])
def test_bad_periods_say_what_is_wrong(typed: str, message: str) -> None:
    with pytest.raises(PeriodError) as error:
        periods.parse(typed, TODAY)
    assert str(error.value) == message


def test_bounds_labels_and_review_periods() -> None:
    november, quarter, year = Period(MONTH, 2026, 11), Period(QUARTER, 2026, 4), Period(YEAR, 2026)
    assert (november.start, november.end, november.label, november.key) == (
        date(2026, 11, 1), date(2026, 12, 1), "tháng 11/2026", "thang-11-2026")
    assert (quarter.start, quarter.end, quarter.review_period) == (date(2026, 10, 1), date(2027, 1, 1), "2026-Q4")
    assert (year.end, year.review_period, november.review_period) == (date(2027, 1, 1), "2026", "2026")
    # Local midnights: 1/11 00:00 in Vietnam is 31/10 17:00 UTC.
    assert november.instants(TZ) == (datetime(2026, 10, 31, 17, tzinfo=UTC), datetime(2026, 11, 30, 17, tzinfo=UTC))


def test_a_cell_name_and_a_period_are_told_apart() -> None:
    assert periods.split("Chi bộ khu phố 1 tháng 11/2026") == ("Chi bộ khu phố 1", "tháng 11/2026")
    assert periods.split("khu pho 1 nam-2026") == ("khu pho 1", "nam-2026")
    assert periods.split("quý 4/2026") == ("", "quý 4/2026")
    assert periods.split("2026") == ("", "2026")
    assert periods.split("Chi bộ 2026") == ("Chi bộ 2026", "")
    assert periods.split("Chi bộ Năm Căn") == ("Chi bộ Năm Căn", "")  # "năm" without a year is a name


def test_the_chart_shows_the_twelve_months_ending_with_the_period() -> None:
    assert chart_window(Period(YEAR, 2026), TODAY)[::11] == [date(2025, 12, 1), date(2026, 11, 1)]
    assert chart_window(Period(YEAR, 2025), TODAY)[::11] == [date(2025, 1, 1), date(2025, 12, 1)]
    assert chart_window(Period(MONTH, 2026, 3), TODAY)[::11] == [date(2025, 4, 1), date(2026, 3, 1)]


def test_probation_ends_twelve_months_after_admission() -> None:
    assert membership.probation_end(date(2025, 12, 15)) == date(2026, 12, 15)
    assert membership.probation_end(date(2024, 2, 29)) == date(2025, 2, 28)


def test_due_for_recognition_is_exactly_thirty_days_ahead_every_day() -> None:
    """For every day of four years (leap days included): the cut-off admission date is the last
    one whose probation ends within 30 days."""
    for offset in range(4 * 366):
        today = date(2026, 1, 1) + timedelta(days=offset)
        limit = today + timedelta(days=30)
        latest = membership.latest_admission_due(today)
        assert membership.probation_end(latest) <= limit, today
        assert membership.probation_end(latest + timedelta(days=1)) > limit, today


@pytest.mark.parametrize(("members", "share", "needed"), [
    (40, 0.03, 2),  # 1.2 admissions: two reach the target, one does not
    (100, 0.03, 3),  # exactly 3: no rounding up from a float's error
    (9, 0.03, 1),
    (0, 0.03, 0),
    (10, "3%", 1),
])
def test_admissions_needed(members: int, share: object, needed: int) -> None:
    assert membership.admissions_needed(members, share) == needed


def _cell(name: str, present: int, expected: int, reporters: int, members: int) -> Tally:
    tally = Tally(1, name, statuses={"official": members}, reporters=reporters)
    if expected:
        tally.add_meeting(MeetingTally(1, 1, "regular", datetime(2026, 11, 5, tzinfo=UTC), present,
                                       expected - present, 0))
    return tally


def test_weakest_cells_first_no_data_before_any_rate() -> None:
    cells = [_cell("A", 9, 10, 5, 10), _cell("B", 0, 0, 9, 10), _cell("C", 9, 10, 2, 10), _cell("D", 7, 10, 10, 10)]
    assert [cell.name for cell in weakest_first(cells)] == ["B", "D", "C", "A"]
    assert Fraction(cells[0].present, cells[0].expected) == Fraction(9, 10)


def test_name_lists_wrap_without_cutting_a_name() -> None:
    names = [f"Nguyễn Văn Người Thứ {i:03d}" for i in range(150)]
    lines = wrap_names("- Chưa báo cáo (150): ", names, width=300)
    assert all(len(line) <= 300 for line in lines)
    assert ", ".join(names) == " ".join(line.strip() for line in lines).removeprefix("- Chưa báo cáo (150): ")
