"""The one date parser (domain.dates): every command reads `dd/mm[/yy[yy]]` the same way."""

from __future__ import annotations

from datetime import date

import pytest

from domain.dates import DateError, Direction, parse_date, parse_done_on, parse_optional_date

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(("text", "expected"), [
    ("05/12/2026", date(2026, 12, 5)),
    ("5-12-2026", date(2026, 12, 5)),
    ("5/12/26", date(2026, 12, 5)),  # a two-digit year is the same date for a meeting and a report
    ("5.12.2026", date(2026, 12, 5)),
    ("5/12", date(2026, 12, 5)),
    ("20/11", date(2026, 11, 20)),  # today is not in the past nor the future: it is kept
    ("10/11", date(2027, 11, 10)),  # passed this year: next year's
])
def test_planned_dates_look_forward(text: str, expected: date) -> None:
    assert parse_date(text, TODAY, Direction.FUTURE) == expected


@pytest.mark.parametrize(("text", "today", "expected"), [
    ("28/12", date(2027, 1, 2), date(2026, 12, 28)),  # on 2 January, "28/12" is last December
    ("31/12", date(2027, 1, 2), date(2026, 12, 31)),  # never 31/12/2027
    ("02/01", date(2027, 1, 2), date(2027, 1, 2)),
    ("19/11", TODAY, date(2026, 11, 19)),
    ("21/05", TODAY, date(2026, 5, 21)),
    ("21/08", date(2026, 1, 5), date(2025, 8, 21)),  # more than six months ahead: last year's
    ("hôm qua", date(2027, 1, 1), date(2026, 12, 31)),
    ("Hom nay", TODAY, TODAY),
])
def test_done_dates_look_back(text: str, today: date, expected: date) -> None:
    assert parse_date(text, today, Direction.PAST) == expected


@pytest.mark.parametrize("text", ["31/02/2026", "29/02/2027", "0/5/2026", "12/13"])
def test_impossible_dates_say_so(text: str) -> None:
    with pytest.raises(DateError, match="không"):
        parse_date(text, TODAY, Direction.FUTURE)


@pytest.mark.parametrize("text", ["12/2026", "tối", "19:30", ""])
def test_what_is_not_a_date_is_none(text: str) -> None:
    assert parse_optional_date(text, TODAY, Direction.FUTURE) is None


@pytest.mark.parametrize("text", ["21/11", "25/11", "20/05/2027"])
def test_a_done_date_ahead_is_refused_saying_why(text: str) -> None:
    with pytest.raises(DateError, match="chưa tới"):
        parse_done_on(text, TODAY)


def test_a_report_date_in_the_future_is_refused_saying_why() -> None:
    with pytest.raises(DateError, match="chưa tới"):
        parse_done_on("21/11/2026", TODAY)
