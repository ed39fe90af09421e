"""The rules of ratings and reports, pinned: levels, the quota, and reading levels, scores and dates."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from domain.dates import parse_done_on
from domain.errors import UserError
from domain.figures import as_share
from domain.periods import period_label
from domain.review import level_for, parse_level, parse_score
from domain.text import whole_number
from domain.vocabulary import Level
from handlers.ratings import split_who_level
from storage.roster import CellRef, Entry, find, split_cell

TODAY = date(2026, 11, 20)
TWENTY = Fraction(1, 5)


# -- levels from scores ----------------------------------------------------------------------------

@pytest.mark.parametrize(("total", "level"), [
    (0, "incomplete"), (49, "incomplete"), (50, "complete"), (69, "complete"), (70, "good"), (89, "good"),
    (90, Level.EXCELLENT), (100, Level.EXCELLENT),
])
def test_level_boundaries(total: int, level: str) -> None:
    assert level_for(total) == level


@pytest.mark.parametrize("total", [0, 49, 50, 70, 90, 100])
def test_a_violation_means_incomplete_whatever_the_score(total: int) -> None:
    assert level_for(total, violation=True) == Level.INCOMPLETE


# -- the quota of "xuất sắc" -----------------------------------------------------------------------

@pytest.mark.parametrize("value", [-0.1, 101, "150%"])  # above 1 reads as a percent
def test_share_out_of_range_is_refused(value: object) -> None:
    with pytest.raises(ValueError):
        as_share(value)


# -- levels as typed ----------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "level"), [
    ("HTXSNV", "excellent"), ("htxs", "excellent"), ("xuất sắc", "excellent"), ("xuat sac", "excellent"),
    ("XUẤT SẮC", Level.EXCELLENT), ("xuatsac", Level.EXCELLENT), ("Hoàn thành xuất sắc nhiệm vụ", Level.EXCELLENT),
    ("HTTNV", "good"), ("HTT", "good"), ("tốt", "good"), ("tot", "good"), ("Hoàn thành tốt", "good"),
    ("hoan thanh tot nhiem vu", Level.GOOD),
    ("HTNV", Level.COMPLETE), ("ht", Level.COMPLETE), ("hoàn thành", Level.COMPLETE), ("hoan thanh", Level.COMPLETE),
    ("Hoàn thành nhiệm vụ", Level.COMPLETE),
    ("KHTNV", Level.INCOMPLETE), ("kht", Level.INCOMPLETE), ("không hoàn thành", Level.INCOMPLETE),
    ("khong hoan thanh", "incomplete"), ("khonghoanthanh", "incomplete"), ("Không hoàn thành nhiệm vụ", "incomplete"),
])
def test_levels_with_and_without_diacritics(typed: str, level: str) -> None:
    assert parse_level(typed) == (level, None)


@pytest.mark.parametrize(("typed", "level"), [("49", "incomplete"), ("50", "complete"), ("89", "good"), ("90",
    "excellent"),
                                              ("100", Level.EXCELLENT), ("0", Level.INCOMPLETE)])
def test_levels_as_scores(typed: str, level: str) -> None:
    assert parse_level(typed) == (level, int(typed))


@pytest.mark.parametrize("typed", ["giỏi", "abc", "", "101", "-1", "tốt lắm"])
def test_unknown_levels_are_refused_with_what_to_type(typed: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_level(typed)
    assert "0 đến 100" in str(caught.value)


# -- scores -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["31", "-1", "abc", "27.5", "", "1e2"])
def test_bad_general_scores(typed: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_score(typed, 30, "Điểm tiêu chí chung", 27)
    assert "từ 0 đến 30" in str(caught.value)


def test_good_scores() -> None:
    assert parse_score(" 0 ", 30, "x", 1) == 0
    assert parse_score("30", 30, "x", 1) == 30
    assert parse_score("70", 70, "x", 1) == 70


# -- dates --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "expected"), [
    ("hôm nay", TODAY), ("Hôm nay", TODAY), ("hom nay", TODAY), ("HOMNAY", TODAY),
    ("hôm qua", date(2026, 11, 19)), ("hom qua", date(2026, 11, 19)),
    ("18/11", date(2026, 11, 18)), ("1/11", date(2026, 11, 1)), ("18/11/2026", date(2026, 11, 18)),
    ("18-11-26", date(2026, 11, 18)), ("18.11", date(2026, 11, 18)), ("20/11", TODAY),
])
def test_dates(typed: str, expected: date) -> None:
    assert parse_done_on(typed, TODAY) == expected


@pytest.mark.parametrize(("typed", "reason"), [
    ("21/11", "chưa tới"), ("21/11/2026", "chưa tới"), ("1/1/2027", "chưa tới"), ("31/12/2025", "đã khóa sổ"),
    ("31/10", "đã khóa sổ"), ("1/1", "đã khóa sổ"),  # on 20/11, October's reports closed on 05/11
    ("31/02", "không có thật"),
    ("mai", "không đúng dạng"), ("18/13", "không có thật"), ("", "không đúng dạng"),
])
def test_bad_dates(typed: str, reason: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_done_on(typed, TODAY)
    assert reason in str(caught.value)


def test_yesterday_on_new_years_day_is_last_december_and_taken() -> None:
    assert parse_done_on("hôm qua", date(2027, 1, 1)) == date(2026, 12, 31)


# -- periods ------------------------------------------------------------------------------------------

def test_periods() -> None:
    assert period_label("2026") == "năm 2026"
    assert period_label("2026-Q4") == "quý 4 năm 2026"


# -- naming members and cells ------------------------------------------------------------------------

ROSTER = [
    Entry(1, 10, 1, "Nguyễn Văn An", "nguyen van an", "official"),
    Entry(2, 11, 1, "Trần Thị Bình", "tran thi binh", "official"),
    Entry(3, 12, 1, "Lê Thị Bình", "le thi binh", "official"),
    Entry(4, 13, 1, "Phạm An Khang", "pham an khang", "official"),
]


def test_find_by_number_and_name() -> None:
    assert [e.number for e in find(ROSTER, "2")] == [2]
    assert find(ROSTER, "9") == []
    assert [e.number for e in find(ROSTER, "Tran Thi Binh")] == [2]
    assert [e.number for e in find(ROSTER, "bình")] == [2, 3]  # ambiguous: the caller asks for a number
    assert [e.number for e in find(ROSTER, "An")] == [1]  # the given name wins over a middle name
    assert [e.number for e in find(ROSTER, "khang")] == [4]
    assert find(ROSTER, "") == []


@pytest.mark.parametrize(("typed", "expected"), [
    ("3 tot", ("3", "tot")),
    ("3", ("3", None)),
    ("3 85", ("3", "85")),
    ("Trần Thị Bình hoàn thành tốt", ("Trần Thị Bình", "hoàn thành tốt")),
    ("Bình không hoàn thành", ("Bình", "không hoàn thành")),
    ("Bình xuat sac", ("Bình", "xuat sac")),
    ("Bình 92", ("Bình", "92")),
    ("Trần Thị Bình", ("Trần Thị Bình", None)),
])
def test_split_who_and_level(typed: str, expected: tuple[str, str | None]) -> None:
    assert split_who_level(typed) == expected


CELLS = [CellRef(1, 5, 1, "Chi bộ khu phố 1", "chi bo khu pho 1"),
         CellRef(2, 6, 1, "Chi bộ khu phố 10", "chi bo khu pho 10"),
         CellRef(3, 7, 1, "Chi bộ Trường học", "chi bo truong hoc")]


@pytest.mark.parametrize(("typed", "cell", "rest"), [
    ("1 tatca", 5, "tatca"),
    ("Chi bộ khu phố 1 3 tốt", 5, "3 tốt"),
    ("khu pho 10 tatca", 6, "tatca"),  # the longest name wins: "khu phố 10", not "khu phố 1"
    ("truong hoc 2", 7, "2"),
    ("3", 7, ""),
])
def test_split_cell(typed: str, cell: int, rest: str) -> None:
    found, remainder = split_cell(CELLS, typed)
    assert found is not None and found.cell_id == cell
    assert remainder == rest


def test_split_cell_unknown() -> None:
    assert split_cell(CELLS, "9 tatca") == (None, "9 tatca")
    assert split_cell(CELLS, "khu pho 7 tatca")[0] is None


@pytest.mark.parametrize(("typed", "number"), [("12", 12), (" 7 ", 7), ("999999999", 999999999), ("0", 0),
                                               ("²", None), ("9223372036854775808", None), ("1e3", None), ("", None),
                                               ("-3", None), ("٣", None)])
def test_whole_numbers_fit_a_database_integer(typed: str, number: int | None) -> None:
    assert whole_number(typed) == number
    assert find(ROSTER, "²") == [] and split_cell(CELLS, "² tatca")[0] is None
