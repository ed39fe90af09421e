"""Party development's rules (domain.development): working days, months from 29 February, the
certificate's validity, the 2/3 vote, the order of a candidate's steps, a deadline's state."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.development import (
    CandidateStage,
    Deadline,
    DeadlineKind,
    DeadlineState,
    Progress,
    add_working_days,
    age_problem,
    candidate_deadlines,
    ceremony_due,
    certificate_last_day,
    certificate_valid,
    is_working_day,
    probation_deadline,
    review_due,
    vote_passes,
    votes_needed,
)
from domain.errors import UserError
from domain.holidays import HOLIDAYS
from domain.membership import probation_end


@pytest.mark.parametrize(("start", "count", "expected"), [
    (date(2026, 6, 5), 1, date(2026, 6, 8)),  # Friday + 1: Monday (Saturday, Sunday skipped)
    (date(2026, 6, 6), 1, date(2026, 6, 8)),  # from a Saturday: Monday
    (date(2026, 6, 8), 5, date(2026, 6, 15)),  # a week
    # 30 from Monday 01/06/2026, no holiday: June 2–5 (4), 8–12 (9), 15–19 (14), 22–26 (19), 29–30 (21),
    # July 1–3 (24), 6–10 (29), 13 (30)
    (date(2026, 6, 1), 30, date(2026, 7, 13)),
    (date(2026, 2, 13), 1, date(2026, 2, 23)),  # Friday before Tết: 16–20/02 are holidays, then the weekend
    (date(2026, 4, 29), 1, date(2026, 5, 4)),  # 30/04 and 01/05 off, then the weekend
    (date(2026, 4, 24), 1, date(2026, 4, 28)),  # Giỗ Tổ made up on Monday 27/04
    (date(2027, 2, 4), 1, date(2027, 2, 12)),  # Tết 2027: 05/02, 08–11/02 off
])
def test_working_days_skip_weekends_and_holidays(start: date, count: int, expected: date) -> None:
    assert add_working_days(start, count) == expected


def test_holidays_are_data_and_weekdays() -> None:
    assert date(2026, 2, 17) in HOLIDAYS and not is_working_day(date(2026, 2, 17))
    assert all(day.weekday() < 5 for day in HOLIDAYS)  # a weekend holiday is listed as its made-up day
    assert is_working_day(date(2026, 2, 23))
    assert add_working_days(date(2026, 2, 13), 1, holidays=frozenset()) == date(2026, 2, 16)


def test_ceremony_due_within_30_working_days_across_tet() -> None:
    # Decided Thursday 21/01/2027. Working days: Jan 22 (1), 25–29 (6), Feb 1–4 (10); 05/02 and
    # 08–11/02 Tết; 12 (11), 15–19 (16), 22–26 (21), Mar 1–5 (26), 8–11 (30).
    assert ceremony_due(date(2027, 1, 21)) == date(2027, 3, 11)


def test_twelve_months_from_29_february_end_on_28_february() -> None:
    assert probation_end(date(2028, 2, 29)) == date(2029, 2, 28)
    assert probation_end(date(2026, 3, 16)) == date(2027, 3, 16)
    # The review: 30 working days after Wednesday 28/02/2029 (no holiday listed after 2027):
    # March 1–2 (2), 5–9 (7), 12–16 (12), 19–23 (17), 26–30 (22), April 2–6 (27), 9–11 (30).
    assert review_due(date(2028, 2, 29)) == date(2029, 4, 11)


def test_certificate_valid_five_years() -> None:
    assert certificate_last_day(date(2026, 5, 10)) == date(2031, 5, 9)
    assert certificate_valid(date(2026, 5, 10), date(2031, 5, 9))
    assert not certificate_valid(date(2026, 5, 10), date(2031, 5, 10))
    assert not certificate_valid(date(2026, 5, 10), date(2026, 5, 9))  # before it was issued
    assert certificate_last_day(date(2028, 2, 29)) == date(2033, 2, 27)  # 5 years on: 28/02/2033


def test_certificate_warning_starts_90_days_before_it_lapses() -> None:
    progress = Progress(date(2021, 1, 1), class_on=date(2021, 6, 1))
    (deadline,) = candidate_deadlines(progress)
    assert deadline == Deadline(DeadlineKind.CERTIFICATE, date(2026, 5, 31))
    assert deadline.state(date(2026, 3, 1)) is DeadlineState.AHEAD  # 91 days before
    assert deadline.state(date(2026, 3, 2)) is DeadlineState.NEAR  # 90 days before
    assert deadline.state(date(2026, 5, 31)) is DeadlineState.NEAR
    assert deadline.state(date(2026, 6, 1)) is DeadlineState.MISSED
    assert candidate_deadlines(Progress(date(2021, 1, 1), class_on=date(2021, 6, 1), admitted=date(2022, 1, 1))) == []


def test_a_deadline_is_near_a_week_ahead_and_missed_the_day_after() -> None:
    deadline = probation_deadline(date(2026, 3, 16))
    due = deadline.due
    assert deadline.kind is DeadlineKind.REVIEW
    assert deadline.state(due - timedelta(days=8)) is DeadlineState.AHEAD
    assert deadline.state(due - timedelta(days=7)) is DeadlineState.NEAR
    assert deadline.state(due) is DeadlineState.NEAR
    assert deadline.state(due + timedelta(days=1)) is DeadlineState.MISSED


@pytest.mark.parametrize(("agree", "officials", "passes"), [
    (5, 7, True), (4, 7, False),  # 2/3 of 7 is 4.67: 5 needed
    (6, 9, True), (5, 9, False),  # exactly 2/3 passes
    (2, 3, True), (1, 3, False),
    (8, 7, False), (0, 0, False),
])
def test_two_thirds_of_official_members(agree: int, officials: int, passes: bool) -> None:
    assert vote_passes(agree, officials) is passes
    if officials > 0 and agree <= officials:
        assert (agree >= votes_needed(officials)) is passes


def test_age_at_admission() -> None:
    assert age_problem(2008, 2026) is None  # 18
    assert age_problem(2009, 2026) is not None  # 17
    assert age_problem(1966, 2026) is None  # 60
    assert age_problem(1965, 2026) is not None  # 61


def test_steps_in_order() -> None:
    today = date(2026, 6, 1)
    progress = Progress(date(2026, 3, 2))
    assert progress.stage is CandidateStage.SOURCE
    with pytest.raises(UserError, match="Chưa ghi bước trước: học lớp"):
        progress.record(CandidateStage.APPLICATION, date(2026, 4, 1), today)
    with pytest.raises(UserError, match="chưa tới"):
        progress.record(CandidateStage.CLASS, date(2026, 6, 2), today)
    assert progress.record(CandidateStage.CLASS, date(2025, 3, 1), today).class_on == date(2025, 3, 1)
    progress = progress.record(CandidateStage.CLASS, date(2026, 3, 20), today)
    assert progress.stage is CandidateStage.CLASS and progress.class_on == date(2026, 3, 20)
    progress = progress.record(CandidateStage.CLASS, date(2026, 3, 21), today)  # a correction before the next step
    assert progress.class_on == date(2026, 3, 21)
    with pytest.raises(UserError, match="trước ngày của bước trước"):
        progress.record(CandidateStage.APPLICATION, date(2026, 3, 20), today)
    progress = progress.record(CandidateStage.APPLICATION, date(2026, 4, 1), today)
    progress = progress.record(CandidateStage.INTRODUCED, date(2026, 4, 2), today)
    with pytest.raises(UserError, match="Bước sau đã ghi"):
        progress.record(CandidateStage.APPLICATION, date(2026, 4, 2), today)
    assert progress.stage is CandidateStage.INTRODUCED


def test_ceremony_deadline_once_decided() -> None:
    progress = Progress(date(2026, 1, 5), class_on=date(2026, 2, 2), application=date(2026, 3, 2),
                        introduced=date(2026, 3, 3), voted=date(2026, 3, 10), decided=date(2026, 6, 1))
    assert Deadline(DeadlineKind.CEREMONY, date(2026, 7, 13)) in candidate_deadlines(progress)
