"""The date and attendance rules of meetings, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from domain import dates
from domain import meeting_rules as rules
from domain.errors import UserError
from handlers.meetings import split_details
from tests.conftest import TZ


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


# -- the 31st and the months that lack it ------------------------------------------------------------

@pytest.mark.parametrize(("year", "month", "expected"), [
    (2026, 11, date(2026, 11, 30)),  # a 30-day month
    (2026, 12, date(2026, 12, 31)),
    (2027, 2, date(2027, 2, 28)),
    (2028, 2, date(2028, 2, 29)),  # leap year
])
def test_the_31st_falls_on_the_last_day_of_shorter_months(year: int, month: int, expected: date) -> None:
    assert rules.month_day(year, month, 31) == expected


def test_next_occurrences_of_a_series_on_the_31st() -> None:
    found = rules.next_occurrences(31, time(19, 30), TZ, local("2026-11-20 09:00"))
    assert found == [("2026-11", local("2026-11-30 19:30").astimezone(UTC)),
                     ("2026-12", local("2026-12-31 19:30").astimezone(UTC))]
    # Once November's meeting has begun, December's and January's are next.
    later = rules.next_occurrences(31, time(19, 30), TZ, local("2026-11-30 19:30"))
    assert [month for month, _start in later] == ["2026-12", "2027-01"]


def test_times_are_stored_in_utc_from_the_local_zone() -> None:
    start = rules.local_start(date(2026, 12, 5), time(19, 30), TZ)
    assert start == datetime(2026, 12, 5, 12, 30, tzinfo=UTC)  # Vietnam is UTC+7 all year
    assert rules.format_when(start, TZ) == "19:30 Thứ Bảy, 05/12/2026"


# -- typed dates and times ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("19:30", time(19, 30)), ("19h30", time(19, 30)), ("19H", time(19, 0)), ("7", time(7, 0)),
    ("24:00", None), ("19:75", None), ("tối", None),
])
def test_parse_time(text: str, expected: time | None) -> None:
    assert dates.parse_time(text) == expected


# -- reminder plans --------------------------------------------------------------------------------------

def test_default_plan_due_times() -> None:
    steps = rules.parse_plan("3n 1n 2g")
    start = local("2026-12-05 19:30")
    assert [step.due(start, TZ) for step in steps] == [
        local("2026-12-02 08:00"), local("2026-12-04 08:00"), local("2026-12-05 17:30")]
    assert [kind for _part, kind, _step in rules.roles(steps)] == [
        rules.INVITATION, rules.FOLLOWUP, rules.LAST_CALL]


@pytest.mark.parametrize(("text", "codes"), [
    ("2g 3n", ["3n", "2g"]),  # sorted farthest first
    ("3 ngày, 1 ngay 2 giờ", ["3n", "1n", "2g"]),
    ("7N 48h", ["7n", "48g"]),
])
def test_plans_accept_words_and_any_order(text: str, codes: list[str]) -> None:
    assert [step.code() for step in rules.parse_plan(text)] == codes


@pytest.mark.parametrize("text", ["", "3x", "0n", "31n", "73g", "1n 24g", "1n 2n 3n 4n 5n 6n", "ba ngày"])
def test_bad_plans_are_refused_with_a_hint(text: str) -> None:
    with pytest.raises(UserError) as error:
        rules.parse_plan(text)
    assert "/caidat nhacnho" in str(error.value) or "Mốc nhắc" in str(error.value)


def test_roles_for_short_and_long_plans() -> None:
    assert [part for part, _kind, _step in rules.roles(rules.parse_plan("1n"))] == ["inv"]
    assert [kind for _p, kind, _s in rules.roles(rules.parse_plan("2n 3g"))] == [rules.INVITATION, rules.LAST_CALL]
    assert [part for part, _k, _s in rules.roles(rules.parse_plan("5n 3n 1n 2g"))] == ["inv", "f1", "f2", "last"]


def test_a_broken_stored_plan_falls_back_to_the_default() -> None:
    assert [s.code() for s in rules.plan_from_setting(["zz"])] == list(rules.DEFAULT_PLAN)
    assert [s.code() for s in rules.plan_from_setting(["2n", "1g"])] == ["2n", "1g"]


# -- attendance ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("present", "expected", "absent", "good"), [
    (5, 5, 0, True),
    (6, 7, 0, True),  # 85.7%
    (17, 20, 0, False),  # exactly 85% is not above 85%
    (4, 5, 0, False),  # 80%
    (19, 20, 1, False),  # 95% but one unexcused absence
    (0, 0, 0, False),  # nobody expected: no quality to claim
])
def test_quality_bar(present: int, expected: int, absent: int, good: bool) -> None:
    assert rules.meets_quality(present, expected, absent) is good


def test_trailing_run() -> None:
    assert rules.trailing_run(["excused", "excused", "present", "excused"], "excused") == 2
    assert rules.trailing_run([], "excused") == 0


def test_deadline_day_month() -> None:
    assert dates.parse_day_month("10/12") == (10, 12)
    assert dates.parse_day_month("29/02") == (29, 2)
    assert dates.parse_day_month("31/11") is None
    assert dates.parse_day_month("10/12/2026") is None


# -- what the secretary types after the date and time ------------------------------------------------------

def test_details_in_any_order_with_diacritics() -> None:
    assert split_details("chuyên đề: Học tập Nghị quyết tại Hội trường tầng 2 nội dung: Quán triệt tài liệu") == {
        "topic": "Học tập Nghị quyết", "place": "Hội trường tầng 2", "content": "Quán triệt tài liệu"}
    assert split_details("tại Nhà văn hóa, nội dung: Tổng kết năm; chuyên đề: không tách sau nội dung") == {
        "place": "Nhà văn hóa", "content": "Tổng kết năm; chuyên đề: không tách sau nội dung"}


def test_tai_without_diacritics_is_a_place_but_tai_lieu_is_not() -> None:
    assert split_details("chuyen de: hoc tap tai hoi truong") == {"topic": "hoc tap", "place": "hoi truong"}
    assert split_details("chuyên đề: Tài liệu mới tại Hội trường") == {
        "topic": "Tài liệu mới", "place": "Hội trường"}


@pytest.mark.parametrize("text", ["Hội trường", "tại", "chuyên đề:", "tại " + "x" * 201])
def test_details_that_cannot_be_read_are_refused(text: str) -> None:
    with pytest.raises(UserError):
        split_details(text)


def test_members_are_found_by_number_full_name_or_the_end_of_their_name() -> None:
    from handlers.attendance import find_person
    from storage.meetings import Person

    roster = [Person(1, "Nguyễn Văn An", "nguyen van an", False), Person(2, "Trần Thị An", "tran thi an", False),
              Person(3, "Phạm Thị Dung", "pham thi dung", False)]
    assert find_person(roster, "3") == roster[2]
    assert find_person(roster, "4") is None
    assert find_person(roster, "Dung") == roster[2]
    assert find_person(roster, "tran thi an") == roster[1]
    assert find_person(roster, "An") == roster[:2]  # ambiguous: the secretary is asked for the number
    assert find_person(roster, "Bình") is None
