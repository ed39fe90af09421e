"""Dues (domain.dues): the amounts of QĐ 01-QĐ/TW and how a payment fills the months, at the boundaries."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from domain import dues
from domain.dues import Basis, Exemption, MonthDue, Rate

WAGE = 5_310_000  # a regional minimum wage (a committee setting)


def m(month: int, year: int = 2026) -> date:
    return date(year, month, 1)


def test_fixed_bases_and_the_2028_shares() -> None:
    student = Rate(m(1), Basis.STUDENT, 0)
    other = Rate(m(1), Basis.OTHER, 0)
    retired = Rate(m(1), Basis.OTHER_RETIRED, 0)
    assert dues.monthly_amount(student, m(6), WAGE) == 5_000
    # 0,3% × 5.310.000 = 15.930; 0,2% = 10.620
    assert dues.monthly_amount(other, m(12, 2027), WAGE) == 15_930
    assert dues.monthly_amount(retired, m(12, 2027), WAGE) == 10_620
    # From January 2028: 0,5% = 26.550; 0,3% = 15.930
    assert dues.monthly_amount(other, m(1, 2028), WAGE) == 26_550
    assert dues.monthly_amount(retired, m(1, 2028), WAGE) == 15_930
    # A declared amount is taken as declared.
    assert dues.monthly_amount(Rate(m(1), Basis.SALARY, 67_400), m(6), WAGE) == 67_400


def test_nothing_owed_before_the_first_declaration_and_the_latest_wins() -> None:
    rates = [Rate(m(3), Basis.SALARY, 50_000), Rate(m(6), Basis.PENSION, 30_000)]
    assert dues.due_in(rates, m(2), WAGE) is None
    assert dues.due_in(rates, m(3), WAGE) == MonthDue(m(3), 50_000)
    assert dues.due_in(rates, m(5), WAGE) == MonthDue(m(5), 50_000)
    assert dues.due_in(rates, m(6), WAGE) == MonthDue(m(6), 30_000)
    # Two declarations from the same month: the later recorded counts.
    again = [*rates, Rate(m(6), Basis.PENSION, 32_000)]
    assert dues.due_in(again, m(7), WAGE) == MonthDue(m(7), 32_000)


def test_exemption_owes_nothing_until_its_last_month() -> None:
    rates = [Rate(m(1), Basis.SALARY, 40_000, exemption=Exemption.ILLNESS, exemption_until=m(4))]
    assert dues.due_in(rates, m(4), WAGE) == MonthDue(m(4), 0, exempt=Exemption.ILLNESS)
    assert dues.due_in(rates, m(5), WAGE) == MonthDue(m(5), 40_000)
    forever = [Rate(m(1), Basis.PENSION, 20_000, exemption=Exemption.FIFTY_YEARS)]
    assert dues.due_in(forever, m(12, 2030), WAGE) == MonthDue(m(12, 2030), 0, exempt=Exemption.FIFTY_YEARS)


def test_reduction_ending_mid_year() -> None:
    # 50% off 45.000 from March to June: 22.500 in June, 45.000 again in July.
    rates = [Rate(m(3), Basis.SALARY, 45_000, reduction=50, reduction_until=m(6))]
    owed = dues.schedule(rates, m(8), WAGE)
    assert [(d.month.month, d.amount) for d in owed] == [
        (3, 22_500), (4, 22_500), (5, 22_500), (6, 22_500), (7, 45_000), (8, 45_000)]
    # 30% off 15.930 = 11.151 (half up: 15.930 × 0,7 = 11.151 exactly); 70% off 15.930 = 4.779
    other = [Rate(m(1), Basis.OTHER, 0, reduction=30, reduction_until=m(12))]
    assert dues.due_in(other, m(1), WAGE) == MonthDue(m(1), 11_151, reduction=30)
    deep = [Rate(m(1), Basis.OTHER, 0, reduction=70, reduction_until=m(12))]
    assert dues.due_in(deep, m(1), WAGE) == MonthDue(m(1), 4_779, reduction=70)


def test_reduction_lasts_at_most_twelve_months() -> None:
    assert dues.check_reduction(50, m(3), m(2, 2027)) is None  # March 2026 … February 2027: 12 months
    assert dues.check_reduction(50, m(3), m(3, 2027)) is not None  # 13 months
    assert dues.check_reduction(40, m(3), None) is not None  # 30, 50 or 70 only
    assert dues.check_reduction(30, m(3), m(2)) is not None  # ends before it starts
    assert dues.reduction_end(m(3), None) == m(2, 2027)


def test_a_payment_of_three_months_fills_the_oldest_first() -> None:
    owed = dues.schedule([Rate(m(9), Basis.SALARY, 30_000)], m(12), WAGE)
    allocation = dues.allocate(owed, 90_000)
    assert [(s.month.month, s.paid) for s in allocation.months] == [(9, 30_000), (10, 30_000), (11, 30_000), (12, 0)]
    assert allocation.paid_through() == m(11)
    assert allocation.credit == 0 and allocation.balance == -30_000
    # A partial payment leaves the month not settled.
    part = dues.allocate(owed, 45_000)
    assert [s.paid for s in part.months] == [30_000, 15_000, 0, 0]
    assert [s.month.month for s in part.unpaid_months()] == [10, 11, 12]


def test_an_overpayment_is_kept_as_credit() -> None:
    owed = dues.schedule([Rate(m(11), Basis.SALARY, 30_000)], m(12), WAGE)
    allocation = dues.allocate(owed, 100_000)
    assert allocation.credit == 40_000 and allocation.balance == 40_000
    assert allocation.unpaid_months() == []
    # The credit pays what comes next: 2 more months cost 60.000 − 40.000 = 20.000.
    ahead = dues.schedule([Rate(m(11), Basis.SALARY, 30_000)], m(2, 2027), WAGE, first=m(1, 2027))
    assert dues.to_cover(allocation, ahead, 2) == (20_000, [m(1, 2027), m(2, 2027)])


def test_exempt_months_take_nothing_and_are_never_overdue() -> None:
    rates = [Rate(m(1), Basis.SALARY, 20_000), Rate(m(3), Basis.SALARY, 20_000, exemption=Exemption.POOR_HOUSEHOLD,
                                                     exemption_until=m(4))]
    allocation = dues.allocate(dues.schedule(rates, m(6), WAGE), 60_000)
    # January, February, May paid (3 × 20.000); March, April exempt; June open.
    assert [(s.month.month, s.owed, s.paid) for s in allocation.months] == [
        (1, 20_000, 20_000), (2, 20_000, 20_000), (3, 0, 0), (4, 0, 0), (5, 20_000, 20_000), (6, 20_000, 0)]
    assert allocation.overdue_in_year(2026, date(2026, 7, 5)) == [m(6)]


def test_overdue_months_count_only_ended_months_of_the_year() -> None:
    owed = dues.schedule([Rate(m(10, 2025), Basis.SALARY, 10_000)], m(4), WAGE)
    allocation = dues.allocate(owed, 0)
    # On 20/04/2026: October … December 2025 are last year's; January … March 2026 ended; April runs.
    assert allocation.overdue_in_year(2026, date(2026, 4, 20)) == [m(1), m(2), m(3)]
    assert allocation.overdue_in_year(2025, date(2026, 4, 20)) == [m(10, 2025), m(11, 2025), m(12, 2025)]


@pytest.mark.parametrize(("typed", "amount"), [
    ("45000", 45_000), ("45.000", 45_000), ("45,000đ", 45_000), ("45k", 45_000), ("45 nghìn", 45_000),
    ("1.500.000", 1_500_000), ("0", 0),
])
def test_amounts_as_typed(typed: str, amount: int) -> None:
    assert dues.parse_amount(typed) == amount


@pytest.mark.parametrize("typed", ["-5000", "4,5", "abc", "45.00", "1e6", ""])
def test_not_amounts(typed: str) -> None:
    assert dues.parse_amount(typed) is None


def test_months_and_money_as_shown() -> None:
    assert dues.parse_month("11/2026", date(2026, 5, 1)) == m(11)
    assert dues.parse_month("3", date(2026, 5, 1)) == m(3)
    assert dues.parse_month("13/2026", date(2026, 5, 1)) is None
    assert dues.months_text([m(11, 2026), m(12, 2026), m(1, 2027)]) == "tháng 11, 12/2026, 1/2027"
    assert dues.money(1_234_500) == "1.234.500đ" and dues.money(-15_000) == "−15.000đ"


def test_the_cell_keeps_its_share_and_remits_the_rest() -> None:
    assert dues.remit(315_930, Fraction(3, 10)) == (94_779, 221_151)
